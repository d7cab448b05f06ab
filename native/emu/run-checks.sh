#!/usr/bin/env bash
# native/emu/run-checks.sh [PROJECT_ROOT [OUT_DIR]]   (defaults: this checkout, PROJECT_ROOT/build/emu)
#
# Builds the emulator if needed (build.sh), then runs the harness's kernel checks (--check-only: every check,
# no timings) three times, in parallel:
#   emu       cp.async copies land at issue, threads run in ascending order between barriers
#   emu-late  EMU_CP=late EMU_ORDER=reverse: copies land at the covering wait, threads/blocks in descending order
#   emu-san   the first mode, built with AddressSanitizer + UndefinedBehaviorSanitizer
# One summary line per run; logs in OUT_DIR/logs. Exit status 0 only when every run passed.
set -uo pipefail
if [ $# -gt 2 ]; then
  echo "usage: run-checks.sh [PROJECT_ROOT [OUT_DIR]]" >&2
  exit 2
fi
tool="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "${1:-$tool/../..}" && pwd)"
out_arg="${2:-$root/build/emu}"
"$tool/build.sh" "$root" "$out_arg" || { echo "FAIL  emulator build"; exit 1; }
out="$(cd "$out_arg" && pwd)"
logs="$out/logs"
mkdir -p "$logs"
export NTK4J_CUBLAS="$out/lib/libcublas.so.13"  # never a real cuBLAS (not used by --check-only anyway)
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1}"

runs=(emu emu-late emu-san)
declare -A what=(
  [emu]="cp.async at issue, ascending thread order"
  [emu-late]="EMU_CP=late EMU_ORDER=reverse"
  [emu-san]="ASan+UBSan, cp.async at issue"
)
run() {
  case "$1" in
    emu) "$out/harness_emu" --check-only ;;
    # The long fp32 reductions check accuracy, which copy timing and sanitizers do not change: once is enough.
    emu-late) EMU_CP=late EMU_ORDER=reverse "$out/harness_emu" --check-only --skip-long-reductions ;;
    emu-san) "$out/harness_emu_san" --check-only --skip-long-reductions ;;
  esac
}
for r in "${runs[@]}"; do
  (
    t0=$(date +%s)
    EMU_STATS="$logs/$r.stats" run "$r" >"$logs/$r.log" 2>&1
    echo "$? $(( $(date +%s) - t0 ))" >"$logs/$r.status"
  ) &
done
wait

failed=0
for r in "${runs[@]}"; do
  read -r rc secs <"$logs/$r.status"
  log="$logs/$r.log"
  counts=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log" | tail -n 1)
  launched="?"
  if [ -f "$logs/$r.stats" ]; then
    launched="$(awk '!/^#/ && $2 > 0' "$logs/$r.stats" | wc -l)/$(grep -vc '^#' "$logs/$r.stats")"
  fi
  warnings=$(grep -c '^EMU WARNING' "$log")
  if [ "$rc" = 0 ] && [[ "$counts" == *" 0 failed" ]]; then
    printf 'PASS  %-9s %s; %s entry points launched; %s emulator warnings; %ss  (%s)\n' \
      "$r" "$counts" "$launched" "$warnings" "$secs" "${what[$r]}"
  else
    failed=1
    why=$(grep -m1 -E '^(EMU ERROR|FAIL|==[0-9]+==ERROR|.*runtime error:|CUDA error)' "$log" || true)
    printf 'FAIL  %-9s exit %s; %s; %s  (%s; log %s)\n' "$r" "$rc" "${counts:-no result line}" \
      "${why:-$(tail -n 1 "$log")}" "${what[$r]}" "$log"
  fi
  if [ -f "$logs/$r.stats" ] && awk '!/^#/ && $2 == 0' "$logs/$r.stats" | grep -q .; then
    echo "      never launched: $(awk '!/^#/ && $2 == 0 {print $1}' "$logs/$r.stats" | tr '\n' ' ')"
  fi
done
exit $failed
