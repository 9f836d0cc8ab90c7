#!/usr/bin/env bash
# Hostile and careless use of the command line, replayed (issue 19's probes). A full disk is
# stood in for by a file-size limit (ulimit -f, with SIGXFSZ ignored): every write past it fails
# as on a full disk, without root or a small filesystem.
set -u
FERKIT=${1:?usage: test_hostile_cli.sh path/to/ferkit}
source "$(dirname "$0")/../cli/cli_test_lib.sh"  # TMP, ok, bad, expect_fail

$FERKIT synth --out "$TMP/data" --scale 0.1 --seed 4 >/dev/null 2>&1 || { echo "synth failed"; exit 1; }

# 2. Training on a full disk: a clear error naming the checkpoint, non-zero exit, no temp files,
#    no abort with a stack trace.
out=$( (trap '' XFSZ; ulimit -f 64; exec $FERKIT train --data "$TMP/data" --out "$TMP/full" --epochs 2 --width 0.5) 2>&1 ); rc=$?
if [ $rc -ne 0 ] && [ $rc -lt 128 ]; then ok; else bad "train on a full disk: exit $rc"; fi
if grep -q "cannot write $TMP/full/.*: File too large" <<<"$out"; then ok; else bad "train on a full disk: message: $out"; fi
if grep -q "terminate called\|c10::Error\|frame #" <<<"$out"; then bad "train on a full disk: abort or trace: $out"; else ok; fi
if [ -z "$(find "$TMP/full" -name '*.tmp.*')" ]; then ok; else bad "train on a full disk left temp files: $(find "$TMP/full" -name '*.tmp.*')"; fi

# 4. predict --annotate on a full disk: failures counted, named, and a non-zero exit.
$FERKIT train --data "$TMP/data" --out "$TMP/run" --epochs 1 --width 0.25 >/dev/null 2>&1 || bad "train"
mkdir -p "$TMP/ann"
out=$( (trap '' XFSZ; ulimit -f 4; exec $FERKIT predict --model "$TMP/run" --detector none --annotate "$TMP/ann" "$TMP/data/FER2013Test") 2>&1 ); rc=$?
if [ $rc -ne 0 ]; then ok; else bad "predict --annotate on a full disk: exit 0"; fi
if grep -q "annotated copies could not be written (first: $TMP/ann/" <<<"$out"; then ok; else bad "predict --annotate: summary: $(tail -3 <<<"$out")"; fi
if [ -z "$(find "$TMP/ann" -size 0)" ]; then ok; else bad "predict --annotate left empty files: $(find "$TMP/ann" -size 0 | head -3)"; fi
if [ -z "$(find "$TMP/ann" -name '*.tmp.*')" ]; then ok; else bad "predict --annotate left temp files"; fi

# 11. A start that fails while setting up (here: no such data folder) leaves no half-made run folder.
$FERKIT train --data "$TMP/no-such-data" --out "$TMP/half" --epochs 1 >/dev/null 2>&1 && bad "train without data: exit 0"
if [ ! -e "$TMP/half" ]; then ok; else bad "train without data left $TMP/half: $(ls "$TMP/half")"; fi

# Round 2, item 2: commands never overwrite their own inputs (refused by name, input unchanged).
mkdir -p "$TMP/photos/C1" "$TMP/photos/C2"
src=$(find "$TMP/data/FER2013Test" -name '*.png' | head -1)
cp "$src" "$TMP/photos/C1/x.png"; cp "$src" "$TMP/photos/C2/x.png"
$FERKIT predict --model "$TMP/run" --detector none "$TMP/photos/C1/x.png" --json >/dev/null 2>&1 || bad "predict a png"
python3 -c "import cv2,sys; cv2.imwrite(sys.argv[2], cv2.imread(sys.argv[1]))" "$src" "$TMP/photos/C1/x.jpg" 2>/dev/null \
  || cp "$src" "$TMP/photos/C1/x.jpg"
before=$(md5sum "$TMP/photos/C1/x.png" | cut -d' ' -f1)
expect_fail "predict --annotate into its input folder" "is, or is inside, the input $TMP/photos" \
  $FERKIT predict --model "$TMP/run" --detector none --annotate "$TMP/photos" "$TMP/photos"
expect_fail "predict --annotate onto an input file" "exists and is not a folder" \
  $FERKIT predict --model "$TMP/run" --detector none --annotate "$TMP/photos/C1/x.png" "$TMP/photos/C1/x.png"
[ "$(md5sum "$TMP/photos/C1/x.png" | cut -d' ' -f1)" = "$before" ] && ok || bad "predict --annotate changed its input"
out=$($FERKIT predict --model "$TMP/run" --detector none --annotate "$TMP/ann3" "$TMP/photos/C1" "$TMP/photos/C2" 2>&1) \
  || bad "predict --annotate with colliding names: $out"
