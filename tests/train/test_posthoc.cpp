// Post-hoc logit adjustment: the curve moves predictions towards rare classes as tau grows, and
// "auto" picks the best balanced accuracy within the allowed accuracy cost.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "ferkit/train/loss.h"
#include "ferkit/train/posthoc.h"
#include "infer/model_fixtures.h"

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

namespace ferkit {
namespace {

// The one adjustment of training and `ferkit ensemble`: the model's logits move by exactly
// -tau * log(prior), and auto takes the tau choose_tau picks from the curve on the split given.
TEST(Posthoc, AdjustForPriorMovesTheModelsLogitsByTheAdjustment) {
  FerModel model = test::tiny_model(4, 0.25, /*random_norms=*/false);
  Split split;
  split.name = "holdout";
  split.images = torch::randint(0, 256, {40, 48, 48}, torch::kUInt8);
  split.votes = torch::zeros({40, 10}, torch::kInt32);
  split.votes.select(1, 0).fill_(10);  // every image: neutral
  for (int i = 0; i < 40; ++i) split.files.push_back(std::to_string(i));
  const torch::Tensor lp = log_prior({8000, 5000, 2000, 2000, 1500, 100, 500, 100});
  const torch::Tensor x = torch::rand({3, 1, 48, 48});
  torch::NoGradGuard no_grad;
  const torch::Tensor before = model->forward(x);
  PosthocTau fixed;
  fixed.mode = PosthocTau::Mode::kFixed;
  fixed.tau = 1.5;
  const Adjustment a = adjust_for_prior(model, split, lp, fixed, 0.01, Preprocess{});
  EXPECT_DOUBLE_EQ(a.tau, 1.5);
  ASSERT_EQ(a.curve.size(), 31u);
  EXPECT_TRUE(torch::allclose(model->forward(x), before - 1.5 * lp, 1e-5, 1e-5));
  PosthocTau automatic;
  automatic.mode = PosthocTau::Mode::kAuto;
  model->set_logit_adjustment(torch::zeros({8}));
  const Adjustment b = adjust_for_prior(model, split, lp, automatic, 0.01, Preprocess{});
  EXPECT_DOUBLE_EQ(b.tau, choose_tau(b.curve, 0.01));
  EXPECT_TRUE(torch::allclose(model->logit_adjustment(), -b.tau * lp));
}

}  // namespace
}  // namespace ferkit
