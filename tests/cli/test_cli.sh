#!/usr/bin/env bash
# The command line as a user meets it: help, the demo path on a small synthetic set, JSON output,
# and bad input (a clear message naming file and line, a non-zero exit, no output left behind).
set -u
FERKIT=${1:?usage: test_cli.sh path/to/ferkit}
source "$(dirname "$0")/cli_test_lib.sh"  # TMP, ok, bad, expect_fail

for cmd in "" synth "data stats" audit train eval robustness report compare launch ensemble; do
  if $FERKIT $cmd --help >/dev/null 2>&1; then ok; else bad "ferkit $cmd --help"; fi
done
expect_fail "no command" "A subcommand is required" $FERKIT

$FERKIT synth --out "$TMP/data" --scale 0.1 --seed 4 >/dev/null 2>&1 && ok || bad "synth"
json=$($FERKIT data stats --data "$TMP/data" --json 2>/dev/null)
if /usr/bin/python3 - "$json" <<'PY'
import json, sys
d = json.loads(sys.argv[1])
s = {x["name"]: x for x in d["splits"]}
assert s["train"]["images"] == 400 and s["valid"]["images"] == 80 and s["test"]["images"] == 80, s
assert sum(s["train"]["classes"].values()) == s["train"]["kept"]
assert s["train"]["kept"] + s["train"]["excluded"] == 400
assert sum(s["train"]["agreement"]) == 400
PY
then ok; else bad "data stats --json"; fi
expect_fail "synth into non-empty" "not empty" $FERKIT synth --out "$TMP/data"
ajson=$($FERKIT audit --data "$TMP/data" --json 2>/dev/null)
if /usr/bin/python3 - "$ajson" <<'PY'
import json, sys
a = json.loads(sys.argv[1])
assert a["images"] == 560 and a["near_duplicates_searched"], a["images"]
assert a["noise_floor"]["valid"]["scored_images"] > 0
assert abs(a["noise_floor"]["valid"]["min_resolvable_difference_points"] - 1.96 * 2 ** 0.5 * a["noise_floor"]["valid"]["standard_error_points"]) < 1e-9
assert set(a["label_noise"]) == {"train", "valid", "test"} and isinstance(a["warnings"], list)
PY
then ok; else bad "audit --json"; fi
expect_fail "audit of no data" "matches no known data layout" $FERKIT audit --data "$TMP"

$FERKIT train --data "$TMP/data" --out "$TMP/run" --epochs 1 --width 0.25 >/dev/null 2>&1 && ok || bad "train"
# progressive resizing: epoch 1 at 32x32, epoch 2 at the input size (no line for it)
pr=$($FERKIT train --data "$TMP/data" --out "$TMP/run_pr" --epochs 2 --width 0.25 --progressive-resize 32:1 2>&1)
if grep -q "epoch 1: training at 32x32 (progressive resizing)" <<<"$pr" && ! grep -q "epoch 2: training at" <<<"$pr" &&
   grep -q "^progressive_resize: 32:1" "$TMP/run_pr/config.yaml"; then ok; else bad "train --progressive-resize: $(tail -3 <<<"$pr")"; fi
expect_fail "depth on a backbone without the setting" "backbone resnet18 has no depth setting (small_cnn has)" \
  $FERKIT train --data "$TMP/data" --out "$TMP/run_depth" --epochs 1 --backbone resnet18 --depth 3
expect_fail "progressive resizing past the last epoch" "progressive_resize: its stages take 2 of the 2 epochs" \
  $FERKIT train --data "$TMP/data" --out "$TMP/run_pr2" --epochs 2 --progressive-resize 32:2
