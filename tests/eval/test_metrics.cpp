// Metrics on a small fixed example, against values worked out by hand with scikit-learn's
// definitions (accuracy_score, balanced_accuracy_score, f1_score(average="macro")).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "ferkit/eval/metrics.h"
#include "ferkit/util/error.h"

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

TEST(Metrics, WilsonIntervalMatchesStatsmodels) {
  // statsmodels.stats.proportion.proportion_confint(k, n, method="wilson")
  const Interval a = wilson_interval(8, 10);
  EXPECT_NEAR(a.low, 0.4901624715366418, 1e-12);
  EXPECT_NEAR(a.high, 0.9433178485456248, 1e-12);
  const Interval none = wilson_interval(0, 25);  // 0 of 25 disgust images: still up to 13 %
  EXPECT_NEAR(none.low, 0.0, 1e-12);
  EXPECT_NEAR(none.high, 0.13319225093904846, 1e-12);
  const Interval b = wilson_interval(3, 16);
  EXPECT_NEAR(b.low, 0.06591599071428142, 1e-12);
  EXPECT_NEAR(b.high, 0.4300888096197414, 1e-12);
  const Interval empty = wilson_interval(0, 0);
  EXPECT_EQ(empty.low, 0.0);
  EXPECT_EQ(empty.high, 1.0);
}

TEST(Metrics, IntervalsOfTheHandExample) {
  const std::vector<int64_t> y = {0, 0, 0, 0, 1, 1, 2, 2, 2, 5};
  const std::vector<int64_t> p = {0, 0, 0, 1, 1, 0, 2, 2, 1, 0};
  const Metrics m = compute_metrics(logits_for(p), torch::tensor(y, torch::kInt64));
  const Interval acc = wilson_interval(6, 10);
  EXPECT_DOUBLE_EQ(m.accuracy_ci.low, acc.low);
  EXPECT_DOUBLE_EQ(m.recall_ci[0].high, wilson_interval(3, 4).high);
  EXPECT_DOUBLE_EQ(m.recall_ci[3].low, 0.0);  // no images: [0, 1]
  EXPECT_DOUBLE_EQ(m.recall_ci[3].high, 1.0);
  EXPECT_EQ(m.bootstrap_resamples, 1000);
  EXPECT_LE(m.balanced_accuracy_ci.low, m.balanced_accuracy);
  EXPECT_GE(m.balanced_accuracy_ci.high, m.balanced_accuracy);
  EXPECT_LT(m.balanced_accuracy_ci.low, m.balanced_accuracy_ci.high);
  // a fixed seed: the same data give the same interval
  const Metrics again = compute_metrics(logits_for(p), torch::tensor(y, torch::kInt64));
  EXPECT_EQ(again.macro_f1_ci.low, m.macro_f1_ci.low);
  EXPECT_EQ(again.macro_f1_ci.high, m.macro_f1_ci.high);
}

TEST(Metrics, BootstrapOfAPerfectClassifierIsExact) {
  const std::vector<int64_t> y = {0, 1, 2, 3, 4, 5, 6, 7, 0, 1};
  const Metrics m = compute_metrics(logits_for(y), torch::tensor(y, torch::kInt64));
  EXPECT_DOUBLE_EQ(m.balanced_accuracy_ci.low, 1.0);
  EXPECT_DOUBLE_EQ(m.macro_f1_ci.high, 1.0);
  MetricsOptions none;
  none.bootstrap = 0;
  EXPECT_EQ(compute_metrics(logits_for(y), torch::tensor(y, torch::kInt64), none).bootstrap_resamples, 0);
}

TEST(Metrics, CalibrationErrorAndTop2ByHand) {
  // Probabilities (softmax of log p): confidence 0.9 right, 0.9 wrong, 0.6 right, 0.3 right.
  auto row = [](int top, double conf, int second, double second_p) {
    std::vector<float> p(8, 0.0f);
    double rest = 1.0 - conf - second_p;
    for (int c = 0; c < 8; ++c) p[c] = static_cast<float>(rest / 6);
    p[top] = static_cast<float>(conf);
    p[second] = static_cast<float>(second_p);
    return torch::tensor(p).log();
  };
  const torch::Tensor logits = torch::stack({row(0, 0.9, 1, 0.04), row(0, 0.9, 1, 0.04), row(2, 0.6, 3, 0.1), row(4, 0.3, 5, 0.2)});
  const torch::Tensor labels = torch::tensor(std::vector<int64_t>{0, 1, 2, 4}, torch::kInt64);
  const Metrics m = compute_metrics(logits, labels);
  // 15 bins: {0.9, 0.9} share one bin (accuracy 0.5), 0.6 and 0.3 one each.
  EXPECT_NEAR(m.ece, 0.5 * 0.4 + 0.25 * 0.4 + 0.25 * 0.7, 1e-6);
  EXPECT_DOUBLE_EQ(m.top2_accuracy, 1.0);  // the wrong one has its label second
  int64_t binned = 0;
  for (const auto& b : m.reliability) binned += b.count;
  EXPECT_EQ(binned, 4);
  EXPECT_EQ(m.reliability[13].count, 2);
  EXPECT_NEAR(m.reliability[13].accuracy, 0.5, 1e-12);

  const torch::Tensor ranked = torch::tensor({3.f, 2.f, 1.f, 0.f, 0.f, 0.f, 0.f, 0.f}).unsqueeze(0).repeat({2, 1});
  const Metrics t2 = compute_metrics(ranked, torch::tensor(std::vector<int64_t>{1, 2}, torch::kInt64));
  EXPECT_DOUBLE_EQ(t2.top2_accuracy, 0.5);
}

TEST(Metrics, MultiTargetAccuracyCountsAnyKeptLabel) {
  Metrics m;
  const torch::Tensor targets = torch::tensor({0.5f, 0.5f, 0.f, 0.f, 0.f, 0.f, 0.f, 0.f,  //
                                               1.f, 0.f, 0.f, 0.f, 0.f, 0.f, 0.f, 0.f,    //
                                               0.f, 0.f, 0.7f, 0.3f, 0.f, 0.f, 0.f, 0.f}).view({3, 8});
  add_multi_target_accuracy(m, torch::tensor(std::vector<int64_t>{1, 1, 3}, torch::kInt64), targets);
  EXPECT_EQ(m.multi_target_count, 3);
  EXPECT_NEAR(m.multi_target_accuracy, 2.0 / 3, 1e-12);
  EXPECT_THROW(add_multi_target_accuracy(m, torch::zeros({2}, torch::kInt64), targets), Error);
}

}  // namespace
}  // namespace ferkit
