# Sourced by scripts/make-model-*.sh: the repository root as working folder, the ferkit binary
# ($BUILD/bin/ferkit, BUILD defaults to build) and the real FER+ data ($FER_DATA, defaulting to
# ../shared/data/ferplus), each checked before any work.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
BUILD=${BUILD:-build}
DATA=${FER_DATA:-../shared/data/ferplus}
FERKIT="$BUILD/bin/ferkit"
[ -x "$FERKIT" ] || { echo "build ferkit first (make build)" >&2; exit 1; }
[ -f "$DATA/FER2013Train/label.csv" ] || { echo "no FER+ data at $DATA (set FER_DATA)" >&2; exit 1; }

# train_or_resume RUN ARGS...: a finished run is kept, a stopped one continues from its last
# finished epoch, otherwise `ferkit --threads $THREADS train --data DATA --out RUN ARGS...`.
# THREADS defaults to 1, which was checked to repeat bit for bit (the undistilled width-0.5
# recipe); 2 takes about half the wall clock and was not checked to repeat. Give each concurrent
# run its own cores: THREADS times the runs in parallel should not exceed the cores.
THREADS=${THREADS:-1}
train_or_resume() {
  local run=$1; shift
  if [ -f "$run/summary.json" ]; then echo "$run has finished"
  elif [ -f "$run/checkpoints/last.pt" ]; then "$FERKIT" --threads "$THREADS" train --out "$run" --resume
  else "$FERKIT" --threads "$THREADS" train --data "$DATA" --out "$run" "$@"
  fi
}

# card_figures MODEL: the figures every model card carries, for a run folder or a bundle:
# FER2013Valid with its leakage-free twin, the development sets of other faces (measured only; they
# sit beside FER+ in ../shared/data), robustness, and batch-1 latency on one core.
card_figures() {
  local model=$1 shared
  shared=$(dirname "$DATA")
  "$FERKIT" eval --model "$model" --data "$DATA" --split valid --exclude-copies-of train
  if [ -d "$shared/ckplus-posed" ] && [ -d "$shared/lfw-expressions" ]; then
    scripts/devsets.sh "$model" "$FERKIT" "$shared"
  else
    echo "no ckplus-posed and lfw-expressions beside $DATA: the card's development-set figures are not measured" >&2
  fi
  "$FERKIT" --threads 1 robustness --model "$model" --data "$DATA" --split valid --exclude-copies-of train
  if [ -x "$BUILD/bin/ferkit_bench" ]; then "$BUILD/bin/ferkit_bench" model_latency "$model" 300 1; fi
}
