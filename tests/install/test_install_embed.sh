#!/usr/bin/env bash
# Installs ferkit into a temporary prefix (cmake --install), checks what lands there, builds
# examples/embed against it with find_package(ferkit) and again with pkg-config, runs both on a
# real photo, runs the installed program (which must find its models under the prefix), and
# makes the .deb (cpack), checking its files and declared dependencies.
# usage: test_install_embed.sh BUILD_DIR SOURCE_DIR
set -u  # (no pipefail: output is captured before grep -q reads it)
BUILD=$(cd "$1" && pwd)
SRC=$(cd "$2" && pwd)
PHOTO=/usr/share/doc/opencv-doc/examples/data/messi5.jpg
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fails=0
ok() { echo "ok: $1"; }
bad() { echo "FAIL: $1"; fails=$((fails + 1)); }

# README's "Using ferkit from C++" shows the example itself (this test is what runs it).
readme_cpp=$(awk '/^## Using ferkit from C\+\+/{s=1} s&&/^```cpp/{c=1;next} c&&/^```/{exit} c' "$SRC/README.md")
[ "$readme_cpp" = "$(cat "$SRC/examples/embed/main.cpp")" ] && ok "README shows examples/embed/main.cpp as it is" ||
  bad "README's C++ snippet differs from examples/embed/main.cpp"

P=$TMP/prefix
cmake --install "$BUILD" --prefix "$P" >"$TMP/install.log" 2>&1 || { cat "$TMP/install.log"; echo "FAIL: cmake --install"; exit 1; }
for f in bin/ferkit lib/libferkit.so lib/libferkit.so.0 include/ferkit/model.h include/ferkit/train.h include/ferkit/evaluate.h \
         include/ferkit/error.h include/ferkit/ferkit.h lib/cmake/ferkit/ferkitConfig.cmake lib/cmake/ferkit/ferkitConfigVersion.cmake \
         lib/pkgconfig/ferkit.pc share/ferkit/models/ferplus-small.ferkit share/ferkit/models/ferplus-small.md \
         share/ferkit/recipes/cpu-fast.yaml; do
  [ -e "$P/$f" ] && ok "installed $f" || bad "not installed: $f"
done
ls "$P"/include/ferkit | grep -qv '\.h$' && bad "non-header files in include/ferkit" || ok "only headers in include/ferkit"

# The installed program finds its shipped models under the prefix, not in the source tree.
if grep -q "\"bundle\": *\"$P/share/ferkit/models/ferplus-small.ferkit\"" <<<"$("$P/bin/ferkit" models --json 2>&1)"; then
  ok "installed ferkit finds its models under the prefix"
else
  bad "installed ferkit models: $("$P/bin/ferkit" models --json 2>&1 | head -5)"
fi

# find_package(ferkit): the example's own CMake project.
if cmake -S "$SRC/examples/embed" -B "$TMP/embed" -G Ninja -DCMAKE_PREFIX_PATH="$P" >"$TMP/embed.log" 2>&1 &&
   cmake --build "$TMP/embed" >>"$TMP/embed.log" 2>&1; then
  ok "examples/embed builds with find_package(ferkit)"
else
  cat "$TMP/embed.log"; bad "examples/embed does not build"
fi
# pkg-config, the other way in.
if g++ -std=c++17 "$SRC/examples/embed/main.cpp" -o "$TMP/embed-pc" $(PKG_CONFIG_PATH="$P/lib/pkgconfig" pkg-config --cflags --libs ferkit) \
     -Wl,-rpath,"$P/lib" 2>"$TMP/pc.log"; then
  ok "examples/embed builds with pkg-config"
else
  cat "$TMP/pc.log"; bad "examples/embed does not build with pkg-config"
fi
# Neither needs LibTorch's headers: the compile lines name no torch include folder.
grep -q "torch" "$TMP/embed/build.ninja" && bad "the example's build names LibTorch" || ok "the example's build needs no LibTorch headers"

if [ -f "$PHOTO" ]; then
  for exe in "$TMP/embed/embed" "$TMP/embed-pc"; do
    [ -x "$exe" ] || continue
    out=$("$exe" "$PHOTO" 2>&1)
    if grep -q "with $P/share/ferkit/models/ferplus-small.ferkit" <<<"$out" && grep -qE "^face at [0-9]+,[0-9]+ \([0-9]+x[0-9]+\): [a-z]+ 0\.[0-9]+" <<<"$out" &&
       grep -q "$P/lib/libferkit.so" <<<"$(ldd "$exe")"; then
      ok "$(basename "$exe") on messi5.jpg: $(grep -c '^face at' <<<"$out") face(s), installed model and library"
    else
      bad "$(basename "$exe") on messi5.jpg: $out"
    fi
  done
  out=$("$TMP/embed/embed" /nonexistent.jpg 2>&1); rc=$?
  [ $rc -eq 1 ] && grep -q "/nonexistent.jpg" <<<"$out" && ok "a missing photo: exit 1 naming it" || bad "missing photo: rc $rc: $out"
else
  echo "skip: no messi5.jpg (Debian's opencv-doc): the example was built but not run"
fi

# The .deb: its files and its declared dependencies (from dpkg-shlibdeps).
if command -v dpkg-shlibdeps >/dev/null; then
  if (cd "$BUILD" && cpack -G DEB -B "$TMP/pkg" >"$TMP/cpack.log" 2>&1); then
    deb=$(ls "$TMP"/pkg/*.deb | head -1)
    files=$(dpkg-deb -c "$deb")
    for f in ./usr/bin/ferkit ./usr/lib/libferkit.so.0 ./usr/include/ferkit/model.h ./usr/lib/cmake/ferkit/ferkitConfig.cmake \
             ./usr/share/ferkit/models/ferplus-small.ferkit; do
      grep -q " $f" <<<"$files" && ok "the .deb holds $f" || bad "the .deb lacks $f"
    done
    depends=$(dpkg-deb -f "$deb" Depends)
    for d in libtorch libopencv-core libdlib libyaml-cpp libdlib-data; do
      grep -q "$d" <<<"$depends" && ok "the .deb depends on $d" || bad "the .deb does not declare $d: $depends"
    done
    # Would it install here? apt resolves the declared dependencies against the archive.
    if apt-get install -s "$deb" >"$TMP/apt.log" 2>&1; then ok "apt-get install -s accepts the .deb"; else bad "apt-get install -s: $(tail -5 "$TMP/apt.log")"; fi
  else
    cat "$TMP/cpack.log"; bad "cpack"
  fi
else
  echo "skip: no dpkg-shlibdeps (dpkg-dev): the .deb was not made"
fi

[ $fails -eq 0 ] && echo "install and embed: all passed" || echo "install and embed: $fails failed"
[ $fails -eq 0 ]
