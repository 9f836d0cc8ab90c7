// ferkit::evaluate (include/ferkit/evaluate.h) and the evaluation `ferkit eval` prints.
#include "ferkit/api/evaluate_model.h"

#include <filesystem>

#include <fmt/format.h>

#include "ferkit/data/classes.h"
#include "ferkit/data/dataset.h"
#include "ferkit/data/duplicates.h"
#include "ferkit/eval/evaluator.h"
#include "ferkit/eval/tta.h"
#include "ferkit/models/bundle.h"
#include "ferkit/run/run_folder.h"
#include "ferkit/util/fs.h"
#include "ferkit/util/json_text.h"
#include "ferkit/util/threads.h"

namespace ferkit {

EvalInputs load_eval_inputs(const std::string& model, const std::string& data, const EvaluateOptions& o) {
  EvalInputs in;
  in.bundle_path = bundle_path_of(model);
  in.bundle = load_bundle(in.bundle_path);
  require_emotion_classes(in.bundle.info, in.bundle_path);
  LoadOptions load;
  load.layout = o.layout;
  load.resize = o.resize;
  load.skip_bad = o.skip_bad;
  load.threads = o.threads;
  // The model was trained on images of one stored size: the data is read at that size unless
  // image_size says otherwise, and another size only loads when resized.
  const int trained = stored_image_size(in.bundle.info);
  load.image_size = o.image_size > 0 ? o.image_size : trained;
  if (load.image_size != trained && !o.resize)
    throw Error(fmt::format("{}: the model was trained on {}x{} images but --image-size is {} (give --image-size {}, "
                            "or add --resize)",
                            in.bundle_path, trained, trained, load.image_size, trained));
  load.splits = {o.split};
  if (!o.exclude_copies_of.empty()) load.splits.push_back(o.exclude_copies_of);
  in.dataset = load_dataset(data, load);
  return in;
}

EvalResult evaluate_model(const std::string& model, const std::string& data, const EvaluateOptions& o) {
  const bool is_run = std::filesystem::is_directory(model);
  check_tta_name(o.tta);
  EvalInputs in = load_eval_inputs(model, data, o);
  const std::string& bundle_path = in.bundle_path;
  LoadedBundle& bundle = in.bundle;
  const Dataset& ds = in.dataset;
  EvalOptions eo;
  eo.batch_size = o.batch_size;
  eo.tta = o.tta;
  eo.metrics.bootstrap = o.bootstrap;
  EvalResult result;
  result.model = bundle_path;
  result.data = data;
  result.split = o.split;
  result.tta = o.tta;
  result.metrics = evaluate_split(bundle.model, ds.split(o.split), bundle.info.preprocess, eo);
  if (!o.exclude_copies_of.empty()) {
    const auto copies = rows_with_copies_in(ds, o.split, o.exclude_copies_of);
    result.copies_of = o.exclude_copies_of;
    result.excluded = static_cast<int64_t>(copies.size());
    result.without_copies = evaluate_split(bundle.model, without_rows(ds.split(o.split), copies), bundle.info.preprocess, eo);
  }
  if (is_run) atomic_write_text(RunFolder(model).eval(o.split, o.tta), json_text(to_json(result), 2) + "\n");
  return result;
}

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
  const EvalResult r = evaluate_model(model, data, options);
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
