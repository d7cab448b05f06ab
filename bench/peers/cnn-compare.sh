#!/usr/bin/env bash
# The empirical NTK of a CNN, ntk4j against PyTorch, whole process, on the same weights and the same Fashion-MNIST
# images: 28×28×1, conv(C,3×3,same)-relu ×3, global average pooling, dense(10), 'ntk' parameterization (σ_w 1, σ_b 0),
# trace mode, fp32. Each side is one fresh process timed by /usr/bin/time (wall, user+sys, peak RSS):
#   PyTorch: bench/peers/torch_cnn_ntk.py --repeats 0 (import torch, vmap(jacrev) + einsum once; its Jacobian is
#            N·O·P floats, reported as jacobian_bytes)
#   ntk4j:   ./ntk kernel --impl jacobian, then --impl structured (JVM start, BLAS selection, compute, .npy out);
#            the in-process compute time is the "in … s" of its summary line
# Both ntk4j kernels are compared with PyTorch's (relative Frobenius error). The sides run ROUNDS times, alternating.
# Usage: bench/peers/cnn-compare.sh [N ...]   (default 256)
# Environment: ROUNDS (1), CHANNELS (64), THREADS (all cores), PYTHON (/usr/bin/python3), OUT, MODE (trace),
#   MEMORY (ntk4j's --memory, default its own), IMPLS (the ntk4j implementations run, default "jacobian structured";
#   the structured form of this CNN costs ~190× the contraction's flops at N = 256: IMPLS=jacobian leaves it out).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
ROUNDS=${ROUNDS:-1}
CHANNELS=${CHANNELS:-64}
THREADS=${THREADS:-$(nproc)}
PYTHON=${PYTHON:-/usr/bin/python3}
MODE=${MODE:-trace}
IMPLS=${IMPLS:-jacobian structured}
OUT=${OUT:-$ROOT/bench/target/cnn-compare}
FMNIST=${FMNIST:-$ROOT/../shared/data/fashion-mnist/train-images-idx3-ubyte.gz}
SIZES=("$@")
[[ ${#SIZES[@]} -gt 0 ]] || SIZES=(256)
mkdir -p "$OUT"
"$PYTHON" -c "import torch, numpy" 2>/dev/null || { echo "need $PYTHON with torch and numpy (set PYTHON)" >&2; exit 2; }
[[ -f "$FMNIST" ]] || { echo "no Fashion-MNIST images at $FMNIST (set FMNIST)" >&2; exit 2; }
export OMP_NUM_THREADS=$THREADS MKL_NUM_THREADS=$THREADS
"$ROOT/ntk" --version >/dev/null   # builds once, outside the timings
ARCH="28x28x1:conv($CHANNELS,3x3,same),relu,conv($CHANNELS,3x3,same),relu,conv($CHANNELS,3x3,same),relu,gap,dense(10)"
MEM=()
[[ -n "${MEMORY:-}" ]] && MEM=(--memory "$MEMORY")
echo "# $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores, threads $THREADS, $(date -u +%Y-%m-%dT%H:%MZ), load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# torch: $("$PYTHON" -c 'import torch; print(torch.__version__, "threads", torch.get_num_threads())')"
echo "# arch: $ARCH, mode $MODE, fp32"
printf '%-6s %-11s %5s %9s %9s %9s %9s %7s\n' N side round wall_s cpu_s rss_MiB compute_s load1
for n in "${SIZES[@]}"; do
    d="$OUT/n$n"
    mkdir -p "$d"
    for r in $(seq 1 "$ROUNDS"); do
        /usr/bin/time -f "%e %U %S %M" -o "$d/torch-$r.time" "$PYTHON" "$ROOT/bench/peers/torch_cnn_ntk.py" \
            --fashion-mnist "$FMNIST" --n "$n" --channels "$CHANNELS" --mode "$MODE" --threads "$THREADS" \
            --repeats 0 --save-x "$d/x.npy" --save-weights "$d/W.npz" --save-kernel "$d/torch.npy" > "$d/torch-$r.json"
        read -r w u s m < "$d/torch-$r.time"
        c=$("$PYTHON" -c "import json,sys; print('%.2f' % (json.load(open(sys.argv[1])).get('best_ms', float('nan')) / 1e3))" "$d/torch-$r.json")
        printf '%-6s %-11s %5s %9s %9.1f %9d %9s %7s\n' "$n" torch "$r" "$w" "$(echo "$u + $s" | bc)" $((m / 1024)) "$c" "$(cut -d' ' -f1 /proc/loadavg)"
        for impl in $IMPLS; do
            /usr/bin/time -f "%e %U %S %M" -o "$d/$impl-$r.time" "$ROOT/ntk" kernel --x "$d/x.npy" --arch "$ARCH" \
                --weights "$d/W.npz" --parameterization ntk --impl "$impl" --mode "$MODE" --precision fp32 "${MEM[@]}" \
                --out "$d/$impl.npy" > "$d/$impl-$r.log" 2>&1
            read -r w u s m < "$d/$impl-$r.time"
            c=$(sed -n 's/.* in \([0-9.]*\) s .*/\1/p' "$d/$impl-$r.log" | tail -1)
            printf '%-6s %-11s %5s %9s %9.1f %9d %9s %7s\n' "$n" "$impl" "$r" "$w" "$(echo "$u + $s" | bc)" $((m / 1024)) "$c" "$(cut -d' ' -f1 /proc/loadavg)"
        done
    done
done | tee "$OUT/runs.txt"
"$PYTHON" - "$OUT" "${SIZES[@]}" <<'PY' | tee "$OUT/table.txt"
import json, statistics, sys, glob
import numpy as np
out, sizes = sys.argv[1], sys.argv[2:]
print(f"{'N':>5} {'torch wall':>10} {'JC wall':>8} {'torch/JC':>9} {'struct wall':>11} {'torch/struct':>12}"
      f" {'JC rel err':>11} {'struct rel err':>14} {'torch J bytes':>14}")
for n in sizes:
    def wall(side):
        walls = [float(open(f).read().split()[0]) for f in glob.glob(f"{out}/n{n}/{side}-*.time")]
        return statistics.median(walls) if walls else float("nan")
    t, j, s = wall("torch"), wall("jacobian"), wall("structured")
    ref = np.load(f"{out}/n{n}/torch.npy")
    def err(side):
        if np.isnan(wall(side)):
            return float("nan")
        return float(np.linalg.norm(np.load(f"{out}/n{n}/{side}.npy") - ref) / np.linalg.norm(ref))
    jb = json.load(open(sorted(glob.glob(f"{out}/n{n}/torch-*.json"))[0])).get("jacobian_bytes", 0)
    print(f"{n:>5} {t:>9.1f}s {j:>7.1f}s {t / j:>8.2f}× {s:>10.1f}s {t / s:>11.2f}× {err('jacobian'):>11.1e}"
          f" {err('structured'):>14.1e} {jb / 2**20:>11.0f} MiB")
PY
echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)"
