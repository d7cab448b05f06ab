#!/usr/bin/python3
"""An outside oracle for ntk4j's layer grammar: the same network as a PyTorch nn.Sequential, its outputs and its
empirical NTK in float64.

The network is given as ntk4j writes it (Architecture.spec / --arch), e.g.
  7x6x2:conv(3,3x3,same,stride=2,1.0,0.0),relu,avgpool(2x2,valid,stride=2),flatten,dense(2,1.0,0.0)
and built from PyTorch modules: Conv2d (weights (out, in, kh, kw)), AvgPool2d(count_include_pad=True), Flatten,
AdaptiveAvgPool2d(1) + Flatten for gap, Linear, ReLU/Tanh/GELU/erf. Same padding puts the odd padded entry after the
image (ZeroPad2d when it is not symmetric); circular pads by wrapping. 'standard' parameterization: the modules as
PyTorch runs them (z = W ⋆ x + b); 'ntk': z = σ_w/√fan_in · (W ⋆ x) + σ_b · b with the layer's σ_w, σ_b.

Weights: --weights .npz with W0, b0, W1, … in PyTorch's layouts (ntk4j's --save-weights), or drawn from --seed
(W ~ N(0, σ_w²/fan_in) and b ~ N(0, σ_b²) in the standard parameterization, N(0, 1) in the ntk one) and written
with --save. Inputs: --x .npy NHWC images (N, H, W, C) or flat (N, d), or --n examples drawn from --seed.
Outputs: f (N, O) and the full NTK (N1, N2, O, O) by per-example Jacobians (torch.func or functorch's jacrev)
contracted over every parameter. --save writes x, f, ntk and the weights into one .npz; --expect-kernel/--expect-output
compare with ntk4j's (relative Frobenius error <= --rtol) and print one JSON line.
Run with /usr/bin/python3 (Debian's python3-torch).
"""
import argparse
import json
import math
import re
import sys


def split_top(s):
    out, depth, start = [], 0, 0
    for i, ch in enumerate(s + ","):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "," and depth == 0:
            out.append(s[start:i].strip())
            start = i + 1
    return out


def pair(s):
    p = s.split("x")
    return (int(p[0]), int(p[-1]))


def parse(spec):
    """The layers of an ntk4j spec as (kind, options) tuples; only the canonical form spec() writes."""
    shape, rest = spec.split(":", 1)
    layers = []
    for tok in split_top(rest):
        m = re.fullmatch(r"(\w+)(?:\((.*)\))?", tok)
        name, args = m.group(1), (m.group(2).split(",") if m.group(2) else [])
        if name == "dense":
            layers.append(("dense", dict(width=int(args[0]), w=float(args[1]),
                                         b=float(args[2]) if len(args) > 2 else None)))
        elif name in ("conv", "avgpool"):
            o = dict(pad="valid", stride=None)
            if name == "conv":
                o["out"] = int(args.pop(0))
            o["k"] = pair(args.pop(0))
            nums = []
            for a in args:
                if a.startswith("stride="):
                    o["stride"] = pair(a[len("stride="):])
                elif a[0].isalpha():
                    o["pad"] = a
                else:
                    nums.append(float(a))
            if o["stride"] is None:
                o["stride"] = (1, 1) if name == "conv" else o["k"]
            if name == "conv":
                o["w"] = nums[0] if nums else 1.0
                o["b"] = nums[1] if len(nums) > 1 else (0.0 if not nums else None)
            layers.append((name, o))
        else:
            layers.append((name, {}))
    return tuple(int(d) for d in shape.split("x")), layers


