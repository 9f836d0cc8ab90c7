#include "ferkit/eval/folder_evaluation.h"

#include <optional>

#include <fmt/format.h>

#include "ferkit/data/duplicates.h"
#include "ferkit/eval/evaluator.h"
#include "ferkit/eval/robustness.h"
#include "ferkit/eval/tta.h"
#include "ferkit/util/error.h"

namespace ferkit {

EvalInputs load_eval_inputs(const std::string& bundle_path, const std::string& data, const FolderEvalOptions& o) {
  EvalInputs in;
  in.bundle_path = bundle_path;
  in.bundle = load_bundle(bundle_path);
  require_emotion_classes(in.bundle.info, bundle_path);
  LoadOptions load = o.load;
  // The model was trained on images of one stored size: the data is read at that size unless
  // image_size says otherwise, and another size only loads when resized.
  const int trained = stored_image_size(in.bundle.info);
  if (load.image_size <= 0) load.image_size = trained;
  if (load.image_size != trained && !load.resize)
    throw Error(fmt::format("{}: the model was trained on {}x{} images but --image-size is {} (give --image-size {}, "
                            "or add --resize)",
                            bundle_path, trained, trained, load.image_size, trained));
  load.splits = {o.split};
  if (!o.exclude_copies_of.empty()) load.splits.push_back(o.exclude_copies_of);
  in.dataset = load_dataset(data, load);
  return in;
}

namespace {

// What one evaluation on a folder scores: the split, and with exclude_copies_of its leakage-free
// twin (the split without its rows that have an exact or near copy in that other split).
struct ScoredSplits {
  EvalInputs in;
  std::string name;
  std::optional<Split> twin;
  int64_t excluded = 0;
  const Split& split() const { return in.dataset.split(name); }
};

ScoredSplits scored_splits(const std::string& bundle_path, const std::string& data, const FolderEvalOptions& o) {
  ScoredSplits s;
  s.in = load_eval_inputs(bundle_path, data, o);
  s.name = o.split;
  if (!o.exclude_copies_of.empty()) {
    const auto copies = rows_with_copies_in(s.in.dataset, o.split, o.exclude_copies_of);
    s.excluded = static_cast<int64_t>(copies.size());
    s.twin = without_rows(s.split(), copies);
  }
  return s;
}

}  // namespace

EvalResult evaluate_on_folder(const std::string& bundle_path, const std::string& data, const FolderEvalOptions& o) {
  check_tta_name(o.tta);
  ScoredSplits s = scored_splits(bundle_path, data, o);
  EvalOptions eo;
  eo.batch_size = o.batch_size;
  eo.tta = o.tta;
  eo.metrics.bootstrap = o.bootstrap;
  const Preprocess& pre = s.in.bundle.info.preprocess;
  EvalResult r;
  r.model = bundle_path;
  r.data = data;
  r.split = o.split;
  r.tta = o.tta;
  r.metrics = evaluate_split(s.in.bundle.model, s.split(), pre, eo);
  if (s.twin) {
    r.copies_of = o.exclude_copies_of;
    r.excluded = s.excluded;
    r.without_copies = evaluate_split(s.in.bundle.model, *s.twin, pre, eo);
  }
  return r;
}

RobustnessReport robustness_on_folder(const std::string& bundle_path, const std::string& data, const FolderEvalOptions& o,
                                      const std::vector<std::string>& kinds, uint64_t seed) {
  ScoredSplits s = scored_splits(bundle_path, data, o);
  EvalOptions eo;
  eo.batch_size = o.batch_size;
  eo.metrics.bootstrap = 0;
  FerModel& model = s.in.bundle.model;
  RobustnessReport r;
  r.model = bundle_path;
  r.data = data;
  r.split = o.split;
  r.images = s.split().size();
  r.seed = seed;
  r.result = robustness_benchmark(model, s.split(), s.in.bundle.info.preprocess, eo, kinds, seed);
  if (s.twin) {
    r.copies_of = o.exclude_copies_of;
    r.excluded = s.excluded;
    r.without_copies = robustness_benchmark(model, *s.twin, s.in.bundle.info.preprocess, eo, kinds, seed);
  }
  return r;
}

}  // namespace ferkit
