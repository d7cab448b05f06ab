#!/usr/bin/python3
"""PyTorch peer for ntk4j's benchmarks (CPU and GPU): the empirical NTK of the same MLP by Jacobian contraction.

Follows PyTorch's "Neural Tangent Kernels" tutorial: per-example Jacobians with vmap(jacrev(...)) (functorch),
contracted with one einsum per parameter tensor and summed. The network and its parameters are ntk4j's: weights
from a .npz (W0, b0, W1, b1, ... in PyTorch Linear layout) written by ntk4j's ParametersIO, inputs from a .npy;
z = c_l W h + s_l b with c_l = sigma_w/sqrt(n_l), s_l = sigma_b (ntk parameterization) or 1, 1 (standard).

Checks the kernel against ntk4j's (relative Frobenius error <= --rtol) and prints one JSON line with the timings.
Run with /usr/bin/python3 (Debian's python3-torch); threads are pinned with --threads (OMP_NUM_THREADS too).
Works with torch.func (PyTorch >= 2) or functorch (1.13); --device auto uses the GPU when torch sees one.
"""
import argparse
import json
import math
import os
import sys
import time


def contract(jac1, jac2, mode):
    """Θ from per-example Jacobians (a list of (N, O, ...) tensors, one per parameter tensor): one einsum each, summed;
    TRACE is the mean over outputs, as ntk4j's."""
    import torch
    jac1 = [j.flatten(2) for j in jac1]
    jac2 = jac1 if jac2 is None else [j.flatten(2) for j in jac2]
    expr = {"full": "Naf,Mbf->NMab", "trace": "Naf,Maf->NM", "diagonal": "Naf,Maf->NMa"}[mode]
    result = torch.stack([torch.einsum(expr, j1, j2) for j1, j2 in zip(jac1, jac2)]).sum(0)
    if mode == "trace":
        result = result / jac1[0].shape[1]
    return result


def timed(compute, repeats, device):
    """(result, sorted run times in s, failure): one warm-up then `repeats` timed runs (0: one cold run, timed);
    failure is the first line of a RuntimeError (out of memory, typically: every Jacobian must fit), else None."""
    import torch
    times, result = [], None
    try:
        for rep in range(repeats + 1):
            t0 = time.perf_counter()
            result = compute()
            if device == "cuda":
                torch.cuda.synchronize()
            if rep > 0 or repeats == 0:
                times.append(time.perf_counter() - t0)
    except RuntimeError as e:
        return None, [], str(e).splitlines()[0]
    return result, sorted(times), None


def agrees(got, expect, rtol, out):
    """Whether the kernel `got` is ntk4j's from the .npy `expect` (relative Frobenius error ≤ rtol); true without one.
    Writes the error, or why there is none, into the report `out`."""
    if not expect:
        return True
    import numpy as np
    expected = np.load(expect).astype(np.float64)
    if got.shape != expected.shape:
        out["error"] = f"shape {got.shape} vs ntk4j {expected.shape}"
        return False
    rel = float(np.linalg.norm(got - expected) / np.linalg.norm(expected))
    out["rel_err_vs_ntk4j"] = rel
    return rel <= rtol


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--weights", required=True, help=".npz with W0, b0, W1, b1, ...")
    ap.add_argument("--x", required=True, help=".npy inputs (N, d)")
    ap.add_argument("--mode", default="trace", choices=["full", "trace", "diagonal"])
    ap.add_argument("--activation", default="relu", choices=["relu", "tanh", "erf", "gelu", "identity"])
    ap.add_argument("--parameterization", default="ntk", choices=["ntk", "standard"])
    ap.add_argument("--sigma-w", type=float, default=1.0)
    ap.add_argument("--sigma-b", type=float, default=0.0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=3,
                    help="timed runs after one warm-up (median reported); 0: one cold run, timed")
    ap.add_argument("--expect", help=".npy kernel computed by ntk4j, to compare against")
    ap.add_argument("--rtol", type=float, default=1e-5)
    ap.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    ap.add_argument("--device", default="cpu", choices=["auto", "cpu", "cuda"])
    args = ap.parse_args()

    os.environ.setdefault("OMP_NUM_THREADS", str(args.threads))
    import numpy as np
    import torch
    try:
        from torch.func import jacrev, vmap
    except ImportError:  # PyTorch 1.13
        from functorch import jacrev, vmap

    torch.set_num_threads(args.threads)
    dtype = torch.float32 if args.dtype == "float32" else torch.float64
    device = args.device if args.device != "auto" else ("cuda" if torch.cuda.is_available() else "cpu")
    npz = np.load(args.weights)
    layers = 0
    while f"W{layers}" in npz:
        layers += 1
    has_bias = "b0" in npz
    weights = [torch.tensor(npz[f"W{l}"], dtype=dtype, device=device) for l in range(layers)]
    biases = [torch.tensor(npz[f"b{l}"], dtype=dtype, device=device) for l in range(layers)] if has_bias else []
    x = torch.tensor(np.load(args.x), dtype=dtype, device=device)
    widths = [weights[0].shape[1]] + [w.shape[0] for w in weights]
    if args.parameterization == "ntk":
        c = [args.sigma_w / math.sqrt(widths[l]) for l in range(layers)]
        s = [args.sigma_b] * layers
    else:
        c = [1.0] * layers
        s = [1.0] * layers
    phi = {
        "relu": torch.relu,
        "tanh": torch.tanh,
        "erf": torch.erf,
        "gelu": lambda z: torch.nn.functional.gelu(z),
        "identity": lambda z: z,
    }[args.activation]

    params = []
    for l in range(layers):
        params.append(weights[l])
        if has_bias:
            params.append(biases[l])
    params = tuple(params)

    def fnet(ps, xb):
        h = xb
        step = 2 if has_bias else 1
        for l in range(layers):
            z = c[l] * (h @ ps[step * l].T)
            if has_bias:
                z = z + s[l] * ps[step * l + 1]
            h = phi(z) if l + 1 < layers else z
        return h

    def fnet_single(ps, xs):
        return fnet(ps, xs.unsqueeze(0)).squeeze(0)

    def ntk_jacobian_contraction(x1, x2, mode):
        jac1 = vmap(jacrev(fnet_single), (None, 0))(params, x1)
        jac2 = None if x2 is None else vmap(jacrev(fnet_single), (None, 0))(params, x2)
        return contract(jac1, jac2, mode)

    result, times, failure = timed(lambda: ntk_jacobian_contraction(x, None, args.mode), args.repeats, device)
    if failure is not None:
        print(json.dumps({"peer": "pytorch " + torch.__version__, "device": device, "dtype": args.dtype,
                          "mode": args.mode, "error": failure, "agrees": False}))
        return 1
    out = {
        "peer": "pytorch " + torch.__version__ + " functorch vmap(jacrev)+einsum",
        "device": device,
        "threads": torch.get_num_threads(),
        "dtype": args.dtype,
        "mode": args.mode,
        "n": int(x.shape[0]),
        "P": int(sum(p.numel() for p in params)),
        "median_ms": 1e3 * times[len(times) // 2],
        "best_ms": 1e3 * times[0],
        "runs_ms": [round(1e3 * t, 2) for t in times],
    }
    out["agrees"] = agrees(result.double().cpu().numpy(), args.expect, args.rtol, out)
    print(json.dumps(out))
    return 0 if out["agrees"] else 1


if __name__ == "__main__":
    sys.exit(main())
