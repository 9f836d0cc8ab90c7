// The one evaluation of a model on a data folder, as `ferkit eval` and ferkit::evaluate (the
// public API, include/ferkit/evaluate.h) both run it; internal (its result is the run-folder
// record EvalResult).
#pragma once
#include <string>

#include "ferkit/evaluate.h"
#include "ferkit/run/records.h"

namespace ferkit {

// Scores `model` (run folder, bundle or shipped name) on options.split of `data`; with
// options.exclude_copies_of also without the images that have a copy in that split. A run
// folder gets RUN/eval-SPLIT[-TTA].json.
EvalResult evaluate_model(const std::string& model, const std::string& data, const EvaluateOptions& options);

// The public view of the internal figures.
Scores scores_of(const Metrics& m);

}  // namespace ferkit
