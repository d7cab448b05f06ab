#!/usr/bin/env bash
# native/emu/build.sh [PROJECT_ROOT [OUT_DIR]]   (defaults: this checkout, PROJECT_ROOT/build/emu)
#
# Builds the CPU emulator of the project's CUDA kernels into OUT_DIR (incrementally):
#   OUT_DIR/harness_emu          native/ harness on the emulator (run it with --check-only)
#   OUT_DIR/harness_emu_san      the same with AddressSanitizer + UndefinedBehaviorSanitizer
#   OUT_DIR/lib/libcuda.so.1     emulated CUDA driver (for JCuda and the Java backend)
#   OUT_DIR/lib/libcublas.so.13  emulated cuBLAS (reference GEMMs)
# PROJECT_ROOT/cuda and PROJECT_ROOT/native are copied to OUT_DIR/work and rewritten there (prepare.py);
# the build fails, naming file, line and text, on inline PTX that the emulator does not know.
set -euo pipefail
if [ $# -gt 2 ]; then
  echo "usage: build.sh [PROJECT_ROOT [OUT_DIR]]" >&2
  exit 2
fi
tool="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "${1:-$tool/../..}" && pwd)"
mkdir -p "${2:-$root/build/emu}"
out="$(cd "${2:-$root/build/emu}" && pwd)"
t0=$(date +%s)
python3 "$tool/prepare.py" "$root" "$out/work"
make -s --no-print-directory -f "$tool/Makefile" -j"$(nproc 2>/dev/null || echo 2)" TOOL="$tool" W="$out/work" OUT="$out"
echo "emu: built in $(( $(date +%s) - t0 )) s: $out/{harness_emu,harness_emu_san,lib/libcuda.so.1,lib/libcublas.so.13}"