# Distillation from that run: the teacher is named in the log and kept in config.yaml for --resume.
kd=$($FERKIT train --data "$TMP/data" --out "$TMP/run_kd" --epochs 1 --width 0.25 --teacher "$TMP/run" --teacher-weight 0.7 2>&1)
if grep -q "distillation: 1 teacher(s) ($TMP/run/model.ferkit), weight 0.7, temperature 2" <<<"$kd" &&
   grep -q "^teacher: $TMP/run" "$TMP/run_kd/config.yaml"; then ok; else bad "train --teacher: $(tail -3 <<<"$kd")"; fi
expect_fail "train --teacher with another input" "its input (48x48 gray, normalize none, from 48x48 stored images) differs from this run's (64x64" \
  $FERKIT train --data "$TMP/data" --out "$TMP/run_kd2" --epochs 1 --width 0.25 --teacher "$TMP/run" --input-size 64
# A relative data folder is kept absolute in config.yaml, so the run resumes from anywhere.
(cd "$TMP" && $FERKIT train --data data --out relrun --epochs 1 --width 0.25 >"$TMP/relrun.log" 2>&1) &&
  grep -q "^data: $TMP/data " "$TMP/relrun/config.yaml" && (cd / && $FERKIT train --out "$TMP/relrun" --resume --epochs 2 >/dev/null 2>&1) &&
  [ "$(wc -l <"$TMP/relrun/metrics.csv")" = 3 ] && ok || bad "relative --data: $(grep "^data:" "$TMP/relrun/config.yaml"): $(tail -3 "$TMP/relrun.log")"
[ -f "$TMP/run/model.ferkit" ] && [ -f "$TMP/run/metrics.csv" ] && ok || bad "run folder incomplete"
ejson=$($FERKIT eval --model "$TMP/run" --data "$TMP/data" --split test --json 2>/dev/null)
if /usr/bin/python3 -c "import json,sys; d=json.loads(sys.argv[1]); m=d['metrics']; assert m['count']>0 and 0<=m['accuracy']<=1" "$ejson"; then ok; else bad "eval --json"; fi
[ -f "$TMP/run/eval-test.json" ] && ok || bad "eval-test.json not written"
tjson=$($FERKIT eval --model "$TMP/run" --data "$TMP/data" --split valid --tta ten-crop --json 2>/dev/null)
if /usr/bin/python3 -c "
import json,sys; d=json.loads(sys.argv[1]); m=d['metrics']
assert d['tta']=='ten-crop' and m['count']>0 and len(m['accuracy_ci95'])==2 and 'multi_target_accuracy' in m
assert m['accuracy_ci95'][0] <= m['accuracy'] <= m['accuracy_ci95'][1]" "$tjson"; then ok; else bad "eval --tta ten-crop --json"; fi
[ -f "$TMP/run/eval-valid-ten-crop.json" ] && ok || bad "eval-valid-ten-crop.json not written"
expect_fail "eval unknown tta" "unknown test-time augmentation 'rotate'" $FERKIT eval --model "$TMP/run" --data "$TMP/data" --tta rotate
rjson=$($FERKIT robustness --model "$TMP/run" --data "$TMP/data" --kinds blur,jpeg --exclude-copies-of train --json 2>/dev/null)
if /usr/bin/python3 -c 'import json,sys; j=json.loads(sys.argv[1]); r=j["result"]["perturbed"]; assert [(x["kind"], x["level"]) for x in r] == [("blur","mild"),("blur","moderate"),("blur","strong"),("jpeg","mild"),("jpeg","moderate"),("jpeg","strong")]; assert "without_copies" in j' "$rjson" 2>/dev/null; then ok; else bad "robustness --json: $rjson"; fi
expect_fail "robustness unknown kind" "unknown perturbation 'fog'" $FERKIT robustness --model "$TMP/run" --data "$TMP/data" --kinds fog
expect_fail "eval other image size" "the model was trained on 48x48 images but --image-size is 64" $FERKIT eval --model "$TMP/run" --data "$TMP/data" --image-size 64
rm -f "$TMP/run/report.html"
$FERKIT report --run "$TMP/run" >/dev/null 2>&1 && grep -q 'id="evals"' "$TMP/run/report.html" && ok || bad "report --run"
expect_fail "report of a non-run" "not a run folder" $FERKIT report --run "$TMP/data"
expect_fail "serve on port 99999" "--port: Value 99999 not in range 0 to 65535" $FERKIT serve --port 99999
expect_fail "serve with negative max-pixels" "--max-pixels: must be a number > 0, not -5" $FERKIT serve --max-pixels -5
expect_fail "train over a finished run" "holds a run (config.yaml, metrics.csv or summary.json): --resume continues it, --overwrite replaces it" \
  $FERKIT train --data "$TMP/data" --out "$TMP/run" --epochs 1 --width 0.25
