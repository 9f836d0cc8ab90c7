#!/usr/bin/env bash
# The report in a real browser: headless Chromium loads report.html of a short run, the page's
# own script counts the images that decoded, and a screenshot is kept as a test artefact.
# Exit 77 (skipped) when Chromium is not installed (scripts/install-deps.sh installs it).
set -u
FERKIT=${1:?usage: test_report_browser.sh path/to/ferkit ARTIFACT_DIR}
ARTIFACTS=${2:?usage: test_report_browser.sh path/to/ferkit ARTIFACT_DIR}
CHROME=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
if [ -z "$CHROME" ]; then echo "SKIPPED: no chromium on PATH (apt-get install chromium)"; exit 77; fi
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

$FERKIT synth --out "$TMP/data" --scale 0.1 --seed 5 >/dev/null 2>&1 || fail "synth"
$FERKIT train --data "$TMP/data" --out "$TMP/run" --epochs 2 --width 0.25 --posthoc-tau auto >"$TMP/train.log" 2>&1 || fail "train: $(tail -n 3 "$TMP/train.log")"
$FERKIT eval --model "$TMP/run" --data "$TMP/data" --split test >/dev/null 2>&1 || fail "eval"
$FERKIT report --run "$TMP/run" >/dev/null 2>&1 || fail "report"
[ -f "$TMP/run/report.html" ] || fail "no report.html"

# Chromium as root needs --no-sandbox; a private profile keeps runs independent.
chrome() {
  timeout 120 "$CHROME" --headless --no-sandbox --disable-gpu --disable-dev-shm-usage --hide-scrollbars \
    --user-data-dir="$TMP/profile" --virtual-time-budget=5000 "$@" 2>"$TMP/chrome.err"
}
chrome --dump-dom "file://$TMP/run/report.html" >"$TMP/dom.html" || fail "chromium --dump-dom: $(tail -n 3 "$TMP/chrome.err")"
body=$(grep -o '<body[^>]*>' "$TMP/dom.html" | head -n 1)
images=$(sed -n 's/.*data-images="\([0-9]*\)".*/\1/p' <<<"$body")
broken=$(sed -n 's/.*data-images-broken="\([0-9]*\)".*/\1/p' <<<"$body")
[ -n "$images" ] || fail "the page's load script did not run: $body"
[ "$images" -ge 7 ] || fail "expected at least 7 images, the page has $images"
[ "$broken" = "0" ] || fail "$broken of $images images did not load"
for id in summary curves stability classes confusion calibration distribution posthoc evals audit warnings config; do
  grep -q "id=\"$id\"" "$TMP/dom.html" || fail "section $id missing"
done
mkdir -p "$ARTIFACTS"
chrome --screenshot="$ARTIFACTS/report-screenshot.png" --window-size=1400,7000 "file://$TMP/run/report.html" >/dev/null ||
  fail "chromium --screenshot: $(tail -n 3 "$TMP/chrome.err")"
size=$(stat -c %s "$ARTIFACTS/report-screenshot.png" 2>/dev/null || echo 0)
[ "$size" -gt 50000 ] || fail "screenshot missing or blank ($size bytes)"
echo "report in chromium: $images images, all loaded; screenshot $ARTIFACTS/report-screenshot.png ($size bytes)"
