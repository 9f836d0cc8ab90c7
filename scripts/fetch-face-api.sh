#!/usr/bin/env bash
# Fetches face-api's model weights (npm package @vladmandic/face-api 1.7.15, MIT) into
# third_party/face-api/: the tiny face detector (ferkit's --detector tiny), the 68-point landmark
# model, and the face-identity ResNet (the face_resnet backbone's pretrained weights, --weights face-api). Only the registry's tarball is fetched (no npm needed); its SHA-256 is checked.
# Idempotent: does nothing when the files are there. Usage: scripts/fetch-face-api.sh [DEST]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DEST=${1:-$ROOT/third_party/face-api}
URL=https://registry.npmjs.org/@vladmandic/face-api/-/face-api-1.7.15.tgz
SHA256=0d77fffeef362ef9c0939cf6c567f3a2e8e177f114fa257a3270cbd2e509b031
FILES=(tiny_face_detector_model-weights_manifest.json tiny_face_detector_model.bin
       face_landmark_68_model-weights_manifest.json face_landmark_68_model.bin
       face_recognition_model-weights_manifest.json face_recognition_model.bin)

have_all=1
for f in "${FILES[@]}"; do [ -s "$DEST/$f" ] || have_all=0; done
[ "$have_all" = 1 ] && exit 0

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "fetch-face-api: downloading $URL"
if ! curl -sSfL --retry 3 -o "$tmp/face-api.tgz" "$URL"; then
  echo "fetch-face-api: could not download $URL; --detector tiny will not be available" >&2
  exit 1
fi
echo "$SHA256  $tmp/face-api.tgz" | sha256sum -c --quiet - || { echo "fetch-face-api: checksum mismatch for $URL" >&2; exit 1; }
tar -xzf "$tmp/face-api.tgz" -C "$tmp" $(printf 'package/model/%s ' "${FILES[@]}") package/LICENSE
mkdir -p "$DEST"
for f in "${FILES[@]}" ; do cp "$tmp/package/model/$f" "$DEST/$f.tmp.$$" && mv "$DEST/$f.tmp.$$" "$DEST/$f"; done
cp "$tmp/package/LICENSE" "$DEST/LICENSE"
echo "fetch-face-api: $DEST"