# A run folder written by a newer ferkit is refused, not misread; this version's folders open.
cp -r "$TMP/run" "$TMP/run-newer"
sed -i 's/"format_version": 1/"format_version": 99/' "$TMP/run-newer/summary.json"
expect_fail "newer run folder" "run-newer/summary.json: run folder format version 99 is newer than this ferkit reads" $FERKIT report --run "$TMP/run-newer"
# the full audit kept with the run (replacing training's exact-only one), and as a page of its own
$FERKIT audit --data "$TMP/data" --run "$TMP/run" --html "$TMP/audit.html" >/dev/null 2>&1 &&
  /usr/bin/python3 -c "import json,sys; assert json.load(open(sys.argv[1]))['near_duplicates_searched']" "$TMP/run/audit.json" &&
  grep -q 'id="audit"' "$TMP/run/report.html" && grep -q 'Noise floor' "$TMP/audit.html" && ok || bad "audit --run --html"

# weights inspect: a torchvision state dict and ferkit's own bundle
if /usr/bin/python3 -c "import torchvision" 2>/dev/null; then
  /usr/bin/python3 "$(dirname "$0")/../models/make_torchvision_reference.py" resnet18 "$TMP" 32 >/dev/null 2>&1
  if $FERKIT weights inspect "$TMP/resnet18_legacy.pt" 2>&1 | grep -q "architecture: resnet18 (width 1, 3 input channels)"; then ok; else bad "weights inspect resnet18"; fi
fi
if $FERKIT weights inspect "$TMP/run/model.ferkit" --json | grep -q '"format": "ferkit-bundle"'; then ok; else bad "weights inspect bundle"; fi
if $FERKIT weights inspect "$TMP/run/checkpoints/last.pt" | grep -q "architecture: small_cnn (width 0.25, 1 input channels)"; then ok; else bad "weights inspect checkpoint"; fi
# a bundle as starting weights: continue from the run just made
if $FERKIT train --data "$TMP/data" --out "$TMP/run_from_bundle" --epochs 1 --width 0.25 --weights "$TMP/run/model.ferkit" 2>&1 | grep -q "tensors loaded, 0 missing, 0 unexpected"; then ok; else bad "train --weights bundle"; fi
$FERKIT compare "$TMP/run" "$TMP/run_from_bundle" --out "$TMP/cmp.html" >/dev/null 2>&1 && grep -q "<td>run_from_bundle</td>" "$TMP/cmp.html" && ok || bad "compare"
expect_fail "weights of junk" "cannot read as a PyTorch state dict" $FERKIT weights inspect "$TMP/data/README.txt"

