#!/usr/bin/env bash
# ntk4j (CPU, fp32) against PyTorch's Jacobian contraction (functorch vmap(jacrev) + einsum) on the same model,
# weights and inputs, with the same number of threads, in one command:
#   1. the Java side writes weights.npz and x.npy, times ntk4j structured and Jacobian contraction and the sgemm
#      ceiling, and saves its kernel;
#   2. the peer loads the same files, times its contraction and checks its kernel against ntk4j's (rel <= 1e-5);
#   3. a table of times and ratios is printed (and saved as table.txt).
# Usage: bench/peers/compare-cpu.sh [peer|small] [trace|full|diagonal]   Environment: THREADS (2), ROUNDS (2: the
# Java and PyTorch sides alternate), OUT, MVN_ARGS, JAVA_HOME, PYTHON (/usr/bin/python3: Debian's python3-torch).
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
ROUNDS=${ROUNDS:-2}
status=0
for r in $(seq 1 "$ROUNDS"); do
    # alternate the two sides so that changes of load on a shared machine hit both
    "$JAVA_BIN" "${JVM_FLAGS[@]}" -Xmx6g -cp "$BENCH_JAR" org.ntk4j.bench.PeerCompare out="$OUT" config="$CONFIG" \
        mode="$MODE" threads="$THREADS" > "$OUT/ntk4j.stdout"
    cp "$OUT/ntk4j.json" "$OUT/ntk4j-$r.json"
    "$PYTHON" "$ROOT/bench/peers/torch_ntk.py" --weights "$OUT/weights.npz" --x "$OUT/x.npy" --mode "$MODE" \
        --threads "$THREADS" --expect "$OUT/kernel.npy" --repeats 3 > "$OUT/torch-$r.json" || status=$?
done
"$PYTHON" - "$OUT" "$ROUNDS" <<'PY' | tee "$OUT/table.txt"
import json, statistics, sys
out, rounds = sys.argv[1], int(sys.argv[2])
js = [json.load(open(f"{out}/ntk4j-{r}.json")) for r in range(1, rounds + 1)]
ts = [json.load(open(f"{out}/torch-{r}.json")) for r in range(1, rounds + 1)]
j = min(js, key=lambda d: d["structured_best_ms"])  # the quietest round, for its profiles
best = lambda key, src: min(d[key] for d in src)
med = lambda key, src: statistics.median(d[key] for d in src)
torch_best, torch_med = best("best_ms", ts), med("median_ms", ts)
rows = [
    ("ntk4j structured (fp32)", med("structured_median_ms", js), best("structured_best_ms", js)),
    ("ntk4j Jacobian contraction (fp32)", med("jc_median_ms", js), best("jc_best_ms", js)),
    (ts[0]["peer"] + " (" + ts[0]["dtype"] + ")", torch_med, torch_best),
]
print(f"config {j['config']}, mode {j['mode']}, N {j['N']}, P {j['P']}; {j['backend']}; torch threads "
      f"{ts[0]['threads']}; {rounds} alternating rounds")
print(f"{'implementation':58s} {'median ms':>10s} {'best ms':>10s} {'torch/this (median)':>20s} {'(best)':>8s}")
for name, m, b in rows:
    print(f"{name:58s} {m:10.2f} {b:10.2f} {torch_med / m:20.2f} {torch_best / b:8.2f}")
print("torch vs ntk4j kernel: rel " + ", ".join(f"{t.get('rel_err_vs_ntk4j', float('nan')):.2e}" for t in ts)
      + f" (agrees: {all(t['agrees'] for t in ts)}); ntk4j fp32 vs fp64: structured "
      f"{j['structured_fp32_vs_fp64_rel']:.2e}, JC {j['jc_fp32_vs_fp64_rel']:.2e}")
s = max(d["sgemm2048_best_gflops"] for d in js)
print(f"sgemm 2048^3 ceiling (interleaved with the NTK calls): best {s:.1f} GFLOP/s, median "
      f"{med('sgemm2048_median_gflops', js):.1f}")
sb, jb = max(d["structured_blas_gflops"] for d in js), max(d["jc_gram_gflops"] for d in js)
print(f"BLAS phases (best call): structured {sb:.1f} GFLOP/s ({sb / s:.0%} of best sgemm), "
      f"JC Gram {jb:.1f} GFLOP/s ({jb / s:.0%})")
print("structured: " + j["structured_profile"])
print("JC:         " + j["jc_profile"])
PY
echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg); files in $OUT"
exit $status
