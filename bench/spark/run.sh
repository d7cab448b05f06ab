#!/usr/bin/env bash
# The Spark figures of bench/RESULTS.md: kernel regression on the digits data, and the overhead of a trace NTK of
# N = 16,384 on local[2] / local[1] against the single-process CPU backend. Usage: bench/spark/run.sh OUTDIR [digits|overhead]
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
OUT="${1:?output folder}"; WHAT="${2:-all}"
mkdir -p "$OUT"; cd "$OUT"
NTK="$ROOT/ntk"
export NTK_JAVA_OPTS="${NTK_JAVA_OPTS:--Xmx8g}"
stamp() { echo "## $(date -u +%FT%TZ) load: $(cut -d' ' -f1-3 /proc/loadavg)"; }
timed() { local s; s=$(date +%s.%N); "$@"; echo "elapsed $(echo "$(date +%s.%N) - $s" | bc) s"; }

if [[ "$WHAT" == all || "$WHAT" == digits ]]; then
  python3 "$ROOT/bench/spark/digits-data.py" "$ROOT/java/experiments/src/main/resources/org/ntk4j/data/digits.csv.gz" .
  M=(--arch 64,2048,10 --seed 1)
  for run in "analytic --impl analytic --precision fp64" "empirical --precision fp64"; do
    set -- $run; name=$1; shift
    for where in inprocess spark; do
      stamp
      extra=(); [[ $where == spark ]] && extra=(--spark 'local[2]' --tile 450)
      timed "$NTK" regress --x x.npy --y y.npy --x-test xt.npy --y-test yt.npy "${M[@]}" "$@" --ridge 1e-3 \
        --tol 1e-6 --precond nystrom --rank 300 "${extra[@]}" --out "pred-$name-$where.npy" 2>&1 | grep -E "wrote|warning|ntk" || true
      "$NTK" regress --x x.npy --y y.npy --x-test xt.npy --y-test yt.npy "${M[@]}" "$@" --ridge 1e-3 --tol 1e-6 \
        --precond none "${extra[@]}" --out "pred-$name-$where-none.npy" 2>&1 | grep wrote | sed 's/^/no preconditioner: /' || true
      python3 "$ROOT/bench/spark/score.py" "pred-$name-$where.npy" yt.npy
    done
  done
  stamp
  timed "$NTK" train --x x.npy --y y.npy "${M[@]}" --steps 2000 --out-dir train --save-trained trained.npz 2>&1 | tail -2
  "$NTK" predict --x x.npy --y y.npy --x-test xt.npy --weights trained.npz --t 0 --out pred-trained.npy -q
  python3 "$ROOT/bench/spark/score.py" pred-trained.npy yt.npy
fi

if [[ "$WHAT" == all || "$WHAT" == overhead ]]; then
  python3 -c "import numpy as np; np.save('x16k.npy', np.random.default_rng(1).standard_normal((16384, 64)).astype(np.float32))"
  K=(--x x16k.npy --arch 64,256,10 --seed 1 --device cpu -q)
  for rep in $(seq "${REPS:-1}"); do
    stamp; timed "$NTK" kernel "${K[@]}" --memory 6g --out k-single.npy
    stamp; timed "$NTK" kernel "${K[@]}" --spark 'local[2]' --tile 2048 --out k-local2.npy
    stamp; timed "$NTK" kernel "${K[@]}" --spark 'local[1]' --tile 2048 --out k-local1.npy
  done
  python3 -c "
import numpy as np
a = np.load('k-single.npy', mmap_mode='r'); b = np.load('k-local2.npy', mmap_mode='r')
print('max relative difference local[2] vs single:', float(np.abs(a[:2048] - b[:2048]).max() / np.abs(a[:2048]).max()))"
  rm -f k-single.npy k-local1.npy k-local2.npy
fi
