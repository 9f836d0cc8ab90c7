#!/usr/bin/env bash
# One training epoch end to end on the real FER+ train folder (decode, augment, train, then
# validate), ferkit against a typical PyTorch script (bench/epoch_torch.py: PIL Dataset,
# torchvision transforms, DataLoader with 2 workers), interleaved, REPS runs; JSON lines out.
# ferkit's figure is the wall time of the whole `ferkit train --epochs 1` command: loading, the
# audit at start, the epoch with its two validation passes (raw and EMA weights), the final
# evaluation with bootstrap intervals, checkpoint, bundle and report.
# Usage: bench/epoch.sh [BUILD_DIR]; FER_DATA, REPS, THREADS override.
set -euo pipefail
BUILD=${1:-build}
REPS=${REPS:-5}
THREADS=${THREADS:-$(nproc)}
HERE=$(cd "$(dirname "$0")" && pwd)
DATA=${FER_DATA:-$HERE/../../shared/data/ferplus}
[ -f "$DATA/FER2013Train/label.csv" ] || { echo "bench/epoch.sh: FER+ data not found at $DATA (set FER_DATA)" >&2; exit 1; }
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
for i in $(seq "$REPS"); do
  rm -rf "$TMP/run"
  start=$(date +%s%N)
  /usr/bin/time -f "%M" -o "$TMP/rss" "$BUILD/bin/ferkit" -q --threads "$THREADS" train --data "$DATA" --out "$TMP/run" --epochs 1 \
    --backbone small_cnn --label-mode majority --workers 2 >/dev/null 2>&1
  end=$(date +%s%N)
  /usr/bin/python3 - "$TMP/run" "$start" "$end" "$(cat "$TMP/rss")" <<'PY'
import csv, json, sys
row = list(csv.DictReader(open(sys.argv[1] + "/metrics.csv")))[-1]
print(json.dumps({"tool": "ferkit", "bench": "epoch", "seconds": (int(sys.argv[3]) - int(sys.argv[2])) / 1e9,
                  "epoch_seconds": float(row["seconds"]), "val_accuracy": float(row["val_acc"]),
                  "peak_rss_mb": int(sys.argv[4]) / 1024}))
PY
  /usr/bin/python3 "$HERE/epoch_torch.py" "$DATA" "$THREADS"
done
