#!/usr/bin/env bash
# Re-creates models/ferplus-ensemble.ferkit from the real FER+ data: three `cpu-fast` runs (seeds 1,
# 2, 3), each with its epoch, post-hoc tau and temperature chosen on a tenth of FER2013Train held back
# (seed 1 was ferplus-small before it was distilled from this ensemble), combined by `ferkit ensemble` as they are (the mean of their
# calibrated, adjusted probabilities; nothing chosen on FER2013Valid, which only scores it); then
# the figures of its card (models/ferplus-ensemble.md). Resumable: after a stop, run it again; a
# finished member is kept, a stopped one continues from its last finished epoch.
#
#   scripts/make-model-ferplus-ensemble.sh        # FER+ at $FER_DATA or ../shared/data/ferplus
#
# One thread per run: each is then bit-for-bit repeatable (about an hour each on this 2-core
# machine; MEMBERS_IN_PARALLEL=2 runs two at once: leave THREADS at 1 then).
source "$(dirname "$0")/make-model-common.sh"
RUNS=${RUNS:-$BUILD/runs/ferplus-ensemble}
mkdir -p "$RUNS"

member() {
  train_or_resume "$RUNS/cpu-fast-s$1" --recipe cpu-fast --select-on holdout:0.1 --posthoc-tau auto --calibrate temperature --seed "$1"
}
if [ "${MEMBERS_IN_PARALLEL:-1}" = 2 ]; then
  member 1 & first=$!; member 2 & second=$!
  wait "$first" && wait "$second"  # a bare wait would return 0 after a failed member
  member 3
else
  member 1; member 2; member 3
fi
BUNDLE="$RUNS/ferplus-ensemble.ferkit"
# --data only scores the ensemble (figures kept in the bundle); no --posthoc-tau: nothing is chosen on valid.
"$FERKIT" ensemble "$RUNS/cpu-fast-s1" "$RUNS/cpu-fast-s2" "$RUNS/cpu-fast-s3" --out "$BUNDLE" --data "$DATA" --split valid
cp "$BUNDLE" models/ferplus-ensemble.ferkit
card_figures "$BUNDLE"
echo "models/ferplus-ensemble.ferkit updated from $RUNS"