# bad input
mkdir -p "$TMP/empty"
expect_fail "no layout" "matches no known data layout" $FERKIT data stats --data "$TMP/empty"
cp -r "$TMP/data" "$TMP/broken"
sed -i '5s/.*/fer0000004.png,"(0, 0, 48, 48)",1,2,3,4,5,6,7,8,x,0/' "$TMP/broken/FER2013Train/label.csv"
expect_fail "letter vote" "FER2013Train/label.csv:5: vote count for unknown is 'x'" $FERKIT data stats --data "$TMP/broken"
if $FERKIT data stats --data "$TMP/broken" --skip-bad 2>&1 | grep -q "skipped 1 bad"; then ok; else bad "--skip-bad count"; fi
expect_fail "bad label mode" "unknown label mode 'most'" $FERKIT data stats --data "$TMP/data" --label-mode most
expect_fail "unknown key" "unknown option, config key or argument: --bogus 1 (see \`ferkit train --help\`)" $FERKIT train --data "$TMP/data" --out "$TMP/run2" --config /dev/null --bogus 1
expect_fail "unknown backbone" "unknown backbone 'resnet9000'" $FERKIT train --data "$TMP/data" --out "$TMP/run3" --backbone resnet9000
expect_fail "bad value" "bad value 'ten' for epochs" $FERKIT train --data "$TMP/data" --out "$TMP/run4" --epochs ten
# the error names the flag as typed (dashes), not the config key
expect_fail "bad value names the flag" "--posthoc-tau: bad value '-1'" $FERKIT train --data "$TMP/data" --out "$TMP/run4" --posthoc-tau -1
expect_fail "unknown recipe" "unknown recipe 'fastest' (known: cpu-fast, seed, speedrun, stable)" $FERKIT train --data "$TMP/data" --out "$TMP/run5" --recipe fastest
expect_fail "unknown loss" "unknown loss 'hinge'" $FERKIT train --data "$TMP/data" --out "$TMP/run6" --loss hinge
expect_fail "resume without a run" "no such file; is $TMP/nothing a ferkit run?" $FERKIT train --out "$TMP/nothing" --resume

# predict: face crops (--detector none) from a folder, JSON lines; bad inputs are reported per
# input, the others still processed, and the exit is non-zero
mkdir -p "$TMP/photos/sub"
cp "$TMP/data/FER2013Test/fer0000000.png" "$TMP/data/FER2013Test/fer0000001.png" "$TMP/photos/"
cp "$TMP/data/FER2013Test/fer0000002.png" "$TMP/photos/sub/"
: > "$TMP/photos/empty.png"
echo "not an image" > "$TMP/photos/text.jpg"
printf '\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x75\x30\x00\x00\x75\x30\x08\x00\x00\x00\x00' > "$TMP/photos/huge.png"
echo "not a video" > "$TMP/photos/clip.mp4"
$FERKIT predict --model "$TMP/run" --detector none --json "$TMP/photos" "$TMP/missing.png" >"$TMP/pred.jsonl" 2>"$TMP/pred.err"; rc=$?
if [ $rc -eq 1 ] && /usr/bin/python3 - "$TMP/pred.jsonl" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert len(rows) == 8, len(rows)
by = {r["source"].split("/")[-1]: r for r in rows}
for f in ("fer0000000.png", "fer0000001.png", "fer0000002.png"):
    faces = by[f]["faces"]
    assert len(faces) == 1 and faces[0]["box"] == {"x": 0, "y": 0, "width": 48, "height": 48}, by[f]
    assert abs(sum(faces[0]["probabilities"].values()) - 1) < 1e-4
assert "empty file (0 bytes)" in by["empty.png"]["error"]
assert "not an image" in by["text.jpg"]["error"]
assert "30000x30000 pixels" in by["huge.png"]["error"], by["huge.png"]
assert "cannot open the video" in by["clip.mp4"]["error"], by["clip.mp4"]
assert "no such file" in by["missing.png"]["error"]
PY
then ok; else bad "predict --json with bad inputs (rc $rc): $(tail -n 3 "$TMP/pred.err")"; fi
grep -q "5 of 8 inputs failed" "$TMP/pred.err" && ok || bad "predict: no summary of the failures"
$FERKIT predict --model "$TMP/run" --detector none --csv --annotate "$TMP/ann" "$TMP/photos/fer0000000.png" >"$TMP/pred.csv" 2>/dev/null &&
  head -n 1 "$TMP/pred.csv" | grep -q "^source,frame,face,x,y,width,height,emotion,confidence,p_neutral" &&
  [ "$(wc -l <"$TMP/pred.csv")" -eq 2 ] && [ -s "$TMP/ann/fer0000000.png" ] && ok || bad "predict --csv --annotate"
