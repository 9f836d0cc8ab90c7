#!/usr/bin/env bash
# The robustness benchmark (ferkit robustness) for one or more models on FER2013Valid, all images
# and the leakage-free subset (no exact or near copy in train): clean accuracy, the mean change at
# each strength, and the worst mild perturbation. Prints a Markdown table (docs/results.md's).
# Usage: bench/robustness.sh [BUILD_DIR] [MODEL ...]   (default model: ferplus-small, the shipped one)
# FER_DATA overrides the data folder; THREADS (default 1) the threads per run. ~3 min per model on one core.
set -euo pipefail
BUILD=${1:-build}
shift || true
MODELS=("$@")
[ ${#MODELS[@]} -eq 0 ] && MODELS=(ferplus-small)
HERE=$(cd "$(dirname "$0")" && pwd)
DATA=${FER_DATA:-$HERE/../../shared/data/ferplus}
if [ ! -f "$DATA/FER2013Valid/label.csv" ]; then
  echo "bench/robustness.sh: FER+ data not found at $DATA (set FER_DATA)" >&2
  exit 1
fi
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
echo "| model | subset | clean | balanced | mean change mild / moderate / strong (points) | worst mild |"
echo "|---|---|---:|---:|---:|---|"
for m in "${MODELS[@]}"; do
  "$BUILD/bin/ferkit" --threads "${THREADS:-1}" robustness --model "$m" --data "$DATA" --split valid \
    --exclude-copies-of train --json >"$TMP/r.json"
  /usr/bin/python3 - "$TMP/r.json" "$m" <<'PY'
import json, sys
j, name = json.load(open(sys.argv[1])), sys.argv[2]
for subset, r in (("all", j["result"]), ("leakage-free", j["without_copies"]["result"])):
    c, d = r["clean"], r["mean_accuracy_drop_points"]
    worst = max((p for p in r["perturbed"] if p["level"] == "mild"), key=lambda p: p["accuracy_drop_points"])
    print(f"| {name} | {subset} ({c['count']}) | {100 * c['accuracy']:.2f} % | {100 * c['balanced_accuracy']:.2f} % | "
          f"{-d['mild']:+.2f} / {-d['moderate']:+.2f} / {-d['strong']:+.2f} | {worst['kind']} {-worst['accuracy_drop_points']:+.2f} |")
PY
done
