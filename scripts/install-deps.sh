#!/usr/bin/env bash
# Installs what ferkit needs to build, test and run on Debian 12, as root.
# Idempotent: installs only the packages that are missing; does nothing when all are present.
set -euo pipefail

# Build and library dependencies, then the Python oracle (tests only) and the tools around it,
# then the Python module's build (pybind11) and the .deb's (dpkg-shlibdeps).
PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config
  libtorch-dev libopenblas0-pthread libgloo-dev
  libopencv-dev zlib1g-dev opencv-data libdlib-dev libdlib-data
  libcli11-dev nlohmann-json3-dev libspdlog-dev libfmt-dev libyaml-cpp-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libcpp-httplib-dev libonnx-dev libprotobuf-dev protobuf-compiler libmgl-dev
  chromium chromium-driver fonts-dejavu-core curl time opencv-doc universal-ctags
  python3-torch python3-torchvision python3-numpy python3-pil python3-onnx python3-opencv
  pybind11-dev python3-dev dpkg-dev
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

# face-api's weights (the tiny face detector) come from the npm registry's tarball, into
# third_party/face-api; without them ferkit still runs (dlib or haar finds faces).
# (after the packages: it needs curl)
fetch_face_api() {
  bash "$(dirname "$0")/fetch-face-api.sh" || echo "install-deps: face-api's weights were not fetched (see above)" >&2
}

if [ ${#missing[@]} -eq 0 ]; then
  fetch_face_api
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "install-deps: these packages are missing and I am not root: ${missing[*]}" >&2
    exit 1
  fi
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fetch_face_api