n=$(ls "$TMP/ann3" | wc -l)
[ "$n" = 3 ] && ok || bad "predict --annotate: 3 inputs named x, $n copies written: $(ls "$TMP/ann3")"
grep -q "2 annotated copies renamed" <<<"$out" && grep -q "x-2.png" <<<"$out" && ok || bad "predict --annotate: renames not listed: $out"
cp "$TMP/run/model.ferkit" "$TMP/keep.ferkit"
expect_fail "export --onnx over its model" "is the input" $FERKIT export --model "$TMP/run" --onnx "$TMP/run/model.ferkit"
expect_fail "ensemble --out over a member" "is the input" $FERKIT ensemble --out "$TMP/run/model.ferkit" "$TMP/run" "$TMP/keep.ferkit"
cmp -s "$TMP/run/model.ferkit" "$TMP/keep.ferkit" && ok || bad "export/ensemble changed the source bundle"
expect_fail "report --out over its metrics" "is the input" $FERKIT report --run "$TMP/run" --out "$TMP/run/metrics.csv"
expect_fail "audit --out into the data folder" "is inside the input folder" \
  $FERKIT audit --data "$TMP/data" --exact-only --out "$TMP/data/label.json"

# Round 2, items 3 and 15: outputs that are not regular files are refused, never replaced; a
# folder or an empty name is said as such.
mkfifo "$TMP/fifo"
expect_fail "export --onnx onto a FIFO" "is not a regular file" $FERKIT export --model "$TMP/run" --onnx "$TMP/fifo"
[ -p "$TMP/fifo" ] && ok || bad "export replaced the FIFO"
expect_fail "export --onnx onto /dev/null" "is not a regular file" $FERKIT export --model "$TMP/run" --onnx /dev/null
[ -c /dev/null ] && ok || bad "/dev/null is no longer a device"
expect_fail "export --onnx onto a folder" "is a folder" $FERKIT export --model "$TMP/run" --onnx "$TMP/photos"
expect_fail "export --onnx ''" "is empty" $FERKIT export --model "$TMP/run" --onnx ""
expect_fail "train --out onto a file" "exists and is not a folder" $FERKIT train --data "$TMP/data" --out "$src" --epochs 1

# Round 2, item 16: a run killed in its first epoch: both ways back name --overwrite; temp charts
# a killed report left are cleaned.
mkdir -p "$TMP/first"
$FERKIT train --data "$TMP/data" --out "$TMP/first" --epochs 1 --width 0.25 >/dev/null 2>&1
rm -f "$TMP/first/checkpoints/last.pt"
expect_fail "resume with no checkpoint" "--overwrite starts it again" $FERKIT train --data "$TMP/data" --out "$TMP/first" --epochs 1 --resume
expect_fail "rerun with no checkpoint" "--overwrite starts it again" $FERKIT train --data "$TMP/data" --out "$TMP/first" --epochs 1
mkdir -p "$TMP/run/plots"; echo half > "$TMP/run/plots/curves.png.tmp.999999999"
$FERKIT report --run "$TMP/run" >/dev/null 2>&1 || bad "report"
[ ! -e "$TMP/run/plots/curves.png.tmp.999999999" ] && ok || bad "report left a dead process's temp chart"

# Round 2, item 14: options that cannot work are refused by name, before any work.
img="$TMP/photos/C1/x.png"
expect_fail "predict --max-pixels -5" "--max-pixels must be positive" $FERKIT predict --model "$TMP/run" --detector none --max-pixels -5 "$img"
expect_fail "--threads -3" "--threads must be 0 (all cores) or from 1 to" $FERKIT --threads -3 predict --model "$TMP/run" --detector none "$img"
expect_fail "eval --bootstrap -1" "--bootstrap must be from 0" $FERKIT eval --model "$TMP/run" --data "$TMP/data" --bootstrap -1
for m in -100 1e9 nan; do
  expect_fail "predict --margin $m" "--margin must be from 0 to 2" $FERKIT predict --model "$TMP/run" --margin $m "$img"
done
# Item 15: a detector that is no cascade file is said as such, naming it.
expect_fail "predict --detector IMAGE" "--detector $img: not an OpenCV cascade classifier (XML)" \
  $FERKIT predict --model "$TMP/run" --detector "$img" "$img"
expect_fail "serve --workers 100000" "--workers must be from 1 to 1024" $FERKIT serve --model "$TMP/run" --workers 100000
expect_fail "serve --batch-wait-ms 2000000000" "--batch-wait-ms must be from 0 to 1000" $FERKIT serve --model "$TMP/run" --batch-wait-ms 2000000000

echo "hostile cli: $pass passed, $fail failed"
[ $fail -eq 0 ]
