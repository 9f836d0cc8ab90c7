#!/usr/bin/env bash
# Times `ferkit audit` (exact and near duplicates, label noise, noise floor) on the FER+ folder:
# the issue-6 target is all of FER+ in under 60 s on a 2-core machine. Prints each run's wall
# time and stage times, then the median. Usage: bench/audit.sh [BUILD_DIR]; FER_DATA overrides.
set -euo pipefail
BUILD=${1:-build}
REPS=${REPS:-3}
HERE=$(cd "$(dirname "$0")" && pwd)
DATA=${FER_DATA:-$HERE/../../shared/data/ferplus}
if [ ! -f "$DATA/FER2013Train/label.csv" ]; then
  echo "bench/audit.sh: FER+ data not found at $DATA (set FER_DATA)" >&2
  exit 1
fi
times=()
for i in $(seq "$REPS"); do
  start=$(date +%s%N)
  "$BUILD/bin/ferkit" -v audit --data "$DATA" --max-pairs 0 >"/tmp/ferkit-audit-bench.$$" 2>&1
  end=$(date +%s%N)
  t=$(awk -v a="$start" -v b="$end" 'BEGIN {printf "%.1f", (b - a) / 1e9}')
  times+=("$t")
  echo "run $i: $t s; $(grep -E 'candidate pairs' "/tmp/ferkit-audit-bench.$$" | sed 's/^duplicates //')"
  grep -E 'duplicates: ' "/tmp/ferkit-audit-bench.$$" | sed 's/^\[[0-9:]*\] debug /    /'
done
rm -f "/tmp/ferkit-audit-bench.$$"
printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {printf "median of %d runs: %.1f s (%s cores)\n", NR, a[int((NR+1)/2)], "'"$(nproc)"'"}'
