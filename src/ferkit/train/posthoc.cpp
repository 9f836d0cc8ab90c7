#include "ferkit/train/posthoc.h"

#include "ferkit/models/model.h"

namespace ferkit {

std::vector<TauPoint> tau_curve(const Predictions& p, const at::Tensor& log_prior) {
  std::vector<TauPoint> curve;
  MetricsOptions counting_only;
  counting_only.bootstrap = 0;
  for (int i = 0; i <= 30; ++i)
    curve.push_back({0.1 * i, compute_metrics(p.logits - 0.1 * i * log_prior, p.labels, counting_only)});
  return curve;
}
double choose_tau(const std::vector<TauPoint>& curve, double max_acc_drop) {
  double best_tau = 0, best = -1;
  for (const auto& point : curve) {
    if (point.m.accuracy < curve.front().m.accuracy - max_acc_drop - 1e-12) continue;
    if (point.m.balanced_accuracy > best + 1e-12) {
      best = point.m.balanced_accuracy;
      best_tau = point.tau;
    }
  }
  return best_tau;
}

Adjustment adjust_for_prior(FerModel& model, const Split& chooser, const at::Tensor& log_prior, const PosthocTau& p,
                            double max_acc_drop, const Preprocess& pre, const EvalOptions& options) {
  Adjustment a;
  if (!p.enabled()) return a;
  const LabelledSplit labels = label_split(chooser, LabelMode::kMajority);
  a.curve = tau_curve(predict_split(model, chooser, labels, pre, options), log_prior);
  a.tau = p.mode == PosthocTau::Mode::kAuto ? choose_tau(a.curve, max_acc_drop) : p.tau;
  model->set_logit_adjustment(-a.tau * log_prior);
  return a;
}

}  // namespace ferkit
