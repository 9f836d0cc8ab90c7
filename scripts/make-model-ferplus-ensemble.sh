#!/usr/bin/env bash
# Re-creates the shipped model models/ferplus-ensemble.ferkit from the real FER+ data: three
# `speedrun` runs (seeds 1, 2, 3) combined by `ferkit ensemble` with its own post-hoc logit
# adjustment chosen on FER2013Valid, then the figures of its model card (models/ferplus-ensemble.md).
# Resumable: after a stop, run it again; a finished member is kept, a stopped one continues from
# its last finished epoch.
#
#   scripts/make-model-ferplus-ensemble.sh        # FER+ at $FER_DATA or ../shared/data/ferplus
#
# One thread per run: each is then bit-for-bit repeatable (about 13-15 minutes each on this
# 2-core machine; MEMBERS_IN_PARALLEL=2 runs two at once).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
DATA=${FER_DATA:-../shared/data/ferplus}
RUNS=${RUNS:-$BUILD/runs/ferplus-ensemble}
FERKIT="$BUILD/bin/ferkit"
[ -x "$FERKIT" ] || { echo "build ferkit first (make build)" >&2; exit 1; }
[ -f "$DATA/FER2013Train/label.csv" ] || { echo "no FER+ data at $DATA (set FER_DATA)" >&2; exit 1; }
mkdir -p "$RUNS"

member() {  # seed
  local run="$RUNS/speedrun-s$1"
  if [ -f "$run/summary.json" ]; then echo "$run has finished"
  elif [ -f "$run/checkpoints/last.pt" ]; then "$FERKIT" --threads 1 train --out "$run" --resume
  else "$FERKIT" --threads 1 train --recipe speedrun --data "$DATA" --out "$run" --seed "$1"
  fi
}
if [ "${MEMBERS_IN_PARALLEL:-1}" = 2 ]; then
  member 1 & member 2 & wait; member 3
else
  member 1; member 2; member 3
fi
BUNDLE="$RUNS/ferplus-ensemble.ferkit"
"$FERKIT" ensemble "$RUNS/speedrun-s1" "$RUNS/speedrun-s2" "$RUNS/speedrun-s3" --out "$BUNDLE" --data "$DATA" --posthoc-tau auto
# The card's figures: FER2013Valid, and the same without its images that have a copy in train.
"$FERKIT" eval --model "$BUNDLE" --data "$DATA" --split valid --exclude-copies-of train
"$FERKIT" eval --model "$BUNDLE" --data "$DATA" --split valid --exclude-copies-of train --tta flip
"$FERKIT" --threads 1 robustness --model "$BUNDLE" --data "$DATA" --split valid --exclude-copies-of train
cp "$BUNDLE" models/ferplus-ensemble.ferkit
echo "models/ferplus-ensemble.ferkit updated from $RUNS"
