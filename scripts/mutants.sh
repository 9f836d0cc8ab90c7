#!/usr/bin/env bash
# make mutants: small deliberate breakages, each applied to a scratch copy of the tree, rebuilt and
# run against the tests that should catch it. A mutant that survives (its tests still pass) marks
# an option the tests do not really check. Prints one line per mutant and exits non-zero if any
# survived.
#
# The list (one line each): FILE | TEXT REPLACED | REPLACEMENT | GTEST FILTER (or "cli" for the CLI script)
# The replaced text must occur exactly once in the file (checked), so a refactor that moves it makes
# the script say so instead of testing nothing.
#
# Usage: scripts/mutants.sh [BUILD_DIR]   (the scratch copy reuses BUILD_DIR's objects, so only the
# mutated unit and the links are rebuilt: minutes a mutant on 2 cores, not a clean build)
set -u
cd "$(dirname "$0")/.."
BUILD=${1:-build}
[ -f "$BUILD/build.ninja" ] || { echo "mutants: build first (make build): no $BUILD/build.ninja"; exit 2; }

MUTANTS=$(cat <<'LIST'
src/ferkit/train/trainer.cpp | r.model->forward(resize_training_batch(images, side)) | r.model->forward(images) | Trainer.TrainingOptionsReachTheTrainer
src/ferkit/train/trainer.cpp | if (r.teachers) targets = r.teachers->targets(images, targets); | | Trainer.TrainingOptionsReachTheTrainer
src/ferkit/eval/robustness.cpp | perturbed.images = perturb_images(split.images.contiguous(), p.kind, p.level, seed); | | Robustness.*
src/ferkit/train/run_setup.cpp | if (c.select_on.uses_holdout()) hold_out_selection_split(r.dataset, c); | | Trainer.SelectOn*:Trainer.TrainingOptionsReachTheTrainer
src/ferkit/train/run_finish.cpp | const LabelledSplit val_labels = label_split(*r.select_split, LabelMode::kMajority); | const LabelledSplit val_labels = label_split(*r.val_split, LabelMode::kMajority); | Trainer.SelectOn*
src/ferkit/serve/server.cpp | if (!allow.empty()) res.set_header("Allow", allow); | | HostileServer.WrongMethods*
src/ferkit/util/fs.cpp | if (!in.empty()) | if (false) | cli
src/ferkit/api/model.cpp | po.detector.margin = o.margin; | | ModelApi.*
LIST
)

scratch=$(mktemp -d /tmp/ferkit-mutants.XXXXXX)
trap 'rm -rf "$scratch"' EXIT
survived=0 caught=0 broken=0
while IFS='|' read -r file from to filter; do
  file=$(echo "$file" | xargs); from=$(echo "$from" | sed 's/^ *//; s/ *$//'); to=$(echo "$to" | sed 's/^ *//; s/ *$//')
  filter=$(echo "$filter" | xargs)
  [ -n "$file" ] || continue
  rm -rf "$scratch/tree"; mkdir -p "$scratch/tree"
  git ls-files -z | xargs -0 cp --parents -t "$scratch/tree" 2>/dev/null
  cp -a third_party "$scratch/tree/" 2>/dev/null
  n=$(grep -cF -- "$from" "$scratch/tree/$file")
  if [ "$n" != 1 ]; then echo "STALE     $file: '$from' found $n times (update the list)"; broken=$((broken + 1)); continue; fi
  FROM="$from" TO="$to" python3 - "$scratch/tree/$file" <<'PY'
import os, sys
p = sys.argv[1]; s = open(p).read(); open(p, "w").write(s.replace(os.environ["FROM"], os.environ["TO"], 1))
PY
  rm -rf "$scratch/build"; cp -a "$BUILD" "$scratch/build"
  if ! (cmake -S "$scratch/tree" -B "$scratch/build" >/dev/null && cmake --build "$scratch/build" -j "$(nproc)" >"$scratch/log" 2>&1); then
    echo "CAUGHT    $file: '$from' -> '$to' (does not build)"; caught=$((caught + 1)); continue
  fi
  if [ "$filter" = cli ]; then
    bash "$scratch/tree/tests/hostile/test_hostile_cli.sh" "$scratch/build/apps/ferkit/ferkit" >"$scratch/log" 2>&1
  else
    (cd "$scratch/build" && ./tests/ferkit_tests --gtest_filter="$filter" >"$scratch/log" 2>&1)
  fi
  if [ $? -eq 0 ]; then
    echo "SURVIVED  $file: '$from' -> '$to' ($filter passed)"; survived=$((survived + 1))
  else
    echo "CAUGHT    $file: '$from' -> '$to' ($filter)"; caught=$((caught + 1))
  fi
done <<<"$MUTANTS"
echo "mutants: $caught caught, $survived survived, $broken stale"
[ $survived -eq 0 ] && [ $broken -eq 0 ]
