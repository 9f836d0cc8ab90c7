#!/usr/bin/env bash
# The page of `ferkit serve` in a real browser, driven as a user would: headless Chromium through
# ChromeDriver (WebDriver, spoken with curl) opens http://127.0.0.1:PORT/, chooses a photograph in
# the page's own file field, and the test checks that the page drew a box, a label and a bar per
# class, reading the canvas's pixels; a screenshot is kept as a test artefact.
# Exit 77 (skipped) without chromium, chromedriver, Debian's opencv-doc photo or the default model.
set -u
FERKIT=${1:?usage: test_page_browser.sh path/to/ferkit ARTIFACT_DIR}
ARTIFACTS=${2:?usage: test_page_browser.sh path/to/ferkit ARTIFACT_DIR}
PHOTO=/usr/share/doc/opencv-doc/examples/data/messi5.jpg
CHROME=$(command -v chromium || true)
DRIVER=$(command -v chromedriver || true)
for need in "$CHROME" "$DRIVER"; do [ -n "$need" ] || { echo "SKIPPED: needs chromium and chromium-driver (scripts/install-deps.sh)"; exit 77; }; done
[ -f "$PHOTO" ] || { echo "SKIPPED: needs $PHOTO (Debian opencv-doc)"; exit 77; }
"$FERKIT" models 2>/dev/null | grep -q "(default)" || { echo "SKIPPED: no default shipped model"; exit 77; }
TMP=$(mktemp -d)
SERVER=""; CHROMEDRIVER=""
cleanup() { [ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null; [ -n "$CHROMEDRIVER" ] && kill "$CHROMEDRIVER" 2>/dev/null; wait 2>/dev/null; rm -rf "$TMP"; }
trap cleanup EXIT
fail() { echo "FAIL: $*"; [ -f "$TMP/serve.err" ] && tail -n 5 "$TMP/serve.err"; exit 1; }
json() { /usr/bin/python3 -c "import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))" "$1"; }

detector=haar; [ -f /usr/share/dlib/shape_predictor_68_face_landmarks.dat ] && detector=dlib
"$FERKIT" serve --port 0 --detector $detector >"$TMP/serve.out" 2>"$TMP/serve.err" &
SERVER=$!
for _ in $(seq 200); do grep -q "listening on" "$TMP/serve.out" 2>/dev/null && break; sleep 0.1; done
url=$(sed -n 's/^listening on //p' "$TMP/serve.out")
[ -n "$url" ] || fail "the server did not start"

port=$(/usr/bin/python3 -c "import socket; s=socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])")
"$DRIVER" --port="$port" >"$TMP/driver.log" 2>&1 &
CHROMEDRIVER=$!
wd="http://127.0.0.1:$port"
for _ in $(seq 100); do curl -sf "$wd/status" >/dev/null 2>&1 && break; sleep 0.1; done
call() {  # call METHOD PATH [JSON]: a WebDriver command; prints the reply
  curl -s -X "$1" "$wd$2" -H 'Content-Type: application/json' ${3:+-d "$3"}
}
caps='{"capabilities":{"alwaysMatch":{"browserName":"chrome","goog:chromeOptions":{"binary":"'"$CHROME"'","args":["--headless","--no-sandbox","--disable-gpu","--disable-dev-shm-usage","--window-size=1200,1000","--disable-background-networking","--disable-component-update","--no-first-run","--user-data-dir='"$TMP"'/profile"]}}}}'
session=$(call POST /session "$caps" | json 'd["value"]["sessionId"]') || fail "no WebDriver session: $(tail -n 3 "$TMP/driver.log")"
s="/session/$session"
call POST "$s/url" '{"url":"'"$url"'/"}' >/dev/null
element=$(call POST "$s/element" '{"using":"css selector","value":"#file"}' | json 'list(d["value"].values())[0]') || fail "no file field on the page"
call POST "$s/element/$element/value" '{"text":"'"$PHOTO"'"}' >/dev/null
faces=""
for _ in $(seq 100); do
  faces=$(call POST "$s/execute/sync" '{"script":"return document.body.dataset.faces || \"\"","args":[]}' | json 'd["value"]')
  [ -n "$faces" ] && break; sleep 0.2
done
[ -n "$faces" ] || fail "the page showed no result: $(call POST "$s/execute/sync" '{"script":"return document.getElementById(\"status\").textContent","args":[]}')"
[ "$faces" -ge 1 ] || fail "no face found in $PHOTO"
# The drawn box: its top-left corner on the canvas has the first face's colour (#e6194b); the
# label, the face card with 8 bars and the status line are there.
check=$(call POST "$s/execute/sync" '{"script":"const b = JSON.parse(document.body.dataset.boxes)[0]; const c = document.getElementById(\"canvas\").getContext(\"2d\"); const p = c.getImageData(Math.round(b[0]), Math.round(b[1] + b[3] / 2), 1, 1).data; const card = document.querySelector(\".face\"); return [p[0], p[1], p[2], card.querySelectorAll(\".bar\").length, card.dataset.emotion, document.getElementById(\"status\").textContent].join(\" \")","args":[]}' | json 'd["value"]')
read -r r g b bars emotion status_text <<<"$check"
[ "$r" -gt 180 ] && [ "$g" -lt 90 ] && [ "$b" -lt 130 ] || fail "no box drawn on the canvas (pixel $r $g $b)"
[ "$bars" = 8 ] || fail "expected 8 bars, got $bars"
[ -n "$emotion" ] || fail "no emotion on the face card"
mkdir -p "$ARTIFACTS"
call GET "$s/screenshot" | json 'd["value"]' | base64 -d >"$ARTIFACTS/serve-page-screenshot.png" 2>/dev/null
size=$(stat -c %s "$ARTIFACTS/serve-page-screenshot.png" 2>/dev/null || echo 0)
[ "$size" -gt 20000 ] || fail "screenshot missing or blank ($size bytes)"
call DELETE "$s" >/dev/null
echo "serve page in chromium: $faces face(s) in $(basename "$PHOTO") with $detector, first: $emotion; status '$status_text'; screenshot $ARTIFACTS/serve-page-screenshot.png ($size bytes)"
