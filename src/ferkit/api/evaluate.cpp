// ferkit::evaluate (include/ferkit/evaluate.h): the one evaluation of eval/folder_evaluation.h.
#include "ferkit/api/scores.h"

#include "ferkit/data/classes.h"
#include "ferkit/eval/folder_evaluation.h"
#include "ferkit/run/records.h"
#include "ferkit/run/run_folder.h"
#include "ferkit/util/json_text.h"
#include "ferkit/util/threads.h"

namespace ferkit {

namespace {

FolderEvalOptions folder_options(const EvaluateOptions& o) {
  FolderEvalOptions f;
  f.split = o.split;
  f.tta = o.tta;
  f.exclude_copies_of = o.exclude_copies_of;
  f.bootstrap = o.bootstrap;
  f.batch_size = o.batch_size;
  f.load.layout = o.layout;
  f.load.image_size = o.image_size;
  f.load.resize = o.resize;
  f.load.skip_bad = o.skip_bad;
  f.load.threads = o.threads;
  return f;
}

}  // namespace

Scores scores_of(const Metrics& m) {
  Scores s;
  s.count = m.count;
  s.loss = m.loss;
  s.accuracy = m.accuracy;
  s.balanced_accuracy = m.balanced_accuracy;
  s.macro_f1 = m.macro_f1;
  s.accuracy_ci = {m.accuracy_ci.low, m.accuracy_ci.high};
  s.balanced_accuracy_ci = {m.balanced_accuracy_ci.low, m.balanced_accuracy_ci.high};
  s.macro_f1_ci = {m.macro_f1_ci.low, m.macro_f1_ci.high};
  for (int k = 0; k < kNumEmotions; ++k) {
    s.classes.push_back(emotion_name(k));
    s.recall.push_back(m.recall[k]);
    s.precision.push_back(m.precision[k]);
    s.f1.push_back(m.f1[k]);
    s.support.push_back(m.support[k]);
    s.confusion.emplace_back(m.confusion[k].begin(), m.confusion[k].end());
  }
  return s;
}

Evaluation evaluate(const std::string& model, const std::string& data, const EvaluateOptions& options) {
  set_threads(options.threads);
  const EvalResult r = evaluate_on_folder(bundle_path_of(model), data, folder_options(options));
  keep_eval_in_run(model, r);
  Evaluation e;
  e.model = r.model;
  e.data = r.data;
  e.split = r.split;
  e.tta = r.tta;
  e.scores = scores_of(r.metrics);
  if (r.without_copies) e.without_copies = scores_of(*r.without_copies);
  e.excluded = r.excluded;
  e.json = json_text(to_json(r), 2);
  return e;
}

}  // namespace ferkit
