// The one evaluation of a model bundle on a data folder, as `ferkit eval`, `ferkit robustness`,
// `ferkit ensemble --data` and the public API (ferkit::evaluate) run it: the data read at the
// size the model was trained on, the split scored, and with exclude_copies_of the same split
// without its images that have an exact or near copy there (the leakage-free twin).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "ferkit/data/dataset.h"
#include "ferkit/eval/results.h"
#include "ferkit/models/bundle.h"

namespace ferkit {

struct FolderEvalOptions {
  std::string split = "test";
  std::string tta = "none";          // eval/tta.h
  std::string exclude_copies_of;     // e.g. "train": also score without the images with a copy there
  int bootstrap = 1000;              // resamples for the intervals (0: none)
  int64_t batch_size = 256;
  LoadOptions load = models_own_size();  // layout, resize, skip_bad, threads; image_size 0: the model's own

  static LoadOptions models_own_size() {
    LoadOptions l;
    l.image_size = 0;
    return l;
  }
};

// The model and the data an evaluation reads: the bundle, and the split (plus
// exclude_copies_of's) at the size the model was trained on unless load.image_size says otherwise.
struct EvalInputs {
  std::string bundle_path;
  LoadedBundle bundle;
  Dataset dataset;
};
EvalInputs load_eval_inputs(const std::string& bundle_path, const std::string& data, const FolderEvalOptions& options);

// Scores the bundle on options.split of `data`.
EvalResult evaluate_on_folder(const std::string& bundle_path, const std::string& data, const FolderEvalOptions& options);

// The robustness benchmark (eval/robustness.h) on options.split of `data`; kinds empty: all.
RobustnessReport robustness_on_folder(const std::string& bundle_path, const std::string& data, const FolderEvalOptions& options,
                                      const std::vector<std::string>& kinds, uint64_t seed);

}  // namespace ferkit
