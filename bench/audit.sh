#!/usr/bin/env bash
# Times `ferkit audit` (exact and near duplicates, label noise, noise floor) on the FER+ folder:
# the issue-6 target is all of FER+ in under 60 s on a 2-core machine. Prints each run's wall
# time and stage times, then the median. Usage: bench/audit.sh [BUILD_DIR]; FER_DATA overrides.
# When the folder lacks FER2013Test (../shared holds train and valid only: 32,137 of the 35,887
# images), a stand-in of the test split's size (3,589) is made from train images turned by 90
# degrees: as many extra images for the quadratic thumbnail search, none a duplicate of an upright
# face, and their own duplicates among themselves at train's rate. FULL_SIZE=0 skips it.
set -euo pipefail
BUILD=${1:-build}
REPS=${REPS:-3}
HERE=$(cd "$(dirname "$0")" && pwd)
DATA=${FER_DATA:-$HERE/../../shared/data/ferplus}
if [ ! -f "$DATA/FER2013Train/label.csv" ]; then
  echo "bench/audit.sh: FER+ data not found at $DATA (set FER_DATA)" >&2
  exit 1
fi
if [ ! -f "$DATA/FER2013Test/label.csv" ] && [ "${FULL_SIZE:-1}" = 1 ]; then
  STANDIN=$(mktemp -d /tmp/ferkit-audit-35k.XXXXXX)
  trap 'rm -rf "$STANDIN"' EXIT
  ln -s "$(cd "$DATA" && pwd)/FER2013Train" "$STANDIN/FER2013Train"
  ln -s "$(cd "$DATA" && pwd)/FER2013Valid" "$STANDIN/FER2013Valid"
  /usr/bin/python3 - "$DATA/FER2013Train" "$STANDIN/FER2013Test" 3589 <<'PY'
import csv, os, sys, torch, torchvision.io as io
src, dst, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
os.makedirs(dst)
rows = list(csv.reader(open(os.path.join(src, "label.csv"))))[:n]
with open(os.path.join(dst, "label.csv"), "w", newline="") as f:
    w = csv.writer(f)
    for k, r in enumerate(rows):
        img = io.read_image(os.path.join(src, r[0]))
        name = "standin%05d.png" % k
        io.write_png(torch.rot90(img, 1, (1, 2)).contiguous(), os.path.join(dst, name))
        w.writerow([name] + r[1:])
PY
  echo "FER2013Test is not in $DATA: a stand-in of 3,589 turned train images makes the full size ($STANDIN)"
  DATA=$STANDIN
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
