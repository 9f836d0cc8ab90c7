#!/usr/bin/env bash
# Runs the benchmarks side by side with the Python peer (interleaved, median of REPS runs) and
# writes bench/results.md. Usage: bench/run.sh [BUILD_DIR]; FER_DATA overrides the data folder.
set -euo pipefail
BUILD=${1:-build}
REPS=${REPS:-5}
HERE=$(cd "$(dirname "$0")" && pwd)
DATA=${FER_DATA:-$HERE/../../shared/data/ferplus}
OUT=$HERE/results.md
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

if [ ! -f "$DATA/FER2013Train/label.csv" ]; then
  echo "bench: FER+ data not found at $DATA (set FER_DATA); using a synthetic set of the same layout" >&2
  "$BUILD/bin/ferkit" synth --out "$TMP/synth" --scale 7 >/dev/null
  DATA=$TMP/synth
fi

echo "== data loading: $DATA (both tools read every split there; $REPS interleaved runs)"
# One warm-up each, so that both see the same (warm) page cache.
"$BUILD/bin/bench_load_data" "$DATA" >/dev/null
/usr/bin/python3 "$HERE/load_data_pil.py" "$DATA" >/dev/null
for i in $(seq "$REPS"); do
  "$BUILD/bin/bench_load_data" "$DATA" | tee -a "$TMP/load.jsonl"
  /usr/bin/python3 "$HERE/load_data_pil.py" "$DATA" | tee -a "$TMP/load.jsonl"
done

echo "== backbone throughput (random data, forward+backward+SGD and inference forward)"
"$BUILD/bin/bench_backbones" "${SIZES:-48,64,112,224}" all "${SECONDS_PER_CASE:-2}" | tee "$TMP/backbones.jsonl"

/usr/bin/python3 - "$TMP/load.jsonl" "$OUT" "$DATA" "$REPS" "$TMP/backbones.jsonl" <<'PY'
import json, platform, statistics, subprocess, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
def med(tool, key):
    return statistics.median(r[key] for r in rows if r["tool"] == tool)
f, p = "ferkit", "python-pil"
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
import os
lines = [
    "# ferkit benchmarks",
    "",
    f"Machine: {cpu}, {os.cpu_count()} cores; {platform.platform()}.",
    f"Medians of {sys.argv[4]} interleaved runs, warm page cache. Written by `bench/run.sh`.",
    "",
    "## Loading a FER+ folder (decode every PNG, votes, majority labels)",
    "",
    f"Data: `{sys.argv[3]}` ({rows[0]['images']} images, {rows[0]['kept']} with a majority label).",
    "",
    "| tool | seconds | peak RSS (MB) |",
    "|---|---:|---:|",
    f"| ferkit (`bench_load_data`, all cores) | {med(f,'seconds'):.2f} | {med(f,'peak_rss_mb'):.0f} |",
    f"| Python + PIL + numpy (`load_data_pil.py`) | {med(p,'seconds'):.2f} | {med(p,'peak_rss_mb'):.0f} |",
    f"| ratio (Python / ferkit) | {med(p,'seconds')/med(f,'seconds'):.1f}x | |",
    "",
    "ferkit's RSS includes about 165 MB that LibTorch's shared libraries take in any ferkit process",
    "(`ferkit --version` alone); the decoded images are 2304 bytes each.",
]
assert all(r["images"] == rows[0]["images"] and r["kept"] == rows[0]["kept"] for r in rows), "tools disagree on counts"
bb = [json.loads(l) for l in open(sys.argv[5]) if l.startswith("{")]
if bb:
    lines += ["", "## Backbone throughput (images/s, random data, all cores)", "",
              "Training: forward + backward + SGD step; inference: forward in eval mode. Batch 64 (32 at 112, 16 at 224).",
              "Gray input (1 channel) for the native networks, 3 channels for the ImageNet architectures.", "",
              "| backbone | input | train img/s | inference img/s |", "|---|---:|---:|---:|"]
    for r in bb:
        lines.append(f"| {r['backbone']} | {r['input']} | {r['train_img_s']:.0f} | {r['infer_img_s']:.0f} |")
open(sys.argv[2], "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
PY
