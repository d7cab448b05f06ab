#!/usr/bin/env bash
# native/portable-build.sh OUT_BINARY [ROOT_DIR]
#
# Builds ntk4j-harness so that it starts on old Linux distributions: compiled and linked inside a Debian 11 root
# (glibc 2.31, GCC 10), made once with mmdebstrap (root and Debian's package archive needed) into ROOT_DIR (default
# build/glibc-2.31-root), against the CUDA toolkit's static runtime and a static libstdc++. A build on the host would
# take the host's glibc: 2.34+ pthread and dl symbols, and arc4random (2.36) through static libstdc++, so the binary
# would not start on Ubuntu 20.04/22.04, DGX OS 6 or RHEL 8/9. The result is checked: no symbol newer than
# GLIBC_2.31.
set -euo pipefail
out="${1:?usage: portable-build.sh OUT_BINARY [ROOT_DIR]}"
here="$(cd "$(dirname "$0")" && pwd)"
project="$(cd "$here/.." && pwd)"
root="${2:-$project/build/glibc-2.31-root}"

nvcc_bin="$(command -v nvcc || true)"
[ -z "$nvcc_bin" ] && [ -x /usr/local/cuda/bin/nvcc ] && nvcc_bin=/usr/local/cuda/bin/nvcc
[ -n "$nvcc_bin" ] || { echo "portable-build: nvcc not found (the CUDA toolkit provides the static runtime)" >&2; exit 1; }
cudart=""
for home in "${CUDA_HOME:-}" "$(dirname "$(dirname "$(readlink -f "$nvcc_bin")")")" /usr/local/cuda; do
  [ -n "$home" ] || continue
  for c in "$home/lib64/libcudart_static.a" "$home/lib/libcudart_static.a" \
           "$home/targets/x86_64-linux/lib/libcudart_static.a"; do
    if [ -f "$c" ] && [ -f "$home/include/cuda_runtime.h" ]; then
      cudart="$c"
      cuda_home="$home"
      break 2
    fi
  done
done
[ -n "$cudart" ] || { echo "portable-build: no CUDA toolkit with libcudart_static.a found (set CUDA_HOME)" >&2; exit 1; }

if [ ! -x "$root/usr/bin/g++" ]; then
  command -v mmdebstrap >/dev/null 2>&1 || {
    echo "portable-build: mmdebstrap is needed once to make the Debian 11 build root (apt-get install mmdebstrap)" >&2
    exit 1
  }
  echo "portable-build: making the Debian 11 (glibc 2.31) build root in $root"
  mmdebstrap --variant=minbase --include=g++,libc6-dev bullseye "$root"
fi

w="$root/ntk4j-build"
rm -rf "$w"
mkdir -p "$w/native" "$w/cuda" "$w/cuda-include"
cp "$project"/native/*.cpp "$project"/native/*.h "$w/native/"
cp "$project/cuda/launch_config.h" "$w/cuda/"
cp -r "$cuda_home/include/." "$w/cuda-include/"
cp "$cudart" "$w/libcudart_static.a"
flags="-std=c++17 -O2 -Wall -Wextra -Werror -I/ntk4j-build/cuda-include"
chroot "$root" /bin/sh -c "cd /ntk4j-build/native &&
  g++ $flags -c harness.cpp -o harness.o &&
  g++ $flags -c conv_checks.cpp -o conv_checks.o &&
  g++ $flags -ffp-contract=off -c reference.cpp -o reference.o &&
  g++ -o /ntk4j-build/ntk4j-harness harness.o conv_checks.o reference.o /ntk4j-build/libcudart_static.a \
      -static-libstdc++ -static-libgcc -ldl -lpthread -lrt"
cp "$w/ntk4j-harness" "$out"
rm -rf "$w"
"$project/bench/bundle/check-glibc.sh" 2.31 "$out"
echo "portable-build: $out (glibc <= 2.31)"
