#!/usr/bin/env bash
# Re-creates the shipped model models/ferplus-small.ferkit from the real FER+ data, and the
# figures of its model card (models/ferplus-small.md). Resumable: after a stop (Ctrl-C, a closed
# session), run it again and training continues from the last finished epoch.
#
#   scripts/make-model-ferplus-small.sh            # FER+ at $FER_DATA or ../shared/data/ferplus
#
# One thread: the run is then bit-for-bit repeatable (about 25 minutes on this 2-core machine).
source "$(dirname "$0")/make-model-common.sh"
RUN=${RUN:-$BUILD/runs/ferplus-small}

train_or_resume "$RUN" --recipe cpu-fast --posthoc-tau auto --seed 1
# The card's figures: FER2013Valid, and the same without its images that have a copy in train.
"$FERKIT" eval --model "$RUN" --data "$DATA" --split valid --exclude-copies-of train
"$FERKIT" eval --model "$RUN" --data "$DATA" --split valid --exclude-copies-of train --tta flip -q > /dev/null
"$FERKIT" report --run "$RUN"
cp "$RUN/model.ferkit" models/ferplus-small.ferkit
echo "models/ferplus-small.ferkit updated from $RUN; its card's figures: $RUN/eval-valid.json, $RUN/summary.json, $RUN/report.html"