expect_fail "predict with a missing cascade" "no such cascade file" $FERKIT predict --model "$TMP/run" --detector "$TMP/none.xml" "$TMP/photos"

# The shipped models: listed, and the default one used when --model is absent (models/ of the
# source tree this binary was built from).
$FERKIT models 2>/dev/null | grep -q "^ferplus-small .*(default)" && ok || bad "models lists the default model"
out=$($FERKIT predict --detector none "$TMP/photos/fer0000000.png" 2>&1)
grep -q "face at" <<<"$out" && grep -q "model ferplus-small (shipped model, the default)" <<<"$out" && ok || bad "predict without --model: $out"
$FERKIT predict --model ferplus-small --detector none --json "$TMP/photos/fer0000000.png" 2>/dev/null | grep -q '"faces"' && ok || bad "predict --model NAME"
# ensemble: two runs as one bundle (scored on --data), that eval, predict and export take as one model
if $FERKIT ensemble "$TMP/run" "$TMP/run_kd" --out "$TMP/ens.ferkit" --data "$TMP/data" --split valid 2>"$TMP/ens.err" &&
   grep -q "an ensemble of 2 models" "$TMP/ens.err" && [ ! -e "$TMP/ens.ferkit.unscored" ]; then ok; else bad "ensemble: $(tail -3 "$TMP/ens.err")"; fi
ens_acc=$($FERKIT eval --model "$TMP/ens.ferkit" --data "$TMP/data" --split valid --json 2>/dev/null | /usr/bin/python3 -c "import json,sys; print(round(json.load(sys.stdin)['metrics']['accuracy'], 6))")
kept_acc=$($FERKIT weights inspect "$TMP/ens.ferkit" --json 2>/dev/null | /usr/bin/python3 -c "import json,sys; d = json.load(sys.stdin); assert len(d['model']['members']) == 2; print(round(d['extra']['val_accuracy'], 6))")
[ -n "$ens_acc" ] && [ "$ens_acc" = "$kept_acc" ] && ok || bad "ensemble: the kept figure ($kept_acc) is not eval's ($ens_acc)"
$FERKIT predict --model "$TMP/ens.ferkit" --detector none --json "$TMP/photos/fer0000000.png" 2>/dev/null | grep -q '"faces"' && ok || bad "predict with an ensemble"
$FERKIT export --model "$TMP/ens.ferkit" --onnx "$TMP/ens.onnx" >/dev/null 2>&1 && [ -s "$TMP/ens.onnx" ] && ok || bad "export an ensemble"
# its own post-hoc adjustment, kept in the bundle and exported
$FERKIT ensemble "$TMP/run" "$TMP/run_kd" --out "$TMP/ens_tau.ferkit" --data "$TMP/data" --posthoc-tau 1.5 >/dev/null 2>&1 &&
  $FERKIT weights inspect "$TMP/ens_tau.ferkit" --json 2>/dev/null | /usr/bin/python3 -c "import json,sys; assert json.load(sys.stdin)['extra']['posthoc_tau'] == 1.5" &&
  $FERKIT export --model "$TMP/ens_tau.ferkit" --onnx "$TMP/ens_tau.onnx" >/dev/null 2>&1 && ok || bad "ensemble --posthoc-tau"
# --drop-member-adjustment: a member's own adjustment left out, and the bundle says so
$FERKIT ensemble "$TMP/ens_tau.ferkit" "$TMP/run" --drop-member-adjustment --out "$TMP/ens_drop.ferkit" >/dev/null 2>&1 &&
  $FERKIT weights inspect "$TMP/ens_drop.ferkit" --json 2>/dev/null |
  /usr/bin/python3 -c "import json,sys; m=json.load(sys.stdin)['extra']['ensemble_of']; assert m[0]['adjustment'] == 'dropped' and m[0]['posthoc_tau'] == 1.5, m" &&
  ok || bad "ensemble --drop-member-adjustment"
