#!/usr/bin/env bash
# make-bundle.sh CUDA_TARGET_DIR VERSION REPO_ROOT
#
# Assembles the GPU bundle (run by `./mvnw -Pbundle package` after the jars and dependencies are in place):
#   CUDA_TARGET_DIR/bundle/ntk4j-gpu/         jre/ (jlink), lib/ (ntk4j-cuda, ntk4j-core and their jars), test-lib/
#                                             (test jar, jqwik), tools/ (JUnit console launcher), native/ (harness),
#                                             src/ (kernel and harness sources), peers/, bin/gpu-check, README.txt
#   CUDA_TARGET_DIR/bundle/ntk4j-gpu.tar.gz   the same, at most 60 MiB
set -euo pipefail
target="$1"
version="$2"
root="$3"
deps="$target/bundle-deps"
out="$target/bundle"
b="$out/ntk4j-gpu"
rm -rf "$out"
mkdir -p "$b"/{bin,lib,test-lib,tools,native,peers,src}

# A JDK >= 25 for jlink.
jdk=""
for cand in "${NTK4J_JDK:-}" "${JAVA_HOME:-}" /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/*25* /usr/lib/jvm/*; do
  if [ -n "$cand" ] && [ -x "$cand/bin/jlink" ]; then
    v=$("$cand/bin/java" -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/ {print $2}')
    if [ "${v%%.*}" -ge 25 ] 2>/dev/null; then jdk="$cand"; break; fi
  fi
done
[ -n "$jdk" ] || { echo "make-bundle: no JDK >= 25 with jlink found (set NTK4J_JDK)" >&2; exit 1; }

# java.management and jdk.management: the CUDA tests measure what a call allocates (ThreadMXBean)
modules=java.base,java.logging,java.management,java.sql,jdk.incubator.vector,jdk.management,jdk.unsupported,jdk.zipfs
strip_opt=--strip-debug
command -v objcopy >/dev/null 2>&1 && strip_opt="--strip-java-debug-attributes --strip-native-debug-symbols=exclude-debuginfo-files"
# shellcheck disable=SC2086
"$jdk/bin/jlink" --add-modules "$modules" $strip_opt --no-header-files --no-man-pages --compress zip-9 \
  --output "$b/jre" 2>&1 | grep -v 'incubator modules' || true
if command -v strip >/dev/null 2>&1; then
  strip --strip-unneeded "$b/jre/lib/server/libjvm.so"
fi

# copy_without SRC DST REGEX: copies a jar without the entries whose names match REGEX.
copy_without() {
  python3 - "$1" "$2" "$3" <<'PY'
import re, sys, zipfile
src, dst, drop = sys.argv[1], sys.argv[2], re.compile(sys.argv[3])
with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
    for item in zin.infolist():
        if not drop.match(item.filename):
            zout.writestr(item, zin.read(item.filename))
PY
}

# Jars: runtime class path, then the test-only ones the console launcher does not already contain.
# Host-side BLAS and LAPACK run in pure Java in the bundle (bin/gpu-check sets ntk4j.blas=java): the GPU does the
# heavy products, and the GPU host's glibc is unknown, while netlib's JNI shims need glibc 2.34. So the bundle
# ships neither those shims nor the OpenBLAS jar, and every native file it does ship is checked below.
cp "$target/ntk4j-cuda-$version.jar" "$b/lib/"
for j in "$deps"/runtime/*.jar; do
  name=$(basename "$j")
  case "$name" in
    # Only the driver binding is used; drop the runtime, NVRTC and PTX-compiler bindings (24 MB).
    jcuda-natives-*) copy_without "$j" "$b/lib/$name" '^lib/(?!.*JCudaDriver)' ;;
    blas-*.jar|lapack-*.jar) copy_without "$j" "$b/lib/$name" '^resources/native/' ;;
    openblas-*) ;;
    *) cp "$j" "$b/lib/" ;;
  esac
done
cp "$target/ntk4j-cuda-$version-tests.jar" "$b/test-lib/"
for j in "$deps"/test/*.jar; do
  name=$(basename "$j")
  [ -e "$b/lib/$name" ] && continue
  case "$name" in
    jcuda-natives-*|openblas-*|junit-jupiter*|junit-platform*|opentest4j-*|apiguardian-*) continue ;;
  esac
  cp "$j" "$b/test-lib/"
done
cp "$deps"/tools/junit-platform-console-standalone-*.jar "$b/tools/junit-platform-console-standalone.jar"

# Native harness (statically linked CUDA runtime and libstdc++, built against glibc 2.31 so that it starts on
# Ubuntu 20.04+, DGX OS 6 and RHEL 8/9) and the sources to rebuild it on the GPU host.
cp "$root/CMakeLists.txt" "$b/src/"
cp -r "$root/cuda" "$root/native" "$b/src/"
rm -rf "$b/src/native/emu"  # the CPU emulator is for CI, not for GPU hosts
nvcc_bin="$(command -v nvcc || true)"
[ -z "$nvcc_bin" ] && [ -x /usr/local/cuda/bin/nvcc ] && nvcc_bin=/usr/local/cuda/bin/nvcc
if [ -n "$nvcc_bin" ] && command -v cmake >/dev/null 2>&1; then
  cmake -S "$root" -B "$root/build/maven" -DCMAKE_CUDA_COMPILER="$nvcc_bin" -DNTK4J_BUILD_HARNESS=OFF >/dev/null
  cmake --build "$root/build/maven" --target ntk4j_kernels -j "$(nproc 2>/dev/null || echo 2)" >/dev/null
  cp "$root/build/maven/kernel-resources.txt" "$b/native/"
  if ! "$root/native/portable-build.sh" "$b/native/ntk4j-harness"; then
    rm -f "$b/native/ntk4j-harness"
    echo "make-bundle: the portable (glibc 2.31) harness build failed: the bundle has no prebuilt native harness" \
      "(gpu-check rebuilds it from src/ with the GPU host's nvcc)" >&2
  fi
else
  echo "make-bundle: no nvcc: the bundle has no prebuilt native harness (gpu-check rebuilds it from src/)"
fi

cp "$root"/bench/peers/*.py "$b/peers/"
cp "$root/bench/bundle/gpu-check" "$b/bin/gpu-check"
chmod +x "$b/bin/gpu-check"
cat > "$b/README.txt" <<TXT
ntk4j $version GPU bundle: a Java runtime, the ntk4j jars with the CUDA kernels, the tests, benchmarks,
the native kernel harness and the PyTorch/JAX peer scripts. Needs only a Linux x86-64 host with an
NVIDIA driver for CUDA 12 or 13 (compute capability 8.0 or newer); no Java, no network.

  bin/gpu-check OUTDIR             GPU tests (NTK4J_REQUIRE_GPU=1), native harness, benchmarks, peers;
                                   logs in OUTDIR, a short table last
  bin/gpu-check --cpu-only OUTDIR  only the tests that need no GPU (the CUDA tests skip with the reason)
  jre/bin/java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Dntk4j.blas=java \\
      -cp 'lib/*' org.ntk4j.cuda.CudaBenchmark --help

Host-side BLAS and LAPACK run in pure Java here (-Dntk4j.blas=java): the bundle carries no native BLAS, so that
every native file in it starts on glibc 2.31.
TXT

# Every native file (the harness, the JRE's libraries, the JNI libraries inside the jars) must start on glibc 2.31.
"$root/bench/bundle/check-glibc.sh" "${NTK4J_MAX_GLIBC:-2.31}" "$b" > "$out/glibc-check.txt" \
  || { cat "$out/glibc-check.txt"; echo "make-bundle: a native file needs a glibc newer than ${NTK4J_MAX_GLIBC:-2.31}" >&2; exit 1; }
tail -n 1 "$out/glibc-check.txt"

tar czf "$out/ntk4j-gpu.tar.gz" -C "$out" ntk4j-gpu
size=$(stat -c %s "$out/ntk4j-gpu.tar.gz")
dir=$(du -sb "$b" | cut -f1)
awk -v b="$b" -v d="$dir" -v s="$size" \
  'BEGIN { printf "ntk4j bundle: %s (%.1f MiB as a directory, %.1f MiB as ntk4j-gpu.tar.gz)\n", b, d / 1048576, s / 1048576 }'
if [ "$size" -gt $((60 * 1024 * 1024)) ]; then
  echo "make-bundle: ntk4j-gpu.tar.gz is over 60 MiB" >&2
  exit 1
fi
