#!/usr/bin/env bash
# Re-creates the shipped default model models/ferplus-ensemble.ferkit from the real FER+ data:
# three `cpu-fast` runs (seeds 1, 2, 3) combined by `ferkit ensemble` on their plain probabilities
# with its own post-hoc logit adjustment chosen on FER2013Valid, then the figures of its model
# card (models/ferplus-ensemble.md). Resumable: after a stop, run it again; a finished member is
# kept, a stopped one continues from its last finished epoch.
#
#   scripts/make-model-ferplus-ensemble.sh        # FER+ at $FER_DATA or ../shared/data/ferplus
#
# One thread per run: each is then bit-for-bit repeatable (about 25 minutes each on this 2-core
# machine; MEMBERS_IN_PARALLEL=2 runs two at once, about 50 minutes in all).
source "$(dirname "$0")/make-model-common.sh"
RUNS=${RUNS:-$BUILD/runs/ferplus-ensemble}
mkdir -p "$RUNS"

member() { train_or_resume "$RUNS/cpu-fast-s$1" --recipe cpu-fast --seed "$1"; }
if [ "${MEMBERS_IN_PARALLEL:-1}" = 2 ]; then
  member 1 & member 2 & wait; member 3
else
  member 1; member 2; member 3
fi
BUNDLE="$RUNS/ferplus-ensemble.ferkit"
"$FERKIT" ensemble "$RUNS/cpu-fast-s1" "$RUNS/cpu-fast-s2" "$RUNS/cpu-fast-s3" --drop-member-adjustment --out "$BUNDLE" \
  --data "$DATA" --posthoc-tau auto
# The card's figures: FER2013Valid, and the same without its images that have a copy in train.
"$FERKIT" eval --model "$BUNDLE" --data "$DATA" --split valid --exclude-copies-of train
"$FERKIT" eval --model "$BUNDLE" --data "$DATA" --split valid --exclude-copies-of train --tta flip
"$FERKIT" --threads 1 robustness --model "$BUNDLE" --data "$DATA" --split valid --exclude-copies-of train
cp "$BUNDLE" models/ferplus-ensemble.ferkit
echo "models/ferplus-ensemble.ferkit updated from $RUNS"
