#!/usr/bin/python3
"""PyTorch peer for ntk4j's CNN benchmarks: the empirical NTK of a small CNN by Jacobian contraction.

The network is PyTorch's reading of ntk4j's CNN: `conv(C,k×k,same)` + ReLU blocks, global average pooling, one dense
readout, in the 'ntk' parameterization (z = σ_w/√(C_in·kh·kw)·(W ⋆ x) + σ_b·b for a conv, σ_w/√n·W·h + σ_b·b for
a dense layer; W and b standard normal) or the 'standard' one (z = W ⋆ x + b). Weights are in PyTorch's layouts —
Conv2d (out, in, kh, kw), Linear (out, in) — in a .npz as W0, b0, W1, b1, ... (ntk4j's weights file); inputs are NHWC
.npy images (N, H, W, C), as ntk4j reads them, or the first N Fashion-MNIST training images (IDX, scaled to [0, 1]).

Per-example Jacobians with vmap(jacrev(...)) (torch.func, or functorch on PyTorch 1.13), contracted with one einsum per parameter tensor and summed,
as PyTorch's "Neural Tangent Kernels" tutorial does. TRACE is the mean over outputs, as ntk4j's.

--save-x/--save-weights write the inputs and the weights this run used, for ntk4j to compute the same kernel;
--expect compares against ntk4j's kernel (relative Frobenius error ≤ --rtol). Prints one JSON line.
Run with /usr/bin/python3 (Debian's python3-torch).
"""
import argparse
import gzip
import json
import math
import os
import struct
import sys

from torch_ntk import agrees, contract, timed  # the MLP peer's contraction, timing and comparison


