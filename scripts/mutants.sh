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
# Usage: scripts/mutants.sh   (after `make build`; about a minute or two a mutant on 2 cores once
# the scratch copy is built)
set -u
cd "$(dirname "$0")/.."

MUTANTS=$(cat <<'LIST'
src/ferkit/train/trainer.cpp | r.model->forward(resize_training_batch(images, side)) | r.model->forward(images) | Trainer.TrainingOptionsReachTheTrainer
src/ferkit/train/trainer.cpp | if (r.teachers) targets = r.teachers->targets(images, targets); | | Trainer.TrainingOptionsReachTheTrainer
src/ferkit/eval/robustness.cpp | perturbed.images = perturb_images(split.images.contiguous(), p.kind, p.level, seed); | | Robustness.*
src/ferkit/train/posthoc.cpp | model->set_logit_adjustment(-a.tau * log_prior); | | Posthoc.*
src/ferkit/api/model.cpp | po.detector.margin = o.margin; | | ModelApi.*
src/ferkit/train/run_setup.cpp | if (c.select_on.uses_holdout()) hold_out_selection_split(r.dataset, c); | | Trainer.SelectOn*:Trainer.TrainingOptionsReachTheTrainer
src/ferkit/train/run_finish.cpp | const Adjustment a = adjust_for_prior(best, *r.select_split, | const Adjustment a = adjust_for_prior(best, *r.val_split, | Trainer.SelectOn*
src/ferkit/train/run_finish.cpp | best->set_temperature(t); | | Trainer.SelectOn*
src/ferkit/infer/graph.cpp | last.weight = last.weight / t; | | InferenceGraph.*
src/ferkit/serve/server.cpp | if (!allow.empty()) res.set_header("Allow", allow); | | HostileServer.WrongMethods*
src/ferkit/serve/server.cpp | ::shutdown(s.listen_fd, SHUT_RDWR); | s.http.stop(); | HostileServer.Stop*
src/ferkit/util/fs.cpp | if (fs::is_directory(i, ec) ? same_or_inside(out, i) : i == out) return in; | | cli
src/ferkit/train/run_setup.cpp | r.memory_format = parse_memory_format(c.memory_format); | | Trainer.TrainingOptionsReachTheTrainer
src/ferkit/train/ensemble_bundle.cpp | w.tau = adjust_ensemble(ensemble, q); | | EnsembleBundle.*
src/ferkit/data/image_ops.cpp | cv::GaussianBlur(image, image, cv::Size(0, 0), sigma, sigma, kImageBorder); | cv::GaussianBlur(image, image, cv::Size(0, 0), sigma, sigma, cv::BORDER_REPLICATE); | Perturb.*
src/ferkit/eval/folder_evaluation.cpp | s.twin = without_rows(s.split(), copies); | s.twin = s.split(); | FolderEvaluation.*
src/ferkit/train/trainer.cpp | const bool last = c.select_on.last; | const bool last = false; | Trainer.SelectOnLast*
src/ferkit/train/run_finish.cpp | s.posthoc_tau_chosen = tau_chosen; | s.posthoc_tau_chosen = true; | RunReport.SaysWhich*
src/ferkit/train/run_finish.cpp | const bool average_is_final = r.config.select_on.last; | const bool average_is_final = false; | Trainer.SelectOnLastKeepsRaw*
LIST
)

# One scratch copy of the tracked tree with a build folder of its own, configured and built once
# (ccache, when present, serves most of it from the main build: CCACHE_BASEDIR makes the paths
# relative); then each mutant is applied to the copy, rebuilt (its unit and the links), run, and
# undone.
scratch=$(mktemp -d /tmp/ferkit-mutants.XXXXXX)
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$scratch/tree"
git ls-files -z | xargs -0 cp -p --parents -t "$scratch/tree"
[ -d third_party ] && cp -a third_party "$scratch/tree/"
echo "mutants: building the scratch copy in $scratch (once)"
cmake -S "$scratch/tree" -B "$scratch/build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DFERKIT_BUILD_BENCH=OFF -DFERKIT_PYTHON=OFF >/dev/null &&
  cmake --build "$scratch/build" -j "$(nproc)" >"$scratch/log" 2>&1 || { echo "mutants: the unmutated copy does not build"; tail "$scratch/log"; exit 2; }
survived=0 caught=0 broken=0
while IFS='|' read -r file from to filter; do
  file=$(echo "$file" | xargs); from=$(echo "$from" | sed 's/^ *//; s/ *$//'); to=$(echo "$to" | sed 's/^ *//; s/ *$//')
  filter=$(echo "$filter" | xargs)
  [ -n "$file" ] || continue
  target="$scratch/tree/$file"
  n=$(grep -cF -- "$from" "$target")
  if [ "$n" != 1 ]; then echo "STALE     $file: '$from' found $n times (update the list)"; broken=$((broken + 1)); continue; fi
  cp -p "$target" "$scratch/pristine"
  FROM="$from" TO="$to" python3 - "$target" <<'PY'
import os, sys
p = sys.argv[1]; s = open(p).read(); open(p, "w").write(s.replace(os.environ["FROM"], os.environ["TO"], 1))
PY
  if ! cmake --build "$scratch/build" -j "$(nproc)" >"$scratch/log" 2>&1; then
    echo "CAUGHT    $file: '$from' -> '$to' (does not build)"; caught=$((caught + 1))
  else
    if [ "$filter" = cli ]; then
      bash "$scratch/tree/tests/hostile/test_hostile_cli.sh" "$scratch/build/bin/ferkit" >"$scratch/log" 2>&1
    else
      "$scratch/build/bin/ferkit_tests" --gtest_filter="$filter" >"$scratch/log" 2>&1
    fi
    if [ $? -eq 0 ]; then
      echo "SURVIVED  $file: '$from' -> '$to' ($filter passed)"; survived=$((survived + 1))
    else
      echo "CAUGHT    $file: '$from' -> '$to' ($filter)"; caught=$((caught + 1))
    fi
  fi
  cp -p "$scratch/pristine" "$target"  # undone (its old time: the next build rebuilds the unit)
  touch "$target"
done <<<"$MUTANTS"
echo "mutants: $caught caught, $survived survived, $broken stale"
[ $survived -eq 0 ] && [ $broken -eq 0 ]
