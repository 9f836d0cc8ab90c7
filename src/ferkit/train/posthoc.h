// Post-hoc logit adjustment (Menon et al. 2021): logits - tau * log(training prior), which moves
// predictions towards rare classes without retraining. The curve over tau = 0, 0.1, ..., 3 is
// measured on validation; "auto" takes the tau with the best balanced accuracy among those that
// cost at most max_acc_drop of accuracy against tau = 0.
#pragma once
#include <vector>

#include <ATen/core/Tensor.h>

#include "ferkit/eval/evaluator.h"
#include "ferkit/train/config.h"

namespace ferkit {

struct TauPoint {
  double tau;
  Metrics m;  // counting metrics only (no bootstrap)
};

std::vector<TauPoint> tau_curve(const Predictions& p, const at::Tensor& log_prior);
double choose_tau(const std::vector<TauPoint>& curve, double max_acc_drop);

// The one post-hoc adjustment of training and `ferkit ensemble`: the tau curve of `model` on
// `chooser` (majority labels; a split the model did not train on), tau chosen on it (auto) or as
// given, and -tau * log_prior set into the model. The curve's first point is the model unadjusted.
struct Adjustment {
  double tau = 0.0;
  std::vector<TauPoint> curve;
};
Adjustment adjust_for_prior(FerModel& model, const Split& chooser, const at::Tensor& log_prior, const PosthocTau& p,
                            double max_acc_drop, const Preprocess& pre, const EvalOptions& options = {});

}  // namespace ferkit
