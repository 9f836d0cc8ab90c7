// Metrics on a small fixed example, against values worked out by hand with scikit-learn's
// definitions (accuracy_score, balanced_accuracy_score, f1_score(average="macro")).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "ferkit/eval/metrics.h"

namespace ferkit {
namespace {

torch::Tensor logits_for(const std::vector<int64_t>& predicted) {
  return torch::one_hot(torch::tensor(predicted, torch::kInt64), 8).to(torch::kFloat32) * 5.0;
}

TEST(Metrics, HandComputedExample) {
  // true:      0 0 0 0 1 1 2 2 2 5
  // predicted: 0 0 0 1 1 0 2 2 1 0
  const std::vector<int64_t> y = {0, 0, 0, 0, 1, 1, 2, 2, 2, 5};
  const std::vector<int64_t> p = {0, 0, 0, 1, 1, 0, 2, 2, 1, 0};
  const Metrics m = compute_metrics(logits_for(p), torch::tensor(y, torch::kInt64));
  EXPECT_EQ(m.count, 10);
  EXPECT_DOUBLE_EQ(m.accuracy, 0.6);
  // recalls: class0 3/4, class1 1/2, class2 2/3, class5 0/1 -> mean over the 4 present classes
  EXPECT_NEAR(m.balanced_accuracy, (0.75 + 0.5 + 2.0 / 3 + 0.0) / 4, 1e-12);
  // precision: class0 3/5, class1 1/3, class2 2/2; F1 = 2PR/(P+R)
  const double f0 = 2 * 0.6 * 0.75 / (0.6 + 0.75), f1 = 2 * (1.0 / 3) * 0.5 / (1.0 / 3 + 0.5), f2 = 2 * 1.0 * (2.0 / 3) / (1 + 2.0 / 3);
  EXPECT_NEAR(m.f1[0], f0, 1e-12);
  EXPECT_NEAR(m.macro_f1, (f0 + f1 + f2 + 0.0) / 4, 1e-12);  // classes 3, 4, 6, 7 absent: left out
  EXPECT_EQ(m.confusion[0][1], 1);
  EXPECT_EQ(m.confusion[5][0], 1);
  EXPECT_EQ(m.support[2], 3);
  EXPECT_DOUBLE_EQ(m.precision[5], 0.0);
}

TEST(Metrics, LossIsTheMeanNegativeLogLikelihood) {
  const torch::Tensor logits = torch::zeros({4, 8});  // uniform: NLL = log 8
  const Metrics m = compute_metrics(logits, torch::tensor(std::vector<int64_t>{0, 1, 2, 3}, torch::kInt64));
  EXPECT_NEAR(m.loss, std::log(8.0), 1e-6);
}

}  // namespace
}  // namespace ferkit
