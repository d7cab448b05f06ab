"""PyTorch peer for `ntk bench`: the same empirical NTK computed with torch.func, timed the same way.

Usage (by ntk bench): python3 torch_peer.py '{"x": X.npy, "params": P.npz, "out": K.npy, "mode": "trace",
                                              "act": "relu", "param": "ntk", "wstd": 1.0, "bstd": 0.0,
                                              "repeats": 3, "precision": "fp32"}'
Prints one JSON line: {"torch": version, "device": name, "median_s": seconds, "times_s": [...]}.
The kernel is the Gram of per-example Jacobians built with vmap(jacrev(f)) — the generic way PyTorch users compute it.
"""
import json
import math
import statistics
import sys
import time

import numpy as np
import torch
from torch.func import jacrev, vmap


def main():
    a = json.loads(sys.argv[1])
    dev = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    dtype = torch.float64 if a["precision"] == "fp64" else torch.float32
    if dev.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = a["precision"] == "tf32"
    x = torch.from_numpy(np.load(a["x"])).to(dev, dtype)
    saved = np.load(a["params"])
    layers = 0
    while f"W{layers}" in saved:
        layers += 1
    bias = "b0" in saved
    params = {}
    for l in range(layers):
        params[f"W{l}"] = torch.from_numpy(saved[f"W{l}"]).to(dev, dtype)
        if bias:
            params[f"b{l}"] = torch.from_numpy(saved[f"b{l}"]).to(dev, dtype)
    names = list(params.keys())
    ntk_param = a["param"] == "ntk"
    c = [a["wstd"] / math.sqrt(params[f"W{l}"].shape[1]) if ntk_param else 1.0 for l in range(layers)]
    s = [a["bstd"] if ntk_param else 1.0 for _ in range(layers)]
    phi = {
        "relu": torch.relu,
        "erf": torch.erf,
        "tanh": torch.tanh,
        "gelu": lambda z: torch.nn.functional.gelu(z),
        "identity": lambda z: z,
    }[a["act"]]

    def f(p, xi):
        h = xi
        for l in range(layers):
            z = c[l] * (p[f"W{l}"] @ h)
            if bias:
                z = z + s[l] * p[f"b{l}"]
            h = phi(z) if l < layers - 1 else z
        return h

    n = x.shape[0]

    def kernel():
        j = vmap(jacrev(f), in_dims=(None, 0))(params, x)
        o = j[names[0]].shape[1]
        jac = torch.cat([j[k].reshape(n, o, -1) for k in names], dim=2)
        if a["mode"] == "full":
            return torch.einsum("iap,jbp->ijab", jac, jac)
        if a["mode"] == "diagonal":
            return torch.einsum("iap,jap->ija", jac, jac)
        return torch.einsum("iap,jap->ij", jac, jac) / o

    def sync():
        if dev.type == "cuda":
            torch.cuda.synchronize()

    k = kernel()
    sync()
    times = []
    for _ in range(a["repeats"]):
        t0 = time.perf_counter()
        k = kernel()
        sync()
        times.append(time.perf_counter() - t0)
    np.save(a["out"], k.detach().cpu().numpy())
    name = torch.cuda.get_device_name(dev) if dev.type == "cuda" else f"cpu ({torch.get_num_threads()} threads)"
    print(json.dumps({"torch": torch.__version__, "device": name, "median_s": statistics.median(times),
                      "times_s": times}))


if __name__ == "__main__":
    main()