def read_idx_images(path, n):
    import numpy as np
    with gzip.open(path, "rb") as f:
        magic, count, rows, cols = struct.unpack(">IIII", f.read(16))
        if magic != 0x0803:
            raise SystemExit(f"{path}: not an IDX image file (magic {magic:#x})")
        n = min(n, count)
        data = np.frombuffer(f.read(n * rows * cols), dtype=np.uint8)
    return (data.reshape(n, rows, cols, 1).astype(np.float64) / 255.0)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--x", help=".npy NHWC images (N, H, W, C) or (N, H, W)")
    src.add_argument("--fashion-mnist", help="train-images-idx3-ubyte.gz: use its first --n images")
    ap.add_argument("--n", type=int, default=256)
    ap.add_argument("--weights", help=".npz with W0, b0, ... in PyTorch layouts; without it: seeded standard normal")
    ap.add_argument("--channels", type=int, default=64, help="conv channels (without --weights)")
    ap.add_argument("--convs", type=int, default=3, help="conv+relu blocks (without --weights)")
    ap.add_argument("--kernel-size", type=int, default=3)
    ap.add_argument("--outputs", type=int, default=10)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--mode", default="trace", choices=["full", "trace", "diagonal"])
    ap.add_argument("--parameterization", default="ntk", choices=["ntk", "standard"])
    ap.add_argument("--sigma-w", type=float, default=1.0)
    ap.add_argument("--sigma-b", type=float, default=0.0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=1, help="timed runs after one warm-up (median reported)")
    ap.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    ap.add_argument("--device", default="cpu", choices=["auto", "cpu", "cuda"])
    ap.add_argument("--save-x", help="write the inputs used (NHWC float32 .npy)")
    ap.add_argument("--save-weights", help="write the weights used (.npz, PyTorch layouts)")
    ap.add_argument("--save-kernel", help="write the kernel (.npy, float64)")
    ap.add_argument("--expect", help=".npy kernel computed by ntk4j, to compare against")
    ap.add_argument("--rtol", type=float, default=1e-5)
    args = ap.parse_args()

    os.environ.setdefault("OMP_NUM_THREADS", str(args.threads))
    import numpy as np
    import torch
    import torch.nn.functional as F
    try:
        from torch.func import jacrev, vmap
    except ImportError:  # PyTorch 1.13: functorch
        from functorch import jacrev, vmap

    torch.set_num_threads(args.threads)
    dtype = torch.float32 if args.dtype == "float32" else torch.float64
    device = args.device if args.device != "auto" else ("cuda" if torch.cuda.is_available() else "cpu")

    if args.x:
        xs = np.load(args.x).astype(np.float64)
        if xs.ndim == 3:
            xs = xs[..., None]
        xs = xs[: args.n]
    else:
        xs = read_idx_images(args.fashion_mnist, args.n)
    if args.save_x:
        np.save(args.save_x, xs.astype(np.float32))
    n, height, width, cin = xs.shape

    if args.weights:
        npz = np.load(args.weights)
        count = 0
        while f"W{count}" in npz:
            count += 1
        ws = [npz[f"W{i}"] for i in range(count)]
        bs = [npz[f"b{i}"] for i in range(count)] if "b0" in npz else None
    else:
        rng = np.random.default_rng(args.seed)
        ws, bs = [], []
        c = cin
        for _ in range(args.convs):
            ws.append(rng.standard_normal((args.channels, c, args.kernel_size, args.kernel_size)))
            bs.append(rng.standard_normal(args.channels))
            c = args.channels
        ws.append(rng.standard_normal((args.outputs, c)))
        bs.append(rng.standard_normal(args.outputs))
        if args.parameterization == "standard":  # W ~ N(0, σ_w²/fan_in), b ~ N(0, σ_b²)
            ws = [w * args.sigma_w / math.sqrt(np.prod(w.shape[1:])) for w in ws]
            bs = [b * args.sigma_b for b in bs]
    if args.save_weights:
        arrays = {f"W{i}": w for i, w in enumerate(ws)}
        if bs is not None:
            arrays.update({f"b{i}": b for i, b in enumerate(bs)})
        np.savez(args.save_weights, **arrays)

    params = []
    for i, w in enumerate(ws):
        params.append(torch.tensor(w, dtype=dtype, device=device))
        if bs is not None:
            params.append(torch.tensor(bs[i], dtype=dtype, device=device))
    params = tuple(params)
    step = 2 if bs is not None else 1
    ntk = args.parameterization == "ntk"
    scales = [args.sigma_w / math.sqrt(float(np.prod(w.shape[1:]))) if ntk else 1.0 for w in ws]
    bias_scale = args.sigma_b if ntk else 1.0

    def fnet(ps, xb):  # xb: (B, C, H, W)
        h = xb
        for i in range(len(ws)):
            w = ps[step * i]
            b = ps[step * i + 1] if bs is not None else None
            if w.dim() == 4:
                z = scales[i] * F.conv2d(h, w, padding="same")
                if b is not None:
                    z = z + bias_scale * b.view(1, -1, 1, 1)
                h = torch.relu(z)
            else:
                if h.dim() == 4:
                    h = h.mean(dim=(2, 3))  # global average pooling
                z = scales[i] * (h @ w.T)
                if b is not None:
                    z = z + bias_scale * b
                h = z
        return h

    def fnet_single(ps, x1):
        return fnet(ps, x1.unsqueeze(0)).squeeze(0)

    x = torch.tensor(xs, dtype=dtype, device=device).permute(0, 3, 1, 2).contiguous()

    result, times, failure = timed(lambda: contract(vmap(jacrev(fnet_single), (None, 0))(params, x), None, args.mode),
                                   args.repeats, device)
    out = {"peer": "pytorch " + torch.__version__ + " vmap(jacrev)+einsum", "device": device,
           "threads": torch.get_num_threads(), "dtype": args.dtype, "mode": args.mode, "n": n,
           "image": [height, width, cin], "P": int(sum(p.numel() for p in params))}
    if failure is not None:
        out.update({"error": failure, "agrees": False})
        print(json.dumps(out))
        return 1
    out.update({"median_ms": 1e3 * times[len(times) // 2], "best_ms": 1e3 * times[0],
                "runs_ms": [round(1e3 * t, 2) for t in times],
                "jacobian_bytes": int(n * args.outputs * out["P"] * (4 if args.dtype == "float32" else 8))})
    got = result.double().cpu().numpy()
    if args.save_kernel:
        np.save(args.save_kernel, got)
    ok = agrees(got, args.expect, args.rtol, out)
    out["agrees"] = ok
    print(json.dumps(out))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
