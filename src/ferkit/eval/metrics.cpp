#include "ferkit/eval/metrics.h"

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "ferkit/util/error.h"

namespace ferkit {

Metrics metrics_from_confusion(const std::array<std::array<int64_t, kNumEmotions>, kNumEmotions>& confusion) {
  Metrics m;
  m.confusion = confusion;
  std::array<int64_t, kNumEmotions> predicted{};
  int64_t correct = 0;
  for (int t = 0; t < kNumEmotions; ++t)
    for (int p = 0; p < kNumEmotions; ++p) {
      m.support[t] += confusion[t][p];
      predicted[p] += confusion[t][p];
      m.count += confusion[t][p];
      if (t == p) correct += confusion[t][p];
    }
  m.accuracy = m.count ? static_cast<double>(correct) / m.count : 0.0;
  double recall_sum = 0.0, f1_sum = 0.0;
  int recall_classes = 0, f1_classes = 0;
  for (int c = 0; c < kNumEmotions; ++c) {
    const double tp = static_cast<double>(confusion[c][c]);
    m.precision[c] = predicted[c] ? tp / predicted[c] : 0.0;
    m.recall[c] = m.support[c] ? tp / m.support[c] : 0.0;
    m.f1[c] = (m.precision[c] + m.recall[c]) > 0 ? 2 * m.precision[c] * m.recall[c] / (m.precision[c] + m.recall[c]) : 0.0;
    if (m.support[c]) {
      recall_sum += m.recall[c];
      ++recall_classes;
    }
    if (m.support[c] || predicted[c]) {
      f1_sum += m.f1[c];
      ++f1_classes;
    }
  }
  m.balanced_accuracy = recall_classes ? recall_sum / recall_classes : 0.0;
  m.macro_f1 = f1_classes ? f1_sum / f1_classes : 0.0;
  return m;
}

Metrics compute_metrics(const torch::Tensor& logits, const torch::Tensor& labels) {
  FERKIT_CHECK(logits.dim() == 2 && logits.size(1) == kNumEmotions, "metrics: logits must be (N, 8)");
  FERKIT_CHECK(labels.dim() == 1 && labels.size(0) == logits.size(0), "metrics: labels must be (N)");
  std::array<std::array<int64_t, kNumEmotions>, kNumEmotions> confusion{};
  const torch::Tensor pred = logits.argmax(1).contiguous();
  const torch::Tensor lab = labels.contiguous();
  auto p = pred.accessor<int64_t, 1>();
  auto l = lab.accessor<int64_t, 1>();
  for (int64_t i = 0; i < l.size(0); ++i) {
    FERKIT_CHECK(l[i] >= 0 && l[i] < kNumEmotions, "metrics: label out of range");
    ++confusion[l[i]][p[i]];
  }
  Metrics m = metrics_from_confusion(confusion);
  if (m.count > 0)
    m.loss = torch::nn::functional::cross_entropy(logits.to(torch::kFloat32), lab).item<double>();
  return m;
}

nlohmann::json to_json(const Metrics& m) {
  nlohmann::json classes = nlohmann::json::object();
  for (int c = 0; c < kNumEmotions; ++c)
    classes[emotion_name(c)] = {{"precision", m.precision[c]}, {"recall", m.recall[c]}, {"f1", m.f1[c]},
                                {"support", m.support[c]}};
  return {{"count", m.count},
          {"loss", m.loss},
          {"accuracy", m.accuracy},
          {"balanced_accuracy", m.balanced_accuracy},
          {"macro_f1", m.macro_f1},
          {"classes", classes},
          {"confusion", m.confusion}};
}

}  // namespace ferkit

#include <fmt/format.h>

namespace ferkit {

std::string format_metrics(const Metrics& m) {
  std::string s = fmt::format("images {}  accuracy {:.2f}%  balanced accuracy {:.2f}%  macro-F1 {:.2f}%  NLL {:.4f}\n\n",
                              m.count, 100 * m.accuracy, 100 * m.balanced_accuracy, 100 * m.macro_f1, m.loss);
  s += fmt::format("{:<10} {:>9} {:>7} {:>7} {:>8}\n", "class", "precision", "recall", "F1", "support");
  for (int c = 0; c < kNumEmotions; ++c)
    s += fmt::format("{:<10} {:>8.1f}% {:>6.1f}% {:>6.1f}% {:>8}\n", emotion_name(c), 100 * m.precision[c],
                     100 * m.recall[c], 100 * m.f1[c], m.support[c]);
  s += "\nconfusion matrix (rows: true class, columns: predicted)\n" + fmt::format("{:<10}", "");
  for (int c = 0; c < kNumEmotions; ++c) s += fmt::format("{:>6.5}", emotion_name(c));
  s += "\n";
  for (int t = 0; t < kNumEmotions; ++t) {
    s += fmt::format("{:<10}", emotion_name(t));
    for (int p = 0; p < kNumEmotions; ++p) s += fmt::format("{:>6}", m.confusion[t][p]);
    s += "\n";
  }
  return s;
}

}  // namespace ferkit
