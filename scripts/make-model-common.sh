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
# finished epoch, otherwise `ferkit --threads 1 train --data DATA --out RUN ARGS...` (one thread:
# bit-for-bit repeatable).
train_or_resume() {
  local run=$1; shift
  if [ -f "$run/summary.json" ]; then echo "$run has finished"
  elif [ -f "$run/checkpoints/last.pt" ]; then "$FERKIT" --threads 1 train --out "$run" --resume
  else "$FERKIT" --threads 1 train --data "$DATA" --out "$run" "$@"
  fi
}
