#!/usr/bin/env bash
# check-glibc.sh MAX_VERSION PATH...
#
# Fails when a native file needs a glibc newer than MAX_VERSION (e.g. 2.31): every ELF file under the PATHs, and
# every ELF file inside the jars there (JNI libraries), is read with `objdump -T`; the highest GLIBC_x.y symbol
# version it references must not exceed MAX_VERSION. Prints one line per file that references glibc.
set -euo pipefail
max="${1:?usage: check-glibc.sh MAX_VERSION PATH...}"
shift
command -v objdump >/dev/null 2>&1 || { echo "check-glibc: objdump (binutils) is needed" >&2; exit 1; }
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
bad=0
newer() {  # 0 when version $1 > $2
  [ "$1" != "$2" ] && [ "$(printf '%s\n%s\n' "$1" "$2" | sort -V | tail -n 1)" = "$1" ]
}
check() {  # $1 file, $2 name to report
  local v
  v=$(objdump -T "$1" 2>/dev/null | grep -o 'GLIBC_[0-9][0-9.]*' | sed 's/GLIBC_//' | sort -uV | tail -n 1 || true)
  [ -n "$v" ] || return 0
  if newer "$v" "$max"; then
    echo "check-glibc: $2 needs GLIBC_$v (> $max), e.g." \
      "$(objdump -T "$1" | grep -F "(GLIBC_$v)" | awk '{print $NF}' | head -n 5 | tr '\n' ' ')" >&2
    bad=1
  else
    echo "check-glibc: $2 ok (GLIBC_$v)"
  fi
}
is_elf() { [ "$(head -c 4 "$1" 2>/dev/null | od -An -c | tr -d ' ')" = "177ELF" ]; }
n=0
while IFS= read -r -d '' f; do
  if is_elf "$f"; then
    check "$f" "$f"
    n=$((n + 1))
  elif [[ "$f" == *.jar ]]; then
    while IFS= read -r entry; do
      mkdir -p "$tmp/x"
      unzip -p "$f" "$entry" > "$tmp/x/lib" 2>/dev/null || continue
      if is_elf "$tmp/x/lib"; then
        check "$tmp/x/lib" "$f!$entry"
        n=$((n + 1))
      fi
    done < <(unzip -Z1 "$f" 2>/dev/null | grep -E '\.so(\.[0-9]+)*$' || true)
  fi
done < <(find "$@" -type f -print0)
echo "check-glibc: $n native files checked against glibc $max"
exit $bad
