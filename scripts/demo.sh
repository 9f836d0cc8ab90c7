#!/usr/bin/env bash
# The main job on the embedded default: a synthetic FER+-format data set, a small native-resolution
# CNN trained on it, its evaluation on the held-out test split. Everything lands in BUILD/demo/.
set -euo pipefail
BUILD=${1:-build}
FERKIT="$BUILD/bin/ferkit"
DEMO="$BUILD/demo"
mkdir -p "$DEMO"
start=$(date +%s)

if [ ! -f "$DEMO/data/FER2013Test/label.csv" ]; then
  rm -rf "$DEMO/data"
  "$FERKIT" synth --out "$DEMO/data" --seed 1
fi
"$FERKIT" data stats --data "$DEMO/data"
rm -rf "$DEMO/run"
"$FERKIT" train --data "$DEMO/data" --out "$DEMO/run"
"$FERKIT" eval --model "$DEMO/run" --data "$DEMO/data" --split test
"$FERKIT" eval --model "$DEMO/run" --data "$DEMO/data" --split test --tta flip -q >/dev/null
# Training drew the report already; drawing it again adds the evaluations just made.
"$FERKIT" report --run "$DEMO/run"
# Using the model: the emotions of a few test faces (already crops: no face detection), and the
# model as ONNX.
"$FERKIT" predict --model "$DEMO/run" --detector none "$DEMO"/data/FER2013Test/fer000000[0-4].png
"$FERKIT" export --model "$DEMO/run" --onnx "$DEMO/run/model.onnx"
# A real photograph with the shipped default model (models/ferplus-small.ferkit, trained on FER+):
# no --model needed. dlib finds the face and aligns it as FER2013's faces are.
PHOTO=/usr/share/doc/opencv-doc/examples/data/messi5.jpg
if [ -f "$PHOTO" ]; then "$FERKIT" predict --detector dlib "$PHOTO"; fi

echo
echo "demo finished in $(( $(date +%s) - start )) s"
echo "  run folder:   $DEMO/run  (config.yaml, metrics.csv, checkpoints/, model.ferkit, eval-test*.json)"
echo "  report:       $DEMO/run/report.html  (open it in a browser)"
echo "  ONNX model:   $DEMO/run/model.onnx"
