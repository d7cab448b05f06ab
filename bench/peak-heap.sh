#!/usr/bin/env bash
# The heap an in-process kernel needs: the smallest -Xmx (16 MiB steps, by bisection) with which
# Ntk.kernel(X, MODE) on the CPU backend completes, for N Gaussian rows of 32 features and the network 32,256,1.
#   bench/peak-heap.sh [N] [MODE] [PRECISION]      e.g. bench/peak-heap.sh 8192 TRACE FP32
# The kernel itself is N²·(4 or 8) bytes per value per pair; what is above it is the working memory and whatever
# the computation holds next to its result.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$ROOT/.mvn/jdk.sh"
N=${1:-8192}
MODE=${2:-TRACE}
PRECISION=${3:-FP32}
JDK=$(ntk4j_find_jdk) || { echo "$NTK4J_NO_JDK_MESSAGE" >&2; exit 1; }
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
"$ROOT/ntk" --version >/dev/null # builds the jar when needed

cat >"$WORK/Kernel.java" <<'JAVA'
import org.ntk4j.*;
import org.ntk4j.model.*;

public class Kernel {
    public static void main(String[] a) {
        int n = Integer.parseInt(a[0]);
        Parameters p = Parameters.init(Architecture.builder(32).hidden(256).output(1).build(), 1);
        java.util.SplittableRandom r = new java.util.SplittableRandom(1);
        double[] v = new double[n * 32];
        for (int i = 0; i < v.length; i++) {
            v[i] = r.nextGaussian();
        }
        try (Ntk ntk = Ntk.builder().backend("cpu").precision(Precision.valueOf(a[2])).open()) {
            long t0 = System.nanoTime();
            Tensor k = ntk.kernel(p, new Matrix(n, 32, v), NtkMode.valueOf(a[1]));
            System.out.printf("ok %s in %.1f s%n", java.util.Arrays.toString(k.shape()), (System.nanoTime() - t0) / 1e9);
        }
    }
}
JAVA
runs() {
  "$JDK/bin/java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Xmx"$1"m \
    -cp "$ROOT/java/cli/target/ntk4j-cli.jar" "$WORK/Kernel.java" "$N" "$MODE" "$PRECISION" 2>/dev/null | grep -q '^ok'
}
lo=128
hi=4096
while ((hi - lo > 16)); do
  mid=$(((lo + hi) / 32 * 16))
  if runs "$mid"; then hi=$mid; else lo=$mid; fi
done
echo "N=$N $MODE $PRECISION: needs -Xmx${hi}m (fails at ${lo}m); load $(uptime | sed 's/.*load average: //')"
