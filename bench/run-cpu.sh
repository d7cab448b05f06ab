#!/usr/bin/env bash
# CPU benchmarks of ntk4j in one command: JMH (forward, Jacobian, Gram of a Jacobian chunk, NTK by both
# implementations, at the peer and the small configuration) plus the sgemm 2048³ ceiling through the same BLAS,
# with short settings (-f 1 -wi 2 -i 3, 2 s iterations). Results: bench/target/results/jmh-cpu.json and the console.
# Extra arguments go to JMH, e.g.  bench/run-cpu.sh -p config=peer   or   bench/run-cpu.sh 'CpuBenchmarks.ntk.*'
# (a pattern replaces the default selection). The infinite-width kernels: bench/run-cpu.sh 'org.ntk4j.bench.AnalyticBenchmarks.*'
# Environment: MVN_ARGS (e.g. -o), JAVA_HOME, OUT.
set -euo pipefail
source "$(dirname "$0")/java-env.sh"
build_bench
OUT=${OUT:-$ROOT/bench/target/results}
mkdir -p "$OUT"
pattern='org\.ntk4j\.bench\.(CpuBenchmarks|SgemmCeiling)\..*'
if [ $# -gt 0 ] && [[ "$1" != -* ]]; then
    pattern=$1
    shift
fi
echo "# $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ), load: $(cut -d' ' -f1-3 /proc/loadavg)"
"$JAVA_BIN" -jar "$BENCH_JAR" "$pattern" -f 1 -wi 2 -i 3 -w 2s -r 2s -rf json -rff "$OUT/jmh-cpu.json" "$@"
echo "# sgemm ceiling (main, 10 calls):"
"$JAVA_BIN" "${JVM_FLAGS[@]}" -cp "$BENCH_JAR" org.ntk4j.bench.SgemmCeiling 2048 10
