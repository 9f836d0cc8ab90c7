// The one evaluation of a model on a data folder, as `ferkit eval` and ferkit::evaluate (the
// public API, include/ferkit/evaluate.h) both run it; internal (its result is the run-folder
// record EvalResult).
#pragma once
#include <string>

#include "ferkit/evaluate.h"
#include "ferkit/data/dataset.h"
#include "ferkit/models/bundle.h"
#include "ferkit/run/records.h"

namespace ferkit {

// The model and the data an evaluation reads: the bundle, and the split (plus
// options.exclude_copies_of's) at the size the model was trained on unless options say otherwise.
struct EvalInputs {
  std::string bundle_path;
  LoadedBundle bundle;
  Dataset dataset;
};
EvalInputs load_eval_inputs(const std::string& model, const std::string& data, const EvaluateOptions& options);

// Scores `model` (run folder, bundle or shipped name) on options.split of `data`; with
// options.exclude_copies_of also without the images that have a copy in that split. A run
// folder gets RUN/eval-SPLIT[-TTA].json.
EvalResult evaluate_model(const std::string& model, const std::string& data, const EvaluateOptions& options);

// The public view of the internal figures.
Scores scores_of(const Metrics& m);

}  // namespace ferkit
