// Post-hoc logit adjustment: the curve moves predictions towards rare classes as tau grows, and
// "auto" picks the best balanced accuracy within the allowed accuracy cost.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "ferkit/train/loss.h"
#include "ferkit/train/posthoc.h"

namespace ferkit {
namespace {

TauPoint point(double tau, double acc, double bal) {
  TauPoint p{tau, {}};
  p.m.accuracy = acc;
  p.m.balanced_accuracy = bal;
  return p;
}

TEST(Posthoc, ChoosesTheBestBalancedAccuracyWithinTheAccuracyBudget) {
  const std::vector<TauPoint> curve = {point(0.0, 0.80, 0.60), point(0.1, 0.798, 0.62), point(0.2, 0.791, 0.66),
                                       point(0.3, 0.789, 0.70), point(0.4, 0.75, 0.72)};
  EXPECT_DOUBLE_EQ(choose_tau(curve, 0.01), 0.2);   // 0.3 costs 1.1 points
  EXPECT_DOUBLE_EQ(choose_tau(curve, 0.02), 0.3);
  EXPECT_DOUBLE_EQ(choose_tau(curve, 0.0), 0.0);
  EXPECT_DOUBLE_EQ(choose_tau(curve, 1.0), 0.4);
}

TEST(Posthoc, LargerTauMovesPredictionsToTheRareClass) {
  // Two classes carry the mass: logits favour class 0 slightly; class 1 is 100x rarer in training.
  const torch::Tensor logits = torch::tensor({1.0f, 0.5f, -9.f, -9.f, -9.f, -9.f, -9.f, -9.f}).unsqueeze(0).repeat({4, 1});
  Predictions p;
  p.logits = logits;
  p.labels = torch::tensor(std::vector<int64_t>{1, 1, 1, 1}, torch::kInt64);
  const auto lp = log_prior({1000, 10, 1000, 1000, 1000, 1000, 1000, 1000});
  const auto curve = tau_curve(p, lp);
  ASSERT_EQ(curve.size(), 31u);
  EXPECT_DOUBLE_EQ(curve[0].m.accuracy, 0.0);
  // log(1000/10) = 4.6: from tau = 0.2 on, 0.5 + 4.6 tau beats 1.0 (0.1 -> 0.96 vs 1.0)
  EXPECT_DOUBLE_EQ(curve[1].m.accuracy, 0.0);
  EXPECT_DOUBLE_EQ(curve[2].m.accuracy, 1.0);
}

}  // namespace
}  // namespace ferkit
