#!/usr/bin/env bash
# `./ntk demo` side by side under the BLAS configurations a machine can have, in one go, with the machine's load:
#   system    the system's OpenBLAS (libblas.so.3 as installed here), chosen by the probe — the "installed" baseline
#   fresh     no system BLAS/LAPACK (ntk4j is pointed at missing files) and an empty native cache: what a fresh
#             machine gets after the first build — the bundled OpenBLAS, extracted on this first run
#   reference only Debian's reference BLAS/LAPACK as the system's (libblas3/liblapack3 .debs unpacked into a private
#             folder with `apt-get download` + `dpkg-deb -x`, put first on LD_LIBRARY_PATH; nothing is installed):
#             the probe must refuse it and use the bundled OpenBLAS
#   java      the pure-Java BLAS and F2J LAPACK (what a fresh machine got before the bundled OpenBLAS)
# Each run is a fresh process timed by /usr/bin/time (wall, user, sys); the demo's own per-stage times and its
# fitted slopes are kept, and the slopes of every configuration are compared with the first one's.
# Usage: bench/fresh-machine.sh [CONFIG ...] (default: system fresh reference java). Environment: OUT, ROUNDS (1),
#   DEMO_ARGS (e.g. --quick), REFBLAS (folder with the unpacked .debs; made when missing).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=${OUT:-$ROOT/bench/target/fresh-machine}
ROUNDS=${ROUNDS:-1}
CONFIGS=("$@")
[[ ${#CONFIGS[@]} -gt 0 ]] || CONFIGS=(system fresh reference java)
REFBLAS=${REFBLAS:-$OUT/refblas}
mkdir -p "$OUT"
"$ROOT/ntk" --version >/dev/null   # the first build, outside the timings

if [[ " ${CONFIGS[*]} " == *" reference "* && ! -d "$REFBLAS/root" ]]; then
    mkdir -p "$REFBLAS" && (cd "$REFBLAS" && apt-get download libblas3 liblapack3 >/dev/null 2>&1 \
        && for f in *.deb; do dpkg-deb -x "$f" root; done) \
        || { echo "could not fetch libblas3/liblapack3 for the reference configuration" >&2; exit 2; }
fi
LIBDIR=$(dirname "$(find "$REFBLAS/root" -name 'libblas.so.3' 2>/dev/null | head -1)" 2>/dev/null || true)
LAPDIR=$(dirname "$(find "$REFBLAS/root" -name 'liblapack.so.3' 2>/dev/null | head -1)" 2>/dev/null || true)

echo "# $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ), load before: $(cut -d' ' -f1-3 /proc/loadavg)"
run() { # config round
    local c=$1 r=$2 d="$OUT/$1-$2" opts="" env=()
    rm -rf "$d" && mkdir -p "$d"
    case $c in
        system) opts="-Dntk4j.blas=auto" ;;
        fresh) opts="-Dntk4j.blas.system=/nonexistent/libblas.so.3 -Dntk4j.lapack.system=/nonexistent/liblapack.so.3 -Dntk4j.native.cache=$d/native-cache" ;;
        reference) opts="-Dntk4j.native.cache=$OUT/native-cache"; env=(LD_LIBRARY_PATH="$LIBDIR:$LAPDIR") ;;
        java) opts="-Dntk4j.blas=java" ;;
        *) echo "unknown configuration $c" >&2; exit 2 ;;
    esac
    env "${env[@]}" NTK_JAVA_OPTS="$opts ${NTK_JAVA_OPTS:-}" "$ROOT/ntk" devices > "$d/devices.txt" 2>&1 || true
    local l0; l0=$(cut -d' ' -f1 /proc/loadavg)
    env "${env[@]}" NTK_JAVA_OPTS="$opts ${NTK_JAVA_OPTS:-}" /usr/bin/time -f "%e %U %S %M" -o "$d/time.txt" \
        "$ROOT/ntk" demo -q --out-dir "$d/demo" ${DEMO_ARGS:-} > "$d/stdout.txt" 2>&1
    printf '%-10s %3s %9s %9s %9s %10s %6s %6s  %s\n' "$c" "$r" $(cat "$d/time.txt") "$l0" \
        "$(cut -d' ' -f1 /proc/loadavg)" "$(sed -n 's/^blas *//p' "$d/devices.txt" | head -1 | cut -c1-60)"
}
printf '%-10s %3s %9s %9s %9s %10s %6s %6s  %s\n' config run wall_s user_s sys_s maxrss_kb load0 load1 blas
for r in $(seq 1 "$ROUNDS"); do
    for c in "${CONFIGS[@]}"; do run "$c" "$r"; done
done | tee "$OUT/runs.txt"
python3 - "$OUT" "${CONFIGS[@]}" <<'PY' | tee "$OUT/table.txt"
import csv, glob, os, statistics, sys
out, configs = sys.argv[1], sys.argv[2:]
def fits(d):
    f = {}
    for path in glob.glob(f"{d}/demo/**/*fits*.csv", recursive=True):
        for row in csv.DictReader(open(path)):
            f[(os.path.basename(path), row["quantity"])] = float(row["slope"])
    return f
base = None
print(f"{'config':10s} {'wall s (median)':>16s} {'cpu s':>8s} {'vs ' + configs[0]:>10s} {'slopes':>7s} {'max |Δslope|':>13s}")
for c in configs:
    runs = sorted(glob.glob(f"{out}/{c}-*/time.txt"))
    t = [list(map(float, open(p).read().split())) for p in runs]
    wall = statistics.median(x[0] for x in t)
    cpu = statistics.median(x[1] + x[2] for x in t)
    f = fits(os.path.dirname(runs[0]))
    if base is None:
        base, base_wall = f, wall
    common = [k for k in f if k in base]
    dmax = max((abs(f[k] - base[k]) for k in common), default=float("nan"))
    print(f"{c:10s} {wall:16.1f} {cpu:8.1f} {wall / base_wall:9.2f}× {len(f):7d} {dmax:13.2e}")
PY
echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)"
