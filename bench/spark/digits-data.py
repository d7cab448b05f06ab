#!/usr/bin/env python3
"""Writes the digits data (all 1,797) as .npy: a seeded 1,347/450 train/test split, pixels / 16, one-hot targets."""
import gzip, sys
import numpy as np

src, out = sys.argv[1], sys.argv[2]
rows = np.loadtxt(gzip.open(src, "rt"), delimiter=",")
x, labels = rows[:, :64] / 16.0, rows[:, 64].astype(int)
perm = np.random.default_rng(0).permutation(len(x))
train, test = perm[:1347], perm[1347:]
y = np.eye(10)[labels]
for name, a in [("x", x[train]), ("y", y[train]), ("xt", x[test]), ("yt", y[test])]:
    np.save(f"{out}/{name}.npy", a)
