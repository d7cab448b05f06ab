#!/usr/bin/env bash
# device-check.sh OUTDIR [ARCH]
#
# One bounded run on a GPU host with the CUDA toolkit: builds the kernels and the harness for one
# architecture (default 90), runs every kernel check, then the timings at moderate sizes (each fp32 operand
# 4 GiB at most). Logs: OUTDIR/build.log, OUTDIR/check.log, OUTDIR/bench.log, OUTDIR/kernel-resources.txt.
# Exit status: that of the checks, else of the timings.
set -uo pipefail
out="${1:?usage: device-check.sh OUTDIR [ARCH]}"
arch="${2:-90}"
root="$(cd "$(dirname "$0")/.." && pwd)"
mkdir -p "$out"
build="${NTK4J_BUILD_DIR:-/tmp/ntk4j-device-build}"
export PATH="$PATH:/usr/local/cuda/bin"
{ nvidia-smi 2>&1 | head -15; cmake -S "$root" -B "$build" -DCMAKE_CUDA_ARCHITECTURES="$arch" &&
  cmake --build "$build" -j; } > "$out/build.log" 2>&1 || { tail -30 "$out/build.log"; exit 2; }
cp "$build/kernel-resources.txt" "$out/" 2>/dev/null
timeout 600 "$build/native/ntk4j-harness" --check-only > "$out/check.log" 2>&1
rc=$?
grep -E "^FAIL" "$out/check.log" | head -20
tail -1 "$out/check.log"
timeout 900 "$build/native/ntk4j-harness" --bench-only --reps 5 --gemm 4096,4096,262144 --gemm 256,256,4194304 \
  --struct 256,256,2048,3,10 > "$out/bench.log" 2>&1
brc=$?
grep -vE "^PASS reference" "$out/bench.log"
[ $rc -ne 0 ] && exit $rc
exit $brc
