#include "ferkit/train/posthoc.h"

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


}  // namespace ferkit
