#!/usr/bin/env python3
"""Test accuracy and RMSE of predictions (N_test, 10) against one-hot targets."""
import sys
import numpy as np

p, y = np.load(sys.argv[1]), np.load(sys.argv[2])
print(f"accuracy {100 * np.mean(p.argmax(1) == y.argmax(1)):.1f}%  RMSE {np.sqrt(np.mean((p - y) ** 2)):.4f}")
