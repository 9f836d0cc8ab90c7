#!/usr/bin/env bash
# Re-creates the shipped default model models/ferplus-small.ferkit from the real FER+ data, and the
# figures of its model card (models/ferplus-small.md). Resumable: after a stop (Ctrl-C, a closed
# session), run it again and training continues from the last finished epoch.
#
#   scripts/make-model-ferplus-small.sh            # FER+ at $FER_DATA or ../shared/data/ferplus
#
# One thread (THREADS, default 1), so that the run is repeatable (the earlier, undistilled recipe gave the same figures
# bit for bit twice; this one was trained once, about 77 minutes on one core of this 2-core machine).
# It is `cpu-fast` over 30 epochs distilled from models/ferplus-ensemble.ferkit (the teacher, kept
# in the repository; scripts/make-model-ferplus-ensemble.sh re-creates it): the targets are half
# the crowd's votes, half the teacher's probabilities at temperature 2.
# The epoch, the post-hoc tau and the temperature are chosen on a tenth of FER2013Train held back
# (--select-on holdout:0.1, the same tenth the teacher's members held back), so FER2013Valid's
# figures are selection-free.
source "$(dirname "$0")/make-model-common.sh"
RUN=${RUN:-$BUILD/runs/ferplus-small}

TEACHER=${TEACHER:-models/ferplus-ensemble.ferkit}
[ -f "$TEACHER" ] || { echo "no teacher at $TEACHER (scripts/make-model-ferplus-ensemble.sh makes it)" >&2; exit 1; }
train_or_resume "$RUN" --recipe cpu-fast --epochs 30 --teacher "$TEACHER" --teacher-weight 0.5 --memory-format channels_last \
  --select-on holdout:0.1 --posthoc-tau auto --calibrate temperature --seed 1
# The card's figures (card_figures in make-model-common.sh) and the report with its reliability diagram.
"$FERKIT" report --run "$RUN"
cp "$RUN/model.ferkit" models/ferplus-small.ferkit
cp "$RUN/plots/reliability.png" models/ferplus-small-reliability.png
card_figures "$RUN"
"$FERKIT" eval --model "$RUN" --data "$DATA" --split valid --exclude-copies-of train --tta flip -q > /dev/null
echo "models/ferplus-small.ferkit updated from $RUN; its card's figures: the lines above, $RUN/eval-valid.json, $RUN/summary.json, $RUN/report.html"
