#!/usr/bin/env bash
# Whole-process Jacobian contraction, ntk4j against PyTorch, on the same weights and inputs: each side is one fresh
# process that loads the model, computes Θ(x, x) once by Jacobian contraction (trace mode, fp32) and writes it, timed
# by /usr/bin/time (wall, user, sys). The sides alternate ROUNDS times; the table gives medians and the load.
#   ntk4j:   ./ntk kernel --impl jacobian --mode trace (JVM start, BLAS selection, compute, .npy out)
#   PyTorch: bench/peers/torch_ntk.py --repeats 0 (import torch, vmap(jacrev) + einsum once, check against ntk4j)
# Usage: bench/peers/jc-whole-process.sh [N ...]   (default 128 512)
# Environment: ROUNDS (3), THREADS (all cores), PYTHON (a python3 with torch and numpy), OUT, NTK_JAVA_OPTS,
#   IMPL (jacobian; "structured" times the structured path the same way).
# Model: d 64, hidden 512-512, relu, O 10, NTK parameterization, σ_w 1, σ_b 0, seed 42; x standard normal (seed 1).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
ROUNDS=${ROUNDS:-3}
THREADS=${THREADS:-$(nproc)}
PYTHON=${PYTHON:-python3}
IMPL=${IMPL:-jacobian}
OUT=${OUT:-$ROOT/bench/target/jc-whole-process}
SIZES=("$@")
[[ ${#SIZES[@]} -gt 0 ]] || SIZES=(128 512)
mkdir -p "$OUT"
"$PYTHON" -c "import torch, numpy" 2>/dev/null || { echo "need $PYTHON with torch and numpy (set PYTHON)" >&2; exit 2; }
export OMP_NUM_THREADS=$THREADS MKL_NUM_THREADS=$THREADS
"$ROOT/ntk" --version >/dev/null   # builds once, outside the timings
CPU=$(lscpu | sed -n 's/^Model name: *//p')
echo "# $CPU, $(nproc) cores, threads $THREADS, $(date -u +%Y-%m-%dT%H:%MZ), load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# ntk4j: $("$ROOT/ntk" devices 2>/dev/null | sed -n 's/^blas *//p' | head -1)"
echo "# torch: $("$PYTHON" -c 'import torch; print(torch.__version__, "threads", torch.get_num_threads())')"
printf '%-6s %-8s %5s %9s %9s %9s %7s\n' N side round wall_s user_s sys_s load1
for n in "${SIZES[@]}"; do
    d="$OUT/n$n"
    mkdir -p "$d"
    "$PYTHON" -c "import numpy as np; np.save('$d/x.npy', np.random.default_rng(1).standard_normal(($n, 64)))"
    "$ROOT/ntk" kernel -q --x "$d/x.npy" --arch 64,512,512,10 --seed 42 --impl structured --mode trace \
        --save-weights "$d/P.npz" --out "$d/warm.npy"
    for r in $(seq 1 "$ROUNDS"); do
        /usr/bin/time -f "%e %U %S" -o "$d/ntk4j-$r.time" "$ROOT/ntk" kernel -q --x "$d/x.npy" --weights "$d/P.npz" \
            --impl "$IMPL" --mode trace --out "$d/K.npy"
        printf '%-6s %-8s %5s %9s %9s %9s %7s\n' "$n" ntk4j "$r" $(cat "$d/ntk4j-$r.time") "$(cut -d' ' -f1 /proc/loadavg)"
        /usr/bin/time -f "%e %U %S" -o "$d/torch-$r.time" "$PYTHON" "$ROOT/bench/peers/torch_ntk.py" \
            --weights "$d/P.npz" --x "$d/x.npy" --mode trace --threads "$THREADS" --repeats 0 --expect "$d/K.npy" \
            > "$d/torch-$r.json"
        printf '%-6s %-8s %5s %9s %9s %9s %7s\n' "$n" torch "$r" $(cat "$d/torch-$r.time") "$(cut -d' ' -f1 /proc/loadavg)"
    done
done | tee "$OUT/runs.txt"
"$PYTHON" - "$OUT" "${SIZES[@]}" <<'PY' | tee "$OUT/table.txt"
import json, statistics, sys, glob
out, sizes = sys.argv[1], sys.argv[2:]
print(f"{'N':>5} {'ntk4j wall':>11} {'torch wall':>11} {'torch/ntk4j':>12} {'ntk4j cpu':>10} {'torch cpu':>10} {'cpu ratio':>10}  agrees")
for n in sizes:
    def times(side):
        rows = [list(map(float, open(f).read().split())) for f in sorted(glob.glob(f"{out}/n{n}/{side}-*.time"))]
        return statistics.median(r[0] for r in rows), statistics.median(r[1] + r[2] for r in rows)
    (jw, jc), (tw, tc) = times("ntk4j"), times("torch")
    agree = all(json.load(open(f)).get("agrees") for f in glob.glob(f"{out}/n{n}/torch-*.json"))
    print(f"{n:>5} {jw:>10.1f}s {tw:>10.1f}s {tw / jw:>11.2f}× {jc:>9.1f}s {tc:>9.1f}s {tc / jc:>9.2f}×  {agree}")
PY
echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)"
