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

echo "hostile cli: $pass passed, $fail failed"
[ $fail -eq 0 ]
