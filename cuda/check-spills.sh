#!/usr/bin/env bash
# check-spills.sh PTXAS_LOG [TABLE_OUT]
#
# Reads the `-Xptxas -v` output of the kernel build, writes a table (kernel, arch, registers, shared
# memory, stack frame, spill stores, spill loads) to TABLE_OUT (default: stdout), and fails if a hot
# kernel (the GEMM-shaped ones and the Jacobian writer) spills or uses a stack frame, i.e. keeps part of
# its register tile in local memory.
set -euo pipefail
log="${1:?usage: check-spills.sh PTXAS_LOG [TABLE_OUT]}"
out="${2:-/dev/stdout}"
hot='^ntk_(gram_nt|struct_layer|forward|backward_delta|weight_grad|jacobian_layer|conv_jacobian_layer)_'

awk -v hot="$hot" -v out="$out" '
/Compiling entry function/ {
    match($0, /function .[A-Za-z0-9_]+./); name = substr($0, RSTART + 10, RLENGTH - 11)
    match($0, /for .sm_[0-9a-z]+./);       arch = substr($0, RSTART + 5, RLENGTH - 6)
    stack = 0; st = 0; ld = 0; regs = "?"; smem = 0; next
}
/bytes stack frame/ {
    for (i = 1; i <= NF; i++) {
        if ($(i+1) == "bytes" && $(i+2) == "stack") stack = $i
        if ($(i+1) == "bytes" && $(i+2) == "spill" && $(i+3) ~ /^stores/) st = $i
        if ($(i+1) == "bytes" && $(i+2) == "spill" && $(i+3) ~ /^loads/) ld = $i
    }
    next
}
/Used [0-9]+ registers/ {
    for (i = 1; i <= NF; i++) {
        if ($(i+1) == "registers,") regs = $i
        if ($(i+1) == "bytes" && $(i+2) ~ /^smem/) smem = $i
    }
    if (!header) { printf "%-36s %-6s %5s %6s %6s %7s %7s\n", "kernel", "arch", "regs", "smem", "stack", "spillst", "spillld" > out; header = 1 }
    printf "%-36s %-6s %5s %6s %6s %7s %7s\n", name, arch, regs, smem, stack, st, ld > out
    count++
    if (name ~ hot && (st + 0 > 0 || ld + 0 > 0 || stack + 0 > 0)) {
        printf "check-spills: hot kernel %s (%s) spills: stack %s, stores %s, loads %s\n", name, arch, stack, st, ld > "/dev/stderr"
        bad = 1
    }
}
END {
    if (count == 0) { print "check-spills: no ptxas entries found in the log" > "/dev/stderr"; exit 2 }
    if (bad) exit 1
}' "$log"
