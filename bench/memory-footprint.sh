#!/usr/bin/env bash
# Peak resident memory of 'ntk kernel' against --memory: what the budget bounds (the heap, through the launcher's
# -Xmx) and what it does not (the JVM itself, BLAS threads, the pages of the memory-mapped output window).
#   bench/memory-footprint.sh [N] [SIZES...]     e.g. bench/memory-footprint.sh 6000 64m 256m 1g 2g
# Prints one Markdown table row per size: wall time, tiles, peak RSS (GNU time's %M, the largest process: the JVM).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$ROOT/.mvn/jdk.sh"
N=${1:-6000}
shift || true
if (($#)); then SIZES=("$@"); else SIZES=(64m 256m 1g 2g); fi
TIME=/usr/bin/time
[[ -x "$TIME" ]] || { echo "memory-footprint: needs GNU time at /usr/bin/time" >&2; exit 1; }
JDK=$(ntk4j_find_jdk) || { echo "$NTK4J_NO_JDK_MESSAGE" >&2; exit 1; }

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
"$ROOT/ntk" --version >/dev/null # builds the jar when needed

# Inputs: N Gaussian rows of 32 features, written by ntk4j itself.
cat >"$WORK/Inputs.java" <<'EOF'
import java.nio.file.Path;
import org.ntk4j.Tensor;
import org.ntk4j.io.Npy;

public class Inputs {
    public static void main(String[] a) throws Exception {
        int n = Integer.parseInt(a[1]);
        int d = 32;
        java.util.SplittableRandom r = new java.util.SplittableRandom(1);
        float[] v = new float[n * d];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) r.nextGaussian();
        }
        Npy.write(Path.of(a[0]), new Tensor(new int[] {n, d}, v));
    }
}
EOF
"$JDK/bin/java" -cp "$ROOT/java/cli/target/ntk4j-cli.jar" "$WORK/Inputs.java" "$WORK/x.npy" "$N"

echo "load: $(uptime | sed 's/.*load average: //')"
echo "| --memory | -Xmx (launcher) | kernel | plan | wall s | peak RSS MiB | RSS − heap limit MiB |"
echo "| --- | --- | --- | --- | --- | --- | --- |"
for m in "${SIZES[@]}"; do
  "$TIME" -f "%e %M" -o "$WORK/time" "$ROOT/ntk" kernel --x "$WORK/x.npy" --arch 32,256,1 --memory "$m" \
    --out "$WORK/k.npy" 2>"$WORK/err" >/dev/null
  read -r wall kib <"$WORK/time"
  plan=$(grep -o '[0-9]* tiles of [0-9]*×[0-9]* rows' "$WORK/err" || echo "in memory")
  # the launcher's rule: -Xmx = 1.25 × SIZE + 64m
  xmx=$(awk -v s="$m" 'BEGIN { s = tolower(s); u = substr(s, length(s)); v = substr(s, 1, length(s) - 1);
    f = (u == "k") ? 1/1024 : (u == "m") ? 1 : (u == "g") ? 1024 : 1048576; printf "%d", v * f * 1.25 + 64 }')
  echo "| $m | ${xmx}m | ($N, $N) float32, $(( N * N * 4 / 1048576 )) MiB | $plan | $wall | $(( kib / 1024 )) | $(( kib / 1024 - xmx )) |"
done