expect_fail "ensemble tau without data" "--posthoc-tau needs --data" $FERKIT ensemble "$TMP/run" "$TMP/run_kd" --out "$TMP/ens2.ferkit" --posthoc-tau auto
expect_fail "ensemble of one" "an ensemble needs at least two models, not 1" $FERKIT ensemble "$TMP/run" --out "$TMP/ens1.ferkit"
[ ! -e "$TMP/ens1.ferkit" ] && ok || bad "a failed ensemble left a bundle"
expect_fail "unknown model name" "no run folder, bundle file or shipped model of that name; shipped models: ferplus-ensemble, ferplus-small, ferplus-wide" \
  $FERKIT predict --model ferplus-huge --detector none "$TMP/photos/fer0000000.png"
# The leakage-free figure beside the other: a train image planted in valid is left out.
cp -r "$TMP/data" "$TMP/leaky"
cp "$TMP/leaky/FER2013Train/fer0000003.png" "$TMP/leaky/FER2013Valid/fer0000000.png"
out=$($FERKIT eval --model "$TMP/run" --data "$TMP/leaky" --split valid --exclude-copies-of train 2>&1)
grep -q "without the 1 valid images that have an exact or near copy in train (leakage-free)" <<<"$out" && ok || bad "eval --exclude-copies-of: $out"

# export: ONNX with the preprocessing in its metadata; python3-onnx's checker when present
$FERKIT export --model "$TMP/run" --onnx "$TMP/model.onnx" >/dev/null 2>&1 && [ -s "$TMP/model.onnx" ] && ok || bad "export --onnx"
if /usr/bin/python3 -c "import onnx" 2>/dev/null; then
  /usr/bin/python3 -c "
import json, onnx, sys
m = onnx.load(sys.argv[1]); onnx.checker.check_model(m)
meta = {p.key: p.value for p in m.metadata_props}
assert json.loads(meta['ferkit.preprocess'])['input_size'] == 48 and len(json.loads(meta['ferkit.classes'])) == 8
assert 'grayscale' in m.doc_string" "$TMP/model.onnx" && ok || bad "exported ONNX: checker or metadata"
fi

# serve: a free port, the endpoints, SIGTERM stops it cleanly (exit 0)
if command -v curl >/dev/null; then
  $FERKIT serve --model "$TMP/run" --port 0 --detector none >"$TMP/serve.out" 2>"$TMP/serve.err" &
  spid=$!
  for _ in $(seq 100); do grep -q "listening on" "$TMP/serve.out" 2>/dev/null && break; sleep 0.1; done
  url=$(sed -n 's/^listening on //p' "$TMP/serve.out")
  health=$(curl -s "$url/v1/health")
  pred=$(curl -s -H "Content-Type: image/png" --data-binary @"$TMP/photos/fer0000000.png" "$url/v1/predict")
  multi=$(curl -s -F "image=@$TMP/photos/fer0000001.png" "$url/v1/predict")
  code=$(curl -s -o /dev/null -w "%{http_code}" -H "Content-Type: text/plain" --data "hello" "$url/v1/predict")
  kill -TERM $spid; wait $spid; src=$?
  if [ -n "$url" ] && grep -q '"status":"ok"' <<<"$health" && grep -q '"faces":\[{' <<<"$pred" &&
     grep -q '"source":"fer0000001.png"' <<<"$multi" && [ "$code" = 415 ] && [ $src -eq 0 ] && grep -q "stopped after 3 requests" "$TMP/serve.err"
  then ok; else bad "serve: url '$url' health '$health' predict '$pred' multipart '$multi' wrong type $code exit $src: $(tail -n 2 "$TMP/serve.err")"; fi
