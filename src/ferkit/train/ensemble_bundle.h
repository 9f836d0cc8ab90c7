// `ferkit ensemble`: trained models written as one bundle that averages their probabilities
// (models/ensemble.h), with its own post-hoc logit adjustment chosen as a training run chooses
// its own (train/posthoc.h), and scored by the one evaluation (eval/folder_evaluation.h).
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "ferkit/eval/folder_evaluation.h"
#include "ferkit/models/ensemble.h"
#include "ferkit/train/config.h"

namespace ferkit {

struct EnsembleRequest {
  std::vector<EnsembleMember> members;
  bool drop_member_adjustment = false;  // average the members without their own adjustments
  std::string out;                      // the bundle to write
  std::string data;                     // a data folder: score the ensemble on eval.split ("": not scored)
  FolderEvalOptions eval;               // the split scored and the data's load options
  PosthocTau tau;                       // the ensemble's own adjustment, chosen on eval.split; needs data
  double max_acc_drop = 0.01;           // tau auto: the largest accuracy loss allowed
};

struct EnsembleWritten {
  double tau = 0.0;                 // the adjustment built in (0: none)
  std::optional<EvalResult> scored; // with data: the figures kept in the bundle
};

// Writes request.out whole, with its figures, or not at all. Refuses an output that is one of its
// inputs (util/fs.h's rule).
EnsembleWritten write_ensemble(const EnsembleRequest& request);

}  // namespace ferkit
