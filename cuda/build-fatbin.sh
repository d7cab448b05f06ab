#!/usr/bin/env bash
# build-fatbin.sh OUT_DIR [TEST_OUT_DIR]
#
# Builds ntk4j_kernels.fatbin with CMake (kernels only, no harness) and copies it to
# OUT_DIR/org/ntk4j/cuda/ntk4j_kernels.fatbin, where the Java build packages it as a resource, and the
# entry points' PTX to TEST_OUT_DIR/org/ntk4j/cuda/ntk4j_kernels.ptx for the launch-contract test. Without nvcc
# (on PATH or in /usr/local/cuda/bin) or cmake it fails, so that no ntk4j-cuda jar is ever built without kernels by
# accident; building without them takes an explicit -Dntk4j.cuda.skip=true (Maven skips this script). Any compiler
# error or warning fails the build.
set -euo pipefail
out="${1:?usage: build-fatbin.sh OUT_DIR [TEST_OUT_DIR]}"
test_out="${2:-}"
root="$(cd "$(dirname "$0")/.." && pwd)"

nvcc_bin="$(command -v nvcc || true)"
if [ -z "$nvcc_bin" ] && [ -x /usr/local/cuda/bin/nvcc ]; then
  nvcc_bin=/usr/local/cuda/bin/nvcc
fi
if [ -z "$nvcc_bin" ]; then
  echo "ntk4j: nvcc not found (PATH, /usr/local/cuda/bin): the CUDA kernels cannot be built. Install the CUDA" \
       "toolkit, or build without kernels on purpose with -Dntk4j.cuda.skip=true" >&2
  exit 1
fi
if ! command -v cmake >/dev/null 2>&1; then
  echo "ntk4j: cmake not found: the CUDA kernels cannot be built. Install cmake, or build without kernels on" \
       "purpose with -Dntk4j.cuda.skip=true" >&2
  exit 1
fi

build="$root/build/maven"
cmake -S "$root" -B "$build" -DCMAKE_CUDA_COMPILER="$nvcc_bin" -DNTK4J_BUILD_HARNESS=OFF >/dev/null
cmake --build "$build" --target ntk4j_kernels -j "$(nproc 2>/dev/null || echo 2)"
mkdir -p "$out/org/ntk4j/cuda"
cp "$build/ntk4j_kernels.fatbin" "$out/org/ntk4j/cuda/ntk4j_kernels.fatbin"
if [ -n "$test_out" ]; then
  mkdir -p "$test_out/org/ntk4j/cuda"
  cp "$build/ntk4j_kernels.ptx" "$test_out/org/ntk4j/cuda/ntk4j_kernels.ptx"
fi
echo "ntk4j: packaged $(stat -c %s "$out/org/ntk4j/cuda/ntk4j_kernels.fatbin") bytes of CUDA kernels"