fi

# Ctrl-C during training: exit 130, the last complete epoch's checkpoint stays; --resume finishes
$FERKIT train --data "$TMP/data" --out "$TMP/intr" --epochs 3 --width 0.25 >"$TMP/intr.log" 2>&1 &
pid=$!
for _ in $(seq 600); do [ -f "$TMP/intr/checkpoints/last.pt" ] && break; sleep 0.1; done
kill -INT $pid; wait $pid; rc=$?
if [ $rc -eq 130 ] && grep -q "continue with --resume" "$TMP/intr.log"; then ok; else bad "Ctrl-C: exit $rc: $(tail -n 2 "$TMP/intr.log")"; fi
if $FERKIT weights inspect "$TMP/intr/checkpoints/last.pt" >/dev/null 2>&1; then ok; else bad "checkpoint after Ctrl-C unreadable"; fi
if $FERKIT train --out "$TMP/intr" --resume >"$TMP/resume.log" 2>&1 && grep -q "resuming" "$TMP/resume.log" &&
   [ "$(wc -l <"$TMP/intr/metrics.csv")" -eq 4 ] && [ -f "$TMP/intr/summary.json" ]; then ok; else bad "--resume after Ctrl-C: $(tail -n 3 "$TMP/resume.log")"; fi
cp -r "$TMP/data" "$TMP/notest" && rm -rf "$TMP/notest/FER2013Test"
expect_fail "missing split" "has no 'test' split (it has: train, valid)" $FERKIT eval --model "$TMP/run" --data "$TMP/notest"
printf 'junk' > "$TMP/junk.ferkit"
expect_fail "not a bundle" "not a ferkit model bundle" $FERKIT eval --model "$TMP/junk.ferkit" --data "$TMP/data"

# Data-parallel training: two workers through `ferkit launch`, then a distributed --resume.
if $FERKIT launch --nproc 2 -- train --data "$TMP/data" --out "$TMP/dist" --epochs 1 --width 0.25 >"$TMP/dist.log" 2>&1 &&
   grep -q "data-parallel: 2 workers (gloo backend" "$TMP/dist.log" && [ -f "$TMP/dist/model.ferkit" ] &&
   [ "$(wc -l <"$TMP/dist/metrics.csv")" -eq 2 ] && [ "$(grep -c "epoch 1/1: train loss" "$TMP/dist.log")" -eq 1 ]; then ok
else bad "launch --nproc 2: $(tail -n 5 "$TMP/dist.log")"; fi
if $FERKIT launch --nproc 2 -- train --out "$TMP/dist" --resume --epochs 2 >"$TMP/dist2.log" 2>&1 &&
   grep -q "resuming" "$TMP/dist2.log" && [ "$(wc -l <"$TMP/dist/metrics.csv")" -eq 3 ]; then ok
else bad "launch --resume: $(tail -n 5 "$TMP/dist2.log")"; fi
expect_fail "launch: uneven batch" "batch_size 63 does not split evenly among 2 workers" \
  $FERKIT launch --nproc 2 -- train --data "$TMP/data" --out "$TMP/dist3" --batch-size 63
expect_fail "--distributed alone" "WORLD_SIZE is not set" $FERKIT train --data "$TMP/data" --out "$TMP/dist4" --distributed
expect_fail "launch: not train" "launch runs \`train\`" $FERKIT launch --nproc 2 -- eval --model x
expect_fail "no CUDA" "this LibTorch has no CUDA" $FERKIT train --data "$TMP/data" --out "$TMP/dist5" --device cuda
expect_fail "bad device" "device must be cpu, cuda or cuda:N" $FERKIT train --data "$TMP/data" --out "$TMP/dist5" --device gpu0

echo "cli: $pass passed, $fail failed"
[ $fail -eq 0 ]