def same_pads(n, k, s):
    out = -(-n // s)
    total = max((out - 1) * s + k - n, 0)
    return total // 2, total - total // 2


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--arch", required=True, help="the network as ntk4j's Architecture.spec() writes it")
    ap.add_argument("--parameterization", default="standard", choices=["ntk", "standard"])
    ap.add_argument("--weights", help=".npz with W0, b0, … in PyTorch layouts; without it: drawn from --seed")
    ap.add_argument("--x", help=".npy inputs, NHWC images or flat rows; without it: --n drawn from --seed")
    ap.add_argument("--n", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--save", help="write W0, b0, …, x, f and ntk into this .npz")
    ap.add_argument("--expect-kernel", help=".npy full kernel (N, N, O, O) computed by ntk4j")
    ap.add_argument("--expect-output", help=".npy outputs (N, O) computed by ntk4j")
    ap.add_argument("--rtol", type=float, default=1e-10)
    args = ap.parse_args()

    import numpy as np
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
    try:
        from torch.func import functional_call, jacrev
    except ImportError:  # PyTorch 1.13
        from functorch import jacrev
        from torch.nn.utils.stateless import functional_call
    torch.set_default_dtype(torch.float64)
    ntk = args.parameterization == "ntk"

    class Pad(nn.Module):
        def __init__(self, pads, mode):
            super().__init__()
            self.pads, self.mode = pads, mode

        def forward(self, x):
            return F.pad(x, self.pads, mode=self.mode)

    class Scaled(nn.Module):
        """z = c·(W ⋆ h) + s·b around a Conv2d or Linear: the ntk parameterization."""

        def __init__(self, inner, c, s):
            super().__init__()
            self.inner, self.c, self.s = inner, c, s

        def forward(self, x):
            w = self.c * self.inner.weight
            b = None if self.inner.bias is None else self.s * self.inner.bias
            if isinstance(self.inner, nn.Linear):
                return F.linear(x, w, b)
            return F.conv2d(x, w, b, self.inner.stride)

    class Erf(nn.Module):
        def forward(self, x):
            return torch.erf(x)

    shape, layers = parse(args.arch)
    rng = np.random.default_rng(args.seed)
    npz = np.load(args.weights) if args.weights else None
    modules, weights = [], {}
    cur = shape  # (H, W, C) or (d,)
    for kind, o in layers:
        if kind in ("conv", "dense"):
            l = sum(1 for k in weights if k.startswith("W"))
            if kind == "conv":
                h, w, c = cur
                pads = []
                for n, k, s in ((h, o["k"][0], o["stride"][0]), (w, o["k"][1], o["stride"][1])):
                    pads.append((0, 0) if o["pad"] == "valid" else same_pads(n, k, s))
                (t, bo), (le, r) = pads
                if (t, bo, le, r) != (0, 0, 0, 0):
                    modules.append(Pad((le, r, t, bo), "circular" if o["pad"] == "circular" else "constant"))
                inner = nn.Conv2d(c, o["out"], o["k"], stride=o["stride"], bias=o["b"] is not None)
                fan_in = c * o["k"][0] * o["k"][1]
                cur = ((h + t + bo - o["k"][0]) // o["stride"][0] + 1, (w + le + r - o["k"][1]) // o["stride"][1] + 1,
                       o["out"])
            else:
                fan_in = cur[0]
                inner = nn.Linear(fan_in, o["width"], bias=o["b"] is not None)
                cur = (o["width"],)
            wshape, bshape = tuple(inner.weight.shape), (inner.weight.shape[0],)
            if npz is not None:
                W = npz[f"W{l}"]
                B = npz[f"b{l}"] if o["b"] is not None else None
            else:
                std_w = 1.0 if ntk else o["w"] / math.sqrt(fan_in)
                std_b = 1.0 if ntk else (o["b"] or 0.0)
                W = std_w * rng.standard_normal(wshape)
                B = std_b * rng.standard_normal(bshape) if o["b"] is not None else None
            assert W.shape == wshape, (l, W.shape, wshape)
            weights[f"W{l}"] = W
            with torch.no_grad():
                inner.weight.copy_(torch.tensor(W))
                if B is not None:
                    weights[f"b{l}"] = B
                    inner.bias.copy_(torch.tensor(B))
            modules.append(Scaled(inner, o["w"] / math.sqrt(fan_in), o["b"] or 0.0) if ntk else inner)
        elif kind == "avgpool":
            h, w, c = cur
            pads = [(0, 0) if o["pad"] == "valid" else same_pads(n, k, s)
                    for n, k, s in ((h, o["k"][0], o["stride"][0]), (w, o["k"][1], o["stride"][1]))]
            (t, bo), (le, r) = pads
            if o["pad"] == "circular" or t != bo or le != r:
                if (t, bo, le, r) != (0, 0, 0, 0):
                    modules.append(Pad((le, r, t, bo), "circular" if o["pad"] == "circular" else "constant"))
                modules.append(nn.AvgPool2d(o["k"], o["stride"], count_include_pad=True))
            else:  # symmetric zeros: PyTorch's own padding, the zeros counted in the mean
                modules.append(nn.AvgPool2d(o["k"], o["stride"], padding=(t, le), count_include_pad=True))
            cur = ((h + t + bo - o["k"][0]) // o["stride"][0] + 1, (w + le + r - o["k"][1]) // o["stride"][1] + 1, c)
        elif kind == "gap":
            modules += [nn.AdaptiveAvgPool2d(1), nn.Flatten()]
            cur = (cur[2],)
        elif kind == "flatten":
            if len(cur) == 3:
                modules.append(nn.Flatten())  # (C, H, W) order of an NCHW tensor
                cur = (cur[0] * cur[1] * cur[2],)
        else:
            modules.append({"relu": nn.ReLU(), "tanh": nn.Tanh(), "gelu": nn.GELU(), "erf": Erf(),
                            "identity": nn.Identity()}[kind])
    model = nn.Sequential(*modules)

    xs = np.load(args.x).astype(np.float64) if args.x else rng.standard_normal((args.n,) + shape)
    if len(shape) == 3 and xs.ndim == 3:
        xs = xs[..., None]
    x = torch.tensor(xs)
    if len(shape) == 3:
        x = x.permute(0, 3, 1, 2).contiguous()  # NHWC → NCHW for PyTorch
    params = {k: v.detach() for k, v in model.named_parameters()}

    def f_single(p, xi):
        return functional_call(model, p, (xi.unsqueeze(0),)).squeeze(0)

    with torch.no_grad():
        f = model(x).numpy()
    jac = [jacrev(f_single)(params, x[i]) for i in range(x.shape[0])]
    rows = np.stack([np.concatenate([j[k].reshape(j[k].shape[0], -1).numpy() for k in params], axis=1) for j in jac])
    ntk_full = np.einsum("naf,mbf->nmab", rows, rows)

    out = {"peer": "pytorch " + torch.__version__ + " nn.Sequential + jacrev, float64", "arch": args.arch,
           "parameterization": args.parameterization, "n": int(x.shape[0]), "P": int(rows.shape[2])}
    ok = True
    for name, got, path in (("kernel", ntk_full, args.expect_kernel), ("output", f, args.expect_output)):
        if path:
            want = np.load(path).astype(np.float64)
            if want.shape != got.shape:
                out[name + "_error"] = f"shape {got.shape} vs ntk4j {want.shape}"
                ok = False
                continue
            rel = float(np.linalg.norm(got - want) / max(np.linalg.norm(want), 1e-300))
            out[name + "_rel_err"] = rel
            out[name + "_max_abs_diff"] = float(np.max(np.abs(got - want)))
            ok = ok and rel <= args.rtol
    if args.save:
        np.savez(args.save, x=xs, f=f, ntk=ntk_full, **weights)
    out["agrees"] = ok
    print(json.dumps(out))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
