#!/usr/bin/env bash
# Re-creates the shipped default model models/ferplus-small.ferkit from the real FER+ data, and the
# figures of its model card (models/ferplus-small.md). Resumable: after a stop (Ctrl-C, a closed
# session), run it again and training continues from the last finished epoch.
#
#   scripts/make-model-ferplus-small.sh            # FER+ at $FER_DATA or ../shared/data/ferplus
#
# One thread: the run is then bit-for-bit repeatable (25-50 minutes on this 2-core machine). The
# epoch, the post-hoc tau and the temperature are chosen on a tenth of FER2013Train held back
# (--select-on holdout:0.1), so FER2013Valid's figures are selection-free.
source "$(dirname "$0")/make-model-common.sh"
RUN=${RUN:-$BUILD/runs/ferplus-small}

train_or_resume "$RUN" --recipe cpu-fast --select-on holdout:0.1 --posthoc-tau auto --calibrate temperature --seed 1
# The card's figures (card_figures in make-model-common.sh) and the report with its reliability diagram.
"$FERKIT" report --run "$RUN"
cp "$RUN/model.ferkit" models/ferplus-small.ferkit
cp "$RUN/plots/reliability.png" models/ferplus-small-reliability.png
card_figures "$RUN"
"$FERKIT" eval --model "$RUN" --data "$DATA" --split valid --exclude-copies-of train --tta flip -q > /dev/null
echo "models/ferplus-small.ferkit updated from $RUN; its card's figures: the lines above, $RUN/eval-valid.json, $RUN/summary.json, $RUN/report.html"
