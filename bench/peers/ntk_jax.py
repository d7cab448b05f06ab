#!/usr/bin/env python3
"""Empirical NTK of the network that CudaBenchmark --peer-dir wrote, with JAX (vmap over jacrev, then the
Jacobian contraction, jit-compiled), timed on the default JAX device, and compared with ntk4j's result.

usage: ntk_jax.py PEER_DIR          (prints RESULT lines; exit 0 also when jax is missing)
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
        import jax
        jax.config.update("jax_enable_x64", True)
        import jax.numpy as jnp
    except ImportError as e:
        print(f"RESULT peer jax skipped: {e}")
        return 0
    widths, sw, sb, bias, p, xs = load(peer)
    layers = len(widths) - 1
    ref_full = np.load(os.path.join(peer, "theta_full_fp64.npy"))
    device = jax.devices()[0]

    for dtype, name in ((jnp.float64, "fp64"), (jnp.float32, "fp32")):
        params = {k: jnp.asarray(v, dtype=dtype) for k, v in p.items()}
        x = jnp.asarray(xs, dtype=dtype)

        def f(prm, xi):
            h = xi
            for l in range(layers):
                z = (sw / widths[l] ** 0.5) * (prm[f"W{l}"] @ h)
                if bias:
                    z = z + sb * prm[f"b{l}"]
                h = jax.nn.relu(z) if l < layers - 1 else z
            return h

        @jax.jit
        def ntk(prm, xx):
            jac = jax.vmap(jax.jacrev(f), (None, 0))(prm, xx)
            leaves = jax.tree_util.tree_leaves(jac)
            return sum(jnp.einsum("iap,jbp->ijab", j.reshape(j.shape[0], j.shape[1], -1),
                                  j.reshape(j.shape[0], j.shape[1], -1)) for j in leaves)

        try:
            th = ntk(params, x).block_until_ready()
            times = []
            for _ in range(5):
                t0 = time.perf_counter()
                th = ntk(params, x).block_until_ready()
                times.append((time.perf_counter() - t0) * 1e3)
        except Exception as e:  # out of memory, typically
            print(f"RESULT peer jax {name} full failed: {str(e).splitlines()[0]}")
            continue
        got = np.asarray(th, dtype=np.float64)
        print(f"RESULT peer jax        {name:4s} full {sorted(times)[2]:10.2f} ms on {device.platform}, "
              f"rel diff vs ntk4j fp64 {rel(got, ref_full):.1e}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
