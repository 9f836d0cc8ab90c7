#!/usr/bin/env bash
# Makes tests/data/faceapi/tiny_face_detector.json and face_recognition.json: the outputs of face-api's
# own tiny face detector and face-identity ResNet (npm @vladmandic/face-api 1.7.15 on @tensorflow/tfjs
# 4.22's CPU backend, in Node.js) that tests/infer/test_tiny_face_detector.cpp and
# tests/models/test_face_resnet.cpp compare ferkit's LibTorch builds of them with.
# Needs node and npm (packages from the npm registry, installed into a scratch folder), python3-opencv
# (to write the photos' gray pixels as OpenCV decodes them) and opencv-doc (messi5.jpg, a Megamind frame).
# Usage: scripts/faceapi-reference/make-reference.sh [WEIGHTS_DIR]
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
WEIGHTS=${1:-$ROOT/third_party/face-api}
DATA=/usr/share/doc/opencv-doc/examples/data
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm init -y >/dev/null && npm install --no-audit --no-fund --silent \
   @tensorflow/tfjs@4.22.0 @tensorflow/tfjs-backend-wasm@4.22.0 @vladmandic/face-api@1.7.15)
/usr/bin/python3 - "$DATA" "$work" <<'PY'
import sys, cv2
data, work = sys.argv[1], sys.argv[2]
cv2.imwrite(f"{work}/messi5.pgm", cv2.imread(f"{data}/messi5.jpg", cv2.IMREAD_GRAYSCALE))
video = cv2.VideoCapture(f"{data}/Megamind.avi")
for _ in range(100): ok, frame = video.read()
cv2.imwrite(f"{work}/megamind-100.pgm", cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY))
# messi5.jpg's face (rows 82-141, columns 215-274) at 150x150, bilinear; PPM files hold RGB.
face = cv2.imread(f"{data}/messi5.jpg")[82:142, 215:275]
cv2.imwrite(f"{work}/messi5-face.ppm", cv2.resize(face, (150, 150), interpolation=cv2.INTER_LINEAR))
PY
cp "$HERE/pattern.js" "$HERE/tiny_face_detector.js" "$HERE/face_recognition.js" "$work/"
mkdir -p "$ROOT/tests/data/faceapi"
(cd "$work" && node tiny_face_detector.js "$WEIGHTS" "$ROOT/tests/data/faceapi/tiny_face_detector.json" \
   "$work/messi5.pgm" "$work/megamind-100.pgm" 2>&1 | grep -v "tfjs-node\|^=*$\|^Hi, looks like")
(cd "$work" && node face_recognition.js "$WEIGHTS" "$ROOT/tests/data/faceapi/face_recognition.json" \
   "$work/messi5-face.ppm" 2>&1 | grep -v "tfjs-node\|^=*$\|^Hi, looks like")
