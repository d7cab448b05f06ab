#!/usr/bin/env bash
# ntk4j (CPU, fp32) against PyTorch's Jacobian contraction (functorch vmap(jacrev) + einsum) on the same model,
# weights and inputs, with the same number of threads, in one command:
#   1. the Java side writes weights.npz and x.npy, times ntk4j structured and Jacobian contraction and the sgemm
#      ceiling, and saves its kernel;
#   2. the peer loads the same files, times its contraction and checks its kernel against ntk4j's (rel <= 1e-5);
#   3. a table of times and ratios is printed (and saved as table.txt).
# Usage: bench/peers/compare-cpu.sh [config=peer] [mode=trace]   Environment: THREADS (2), OUT, MVN_ARGS, JAVA,
# PYTHON (/usr/bin/python3: Debian's python3-torch).
set -euo pipefail
source "$(dirname "$0")/../java-env.sh"
CONFIG=${1:-peer}
MODE=${2:-trace}
THREADS=${THREADS:-2}
PYTHON=${PYTHON:-/usr/bin/python3}
OUT=${OUT:-$ROOT/bench/target/peer-cpu-$CONFIG-$MODE}
mkdir -p "$OUT"
build_bench
export OMP_NUM_THREADS=$THREADS OPENBLAS_NUM_THREADS=$THREADS MKL_NUM_THREADS=$THREADS
echo "# $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores, $THREADS threads, $(date -u +%Y-%m-%dT%H:%MZ), load before: $(cut -d' ' -f1-3 /proc/loadavg)"
"$JAVA_BIN" "${JVM_FLAGS[@]}" -Xmx6g -cp "$BENCH_JAR" org.ntk4j.bench.PeerCompare out="$OUT" config="$CONFIG" \
    mode="$MODE" threads="$THREADS" > "$OUT/ntk4j.stdout"
"$PYTHON" "$ROOT/bench/peers/torch_ntk.py" --weights "$OUT/weights.npz" --x "$OUT/x.npy" --mode "$MODE" \
    --threads "$THREADS" --expect "$OUT/kernel.npy" --repeats 3 > "$OUT/torch.json" || status=$?
"$PYTHON" - "$OUT" <<'PY' | tee "$OUT/table.txt"
import json, sys
out = sys.argv[1]
j = json.load(open(f"{out}/ntk4j.json"))
t = json.load(open(f"{out}/torch.json"))
torch_ms = t["median_ms"]
rows = [
    ("ntk4j structured (fp32)", j["structured_median_ms"], j["structured_best_ms"]),
    ("ntk4j Jacobian contraction (fp32)", j["jc_median_ms"], j["jc_best_ms"]),
    (t["peer"] + " (" + t["dtype"] + ")", t["median_ms"], t["best_ms"]),
]
print(f"config {j['config']}, mode {j['mode']}, N {j['N']}, P {j['P']}; {j['backend']}; torch threads {t['threads']}")
print(f"{'implementation':58s} {'median ms':>10s} {'best ms':>10s} {'torch JC / this':>16s}")
for name, med, best in rows:
    print(f"{name:58s} {med:10.2f} {best:10.2f} {torch_ms / med:16.2f}")
print(f"torch vs ntk4j kernel: rel {t.get('rel_err_vs_ntk4j', float('nan')):.2e} (agrees: {t['agrees']}); "
      f"ntk4j fp32 vs fp64: structured {j['structured_fp32_vs_fp64_rel']:.2e}, JC {j['jc_fp32_vs_fp64_rel']:.2e}")
s = j["sgemm2048_best_gflops"]
print(f"sgemm 2048^3 ceiling (same JVM): best {s:.1f} GFLOP/s, median {j['sgemm2048_median_gflops']:.1f}")
print(f"BLAS phases: structured {j['structured_blas_gflops']:.1f} GFLOP/s ({j['structured_blas_gflops'] / s:.0%} of best sgemm), "
      f"JC Gram {j['jc_gram_gflops']:.1f} GFLOP/s ({j['jc_gram_gflops'] / s:.0%})")
print("structured: " + j["structured_profile"])
print("JC:         " + j["jc_profile"])
PY
echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg); files in $OUT"
exit ${status:-0}
