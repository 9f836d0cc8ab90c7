// EMA, Lookahead and SWA arithmetic, and the BatchNorm recomputation SWA needs.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "ferkit/eval/stability.h"
#include "ferkit/train/averaging.h"

namespace ferkit {
namespace {

ModelSpec tiny() {
  ModelSpec spec;
  spec.backbone.name = "small_cnn";
  spec.backbone.width = 0.25;
  return spec;
}

void fill(FerModel& m, float v) {
  torch::NoGradGuard g;
  for (auto& p : m->parameters()) p.fill_(v);
  for (auto& b : m->buffers())
    if (b.is_floating_point()) b.fill_(v);
}

TEST(Averaging, EmaFollowsTheFormulaWithItsWarmup) {
  FerModel model(tiny());
  fill(model, 1.0f);
  WeightEma ema(model, 0.99);
  fill(model, 2.0f);
  ema.update(model);  // d = min(0.99, 1/10) = 0.1: 0.1 * 1 + 0.9 * 2 = 1.9
  for (const auto& p : ema.model()->parameters()) EXPECT_NEAR(p.flatten()[0].item<float>(), 1.9f, 1e-6);
  ema.set_updates(1000);
  fill(model, 0.0f);
  ema.update(model);  // d = 0.99: 0.99 * 1.9
  for (const auto& p : ema.model()->parameters()) EXPECT_NEAR(p.flatten()[0].item<float>(), 0.99f * 1.9f, 1e-6);
  for (const auto& b : ema.model()->named_buffers())
    if (b.key().find("running_mean") != std::string::npos) EXPECT_NEAR(b.value()[0].item<float>(), 0.99f * 1.9f, 1e-6);
}

TEST(Averaging, LookaheadMovesTheSlowWeightsEveryKStepsAndRestartsTheFast) {
  FerModel model(tiny());
  fill(model, 1.0f);
  Lookahead la(2, 0.5);
  la.restart(model);
  fill(model, 3.0f);
  la.step(model);  // step 1 of 2: nothing
  for (const auto& p : model->parameters()) EXPECT_EQ(p.flatten()[0].item<float>(), 3.0f);
  fill(model, 5.0f);
  la.step(model);  // step 2: slow = 1 + 0.5 (5 - 1) = 3, fast = slow
  for (const auto& p : model->parameters()) EXPECT_NEAR(p.flatten()[0].item<float>(), 3.0f, 1e-6);
  fill(model, 7.0f);
  la.sync(model);  // an epoch's end: slow = 3 + 0.5 (7 - 3) = 5
  for (const auto& p : model->parameters()) EXPECT_NEAR(p.flatten()[0].item<float>(), 5.0f, 1e-6);
  for (const auto& b : model->named_buffers())  // statistics are the fast model's own
    if (b.key().find("running_mean") != std::string::npos) EXPECT_EQ(b.value()[0].item<float>(), 7.0f);
}

TEST(Averaging, SwaIsTheEqualMean) {
  FerModel model(tiny());
  WeightAverage swa(model);
  for (float v : {1.0f, 2.0f, 6.0f}) {
    fill(model, v);
    swa.add(model);
  }
  EXPECT_EQ(swa.count(), 3);
  for (const auto& p : swa.model()->parameters()) EXPECT_NEAR(p.flatten()[0].item<float>(), 3.0f, 1e-6);
}

TEST(Averaging, RecomputedBatchNormStatisticsAreTheDataStatistics) {
  torch::manual_seed(0);
  FerModel model(tiny());
  const auto x = torch::randn({3, 16, 1, 48, 48}) * 2 + 0.5;
  int i = 0;
  recompute_batchnorm(model, [&]() -> std::optional<at::Tensor> {
    if (i == 3) return std::nullopt;
    return x[i++];
  });
  // The first BatchNorm sees the first convolution's output: its running mean is the exact
  // average of the three batch means (equal batch sizes).
  torch::nn::BatchNorm2dImpl* first = nullptr;
  torch::nn::Conv2dImpl* conv = nullptr;
  for (const auto& m : model->modules(false)) {
    if (!conv) conv = m->as<torch::nn::Conv2d>();
    if (!first) first = m->as<torch::nn::BatchNorm2d>();
  }
  ASSERT_TRUE(first && conv);
  torch::NoGradGuard g;
  at::Tensor mean = torch::zeros_like(first->running_mean);
  for (int b = 0; b < 3; ++b) mean += conv->forward(x[b]).mean({0, 2, 3}) / 3;
  EXPECT_TRUE(torch::allclose(first->running_mean, mean, 1e-4, 1e-5));
  EXPECT_TRUE(first->options.momentum().has_value());  // restored
}

}  // namespace
}  // namespace ferkit

namespace ferkit {
namespace {

TEST(Stability, StddevDropAndTrendByHand) {
  // 11 epochs; the window is the last 10: 1, 3, 2, 4, 3, 5, 4, 6, 5, 7 (a rising zig-zag)
  const std::vector<double> v = {9, 1, 3, 2, 4, 3, 5, 4, 6, 5, 7};
  const Stability s = stability(v, 10);
  EXPECT_EQ(s.epochs, 10);
  EXPECT_NEAR(s.stddev, std::sqrt(3.0), 1e-12);  // mean 4, squared deviations sum to 30
  EXPECT_DOUBLE_EQ(s.largest_drop, 1.0);
  EXPECT_GT(s.stddev, 2 * s.detrended_stddev);  // most of the spread is the trend
  const Stability line = stability({1, 2, 3, 4}, 10);
  EXPECT_EQ(line.epochs, 4);
  EXPECT_NEAR(line.detrended_stddev, 0.0, 1e-12);
  EXPECT_DOUBLE_EQ(line.largest_drop, 0.0);
  EXPECT_EQ(stability({}, 10).epochs, 0);
}

}  // namespace
}  // namespace ferkit
