#!/usr/bin/env bash
# The development figures of a model on faces that are not FER2013's, as the issue tracker and the
# model cards report them: ckplus-posed (accuracy over the 6 basic classes, contempt left out;
# anger and fear recall) and lfw-expressions (balanced accuracy over anger, happiness, neutral,
# sadness, surprise), beside FER2013Valid and its leakage-free twin. Measuring only: nothing
# trains on these sets. Usage: scripts/devsets.sh MODEL [FERKIT] [SHARED_DATA]
set -euo pipefail
MODEL=${1:?usage: scripts/devsets.sh MODEL [FERKIT] [SHARED_DATA]}
FERKIT=${2:-build/bin/ferkit}
D=${3:-../shared/data}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# score NAME ARGS...: `ferkit eval --json` into $tmp/NAME.json; its log is shown only when it fails.
score() {
  local name=$1; shift
  "$FERKIT" --threads 1 eval --model "$MODEL" --split valid --json "$@" >"$tmp/$name.json" 2>"$tmp/$name.log" ||
    { cat "$tmp/$name.log" >&2; echo "scripts/devsets.sh: ferkit eval failed on $name (data under $D)" >&2; exit 1; }
}
score fer --data "$D/ferplus" --exclude-copies-of train
score ck --data "$D/ckplus-posed" --layout class-folders --resize
score lfw --data "$D/lfw-expressions" --layout class-folders --resize
python3 - "$tmp" "$MODEL" <<'PY'
import json, sys
tmp, model = sys.argv[1], sys.argv[2]
def load(n): return json.load(open(f"{tmp}/{n}.json"))
fer, ck, lfw = load("fer"), load("ck"), load("lfw")
classes = ["neutral", "happiness", "surprise", "sadness", "anger", "disgust", "fear", "contempt"]  # FER+'s order
def recall(m, c): return m["classes"][c]["recall"]
m = ck["metrics"]; conf = m["confusion"]
six = [c for c in ["anger", "disgust", "fear", "happiness", "sadness", "surprise"]]
right = sum(conf[classes.index(c)][classes.index(c)] for c in six); total = sum(sum(conf[classes.index(c)]) for c in six)
l = lfw["metrics"]; five = ["anger", "happiness", "neutral", "sadness", "surprise"]
f = fer["metrics"]; lf = fer.get("without_copies", {}).get("metrics", {})
print(f"{model}: FER2013Valid {100*f['accuracy']:.2f} / balanced {100*f['balanced_accuracy']:.2f} "
      f"(leakage-free {100*lf.get('accuracy', float('nan')):.2f} / {100*lf.get('balanced_accuracy', float('nan')):.2f}), "
      f"disgust {100*recall(f, 'disgust'):.0f} %, contempt {100*recall(f, 'contempt'):.0f} %, ECE {100*f['ece']:.1f} %; "
      f"ckplus-posed 6-class {100*right/total:.1f} % (anger {100*recall(m, 'anger'):.0f} %, fear {100*recall(m, 'fear'):.0f} %); "
      f"lfw-expressions balanced-5 {100*sum(recall(l, c) for c in five)/5:.1f} %")
PY
