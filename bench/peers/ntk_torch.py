#!/usr/bin/env python3
"""Empirical NTK of the network that CudaBenchmark --peer-dir wrote, with PyTorch's torch.func
(vmap over jacrev, then the Jacobian contraction), timed on the GPU when there is one, and compared with
ntk4j's result for the same parameters and inputs.

usage: ntk_torch.py PEER_DIR        (prints RESULT lines; exit 0 also when torch is missing)
"""
import os
import sys
import time

import numpy as np


def load(peer):
    meta = dict(line.split("=", 1) for line in open(os.path.join(peer, "meta.txt")).read().split())
    widths = [int(w) for w in meta["widths"].split(",")]
    params = dict(np.load(os.path.join(peer, "params.npz")))
    x = np.load(os.path.join(peer, "x.npy"))
    return widths, float(meta["sigma_w"]), float(meta["sigma_b"]), meta["bias"] == "1", params, x


def rel(a, b):
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(b), 1e-300))


def main():
    peer = sys.argv[1]
    try:
        import torch
        from torch.func import jacrev, vmap
    except ImportError as e:
        print(f"RESULT peer torch.func skipped: {e}")
        return 0
    widths, sw, sb, bias, p, xs = load(peer)
    layers = len(widths) - 1
    dev = "cuda" if torch.cuda.is_available() else "cpu"
    ref_full = np.load(os.path.join(peer, "theta_full_fp64.npy"))

    for dtype, name in ((torch.float64, "fp64"), (torch.float32, "fp32")):
        params = {k: torch.tensor(v, dtype=dtype, device=dev) for k, v in p.items()}
        x = torch.tensor(xs, dtype=dtype, device=dev)

        def f(prm, xi):
            h = xi
            for l in range(layers):
                z = (sw / widths[l] ** 0.5) * (prm[f"W{l}"] @ h)
                if bias:
                    z = z + sb * prm[f"b{l}"]
                h = torch.relu(z) if l < layers - 1 else z
            return h

        def ntk():
            jac = vmap(jacrev(f), (None, 0))(params, x)  # name -> (N, O, *shape)
            return sum(torch.einsum("iap,jbp->ijab", j.flatten(2), j.flatten(2)) for j in jac.values())

        def sync():
            if dev == "cuda":
                torch.cuda.synchronize()

        try:
            th = ntk()
            sync()
            times = []
            for _ in range(5):
                t0 = time.perf_counter()
                th = ntk()
                sync()
                times.append((time.perf_counter() - t0) * 1e3)
        except RuntimeError as e:  # out of memory, typically
            print(f"RESULT peer torch.func {name} full failed: {str(e).splitlines()[0]}")
            continue
        got = th.double().cpu().numpy()
        print(f"RESULT peer torch.func {name:4s} full {sorted(times)[2]:10.2f} ms on {dev}, "
              f"rel diff vs ntk4j fp64 {rel(got, ref_full):.1e}")
        for other in ("fp32", "tf32"):
            path = os.path.join(peer, f"theta_full_{other}.npy")
            if name == "fp64" and os.path.exists(path):
                print(f"RESULT peer ntk4j {other} full vs torch.func fp64: rel diff {rel(np.load(path), got):.1e}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
