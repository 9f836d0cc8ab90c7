// The half of the metrics that needs the logits: NLL, top-2 accuracy, calibration, and the
// per-image bootstrap; the counting metrics come from confusion_metrics.cpp.
#include "ferkit/eval/metrics.h"

#include <torch/torch.h>

#include "ferkit/util/error.h"

namespace ferkit {

Metrics compute_metrics(const torch::Tensor& logits, const torch::Tensor& labels, const MetricsOptions& options) {
  FERKIT_CHECK(logits.dim() == 2 && logits.size(1) == kNumEmotions, "metrics: logits must be (N, 8)");
  FERKIT_CHECK(labels.dim() == 1 && labels.size(0) == logits.size(0), "metrics: labels must be (N)");
  const torch::Tensor probs = torch::softmax(logits.to(torch::kFloat32), 1).contiguous();
  const torch::Tensor pred = logits.argmax(1).contiguous();
  const torch::Tensor top2 = std::get<1>(logits.topk(2, 1)).contiguous();
  const torch::Tensor lab = labels.contiguous();
  auto p = pred.accessor<int64_t, 1>();
  auto l = lab.accessor<int64_t, 1>();
  auto t2 = top2.accessor<int64_t, 2>();
  auto pr = probs.accessor<float, 2>();
  const int64_t n = l.size(0);

  Confusion confusion{};
  std::vector<int> label_list(n), pred_list(n);
  int64_t top2_hits = 0;
  const int bins = std::max(1, options.calibration_bins);
  std::vector<ReliabilityBin> reliability(bins);
  for (int b = 0; b < bins; ++b) reliability[b] = {static_cast<double>(b) / bins, static_cast<double>(b + 1) / bins, 0, 0, 0};
  for (int64_t i = 0; i < n; ++i) {
    FERKIT_CHECK(l[i] >= 0 && l[i] < kNumEmotions, "metrics: label out of range");
    ++confusion[l[i]][p[i]];
    label_list[i] = static_cast<int>(l[i]);
    pred_list[i] = static_cast<int>(p[i]);
    if (t2[i][0] == l[i] || t2[i][1] == l[i]) ++top2_hits;
    const double confidence = pr[i][p[i]];
    const int b = std::min(bins - 1, static_cast<int>(confidence * bins));
    reliability[b].count += 1;
    reliability[b].mean_confidence += confidence;
    reliability[b].accuracy += p[i] == l[i] ? 1.0 : 0.0;
  }
  Metrics m = metrics_from_confusion(confusion);
  if (n == 0) return m;
  m.loss = torch::nn::functional::cross_entropy(logits.to(torch::kFloat32), lab).item<double>();
  m.top2_accuracy = static_cast<double>(top2_hits) / n;
  // ECE = sum over bins of (bin share) * |accuracy - mean confidence| (Guo et al. 2017).
  for (auto& b : reliability) {
    if (b.count == 0) continue;
    b.mean_confidence /= b.count;
    b.accuracy /= b.count;
    m.ece += static_cast<double>(b.count) / n * std::abs(b.accuracy - b.mean_confidence);
  }
  m.reliability = std::move(reliability);
  FERKIT_CHECK(options.bootstrap >= 0 && options.bootstrap <= 1'000'000,
               "--bootstrap must be from 0 (no intervals) to 1000000 resamples, not " + std::to_string(options.bootstrap));
  add_bootstrap_intervals(m, label_list, pred_list, options.bootstrap, options.seed);
  return m;
}

void add_multi_target_accuracy(Metrics& m, const torch::Tensor& predicted, const torch::Tensor& multi_targets) {
  FERKIT_CHECK(predicted.dim() == 1 && multi_targets.dim() == 2 && multi_targets.size(0) == predicted.size(0) &&
                   multi_targets.size(1) == kNumEmotions,
               "multi-target accuracy: predictions (N) and targets (N, 8) do not match");
  m.multi_target_count = predicted.size(0);
  if (m.multi_target_count == 0) return;
  const torch::Tensor hit = multi_targets.gather(1, predicted.unsqueeze(1)).squeeze(1) > 0;
  m.multi_target_accuracy = hit.to(torch::kFloat64).mean().item<double>();
}

}  // namespace ferkit
