#!/usr/bin/env bash
# Re-creates the shipped default model, models/ferplus-small.ferkit, from the real FER+ data, and
# the figures of its model card (models/ferplus-small.md). Resumable: after a stop (Ctrl-C, a
# closed session), run it again and training continues from the last finished epoch.
#
#   scripts/make-model-ferplus-small.sh            # FER+ at $FER_DATA or ../shared/data/ferplus
#
# One thread: the run is then bit-for-bit repeatable (about 20 minutes on this 2-core machine).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
DATA=${FER_DATA:-../shared/data/ferplus}
RUN=${RUN:-$BUILD/runs/ferplus-small}
FERKIT="$BUILD/bin/ferkit"
[ -x "$FERKIT" ] || { echo "build ferkit first (make build)" >&2; exit 1; }
[ -f "$DATA/FER2013Train/label.csv" ] || { echo "no FER+ data at $DATA (set FER_DATA)" >&2; exit 1; }

if [ -f "$RUN/summary.json" ]; then
  echo "$RUN has finished; evaluating it"
elif [ -f "$RUN/checkpoints/last.pt" ]; then
  "$FERKIT" --threads 1 train --out "$RUN" --resume
else
  "$FERKIT" --threads 1 train --recipe cpu-fast --data "$DATA" --out "$RUN" --posthoc-tau auto --seed 1
fi
# The card's figures: FER2013Valid, and the same without its images that have a copy in train.
"$FERKIT" eval --model "$RUN" --data "$DATA" --split valid --exclude-copies-of train
"$FERKIT" eval --model "$RUN" --data "$DATA" --split valid --exclude-copies-of train --tta flip -q > /dev/null
"$FERKIT" report --run "$RUN"
cp "$RUN/model.ferkit" models/ferplus-small.ferkit
echo "models/ferplus-small.ferkit updated from $RUN; its card's figures: $RUN/eval-valid.json, $RUN/summary.json, $RUN/report.html"
