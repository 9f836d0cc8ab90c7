// The losses against PyTorch: each one computed by tests/train/make_loss_reference.py the way
// PyTorch or the paper's own code computes it, on the same logits, labels and class counts.
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "ferkit/train/loss.h"
#include "ferkit/util/error.h"
#include "test_util.h"

namespace ferkit {
namespace {

class LossReference : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (std::system("/usr/bin/python3 -c 'import torch' >/dev/null 2>&1") != 0) return;
    static test::TempDir tmp;
    const std::string script = std::string(FERKIT_SOURCE_DIR) + "/tests/train/make_loss_reference.py";
    ASSERT_EQ(std::system(("/usr/bin/python3 " + script + " " + (tmp / "ref.json")).c_str()), 0);
    std::ifstream in(tmp / "ref.json");
    ref_ = new nlohmann::json(nlohmann::json::parse(in));
  }
  void SetUp() override {
    if (!ref_) GTEST_SKIP() << "/usr/bin/python3 with torch not found; skipped";
    const auto& r = *ref_;
    std::vector<at::Tensor> rows;
    for (const auto& row : r["logits"]) rows.push_back(torch::tensor(row.get<std::vector<double>>()));
    logits_ = torch::stack(rows).to(torch::kFloat32);
    rows.clear();
    for (const auto& row : r["soft"]) rows.push_back(torch::tensor(row.get<std::vector<double>>()));
    soft_ = torch::stack(rows).to(torch::kFloat32);
    onehot_ = torch::one_hot(torch::tensor(r["labels"].get<std::vector<int64_t>>()), 8).to(torch::kFloat32);
    counts_ = r["counts"].get<std::vector<int64_t>>();
  }
  double expected(const std::string& key) const { return (*ref_)["losses"][key].get<double>(); }
  double value(LossConfig c, const at::Tensor& targets, int64_t epoch = 0) const {
    return (*make_loss(c, counts_))(logits_, targets, epoch).item<double>();
  }

  static nlohmann::json* ref_;
  at::Tensor logits_, soft_, onehot_;
  std::vector<int64_t> counts_;
};
nlohmann::json* LossReference::ref_ = nullptr;

LossConfig named(const std::string& name) {
  LossConfig c;
  c.name = name;
  return c;
}

TEST_F(LossReference, CrossEntropyHardSoftAndSmoothed) {
  EXPECT_NEAR(value(named("ce"), onehot_), expected("ce"), 1e-5);
  EXPECT_NEAR(value(named("ce"), soft_), expected("ce_soft"), 1e-5);
  LossConfig ls = named("ce");
  ls.label_smoothing = 0.1;
  EXPECT_NEAR(value(ls, onehot_), expected("ce_label_smoothing_0.1"), 1e-5);
}

TEST_F(LossReference, ClassWeightedLosses) {
  EXPECT_NEAR(value(named("weighted_ce"), onehot_), expected("weighted_ce"), 1e-5);
  EXPECT_NEAR(value(named("cb"), onehot_), expected("cb"), 1e-5);
  const auto inv = (*ref_)["inverse_frequency_weights"].get<std::vector<double>>();
  const auto cb = (*ref_)["class_balanced_weights"].get<std::vector<double>>();
  const at::Tensor w_inv = inverse_frequency_weights(counts_), w_cb = class_balanced_weights(counts_, 0.9999);
  for (int k = 0; k < 8; ++k) {
    EXPECT_NEAR(w_inv[k].item<double>(), inv[k], 1e-5 * inv[k]);
    EXPECT_NEAR(w_cb[k].item<double>(), cb[k], 1e-5 * cb[k]);
  }
}

TEST_F(LossReference, FocalBalancedSoftmaxLogitAdjusted) {
  EXPECT_NEAR(value(named("focal"), onehot_), expected("focal_gamma_2"), 1e-5);
  EXPECT_NEAR(value(named("balanced_softmax"), onehot_), expected("balanced_softmax"), 1e-5);
  LossConfig la = named("logit_adjusted");
  la.la_tau = 1.5;
  EXPECT_NEAR(value(la, onehot_), expected("logit_adjusted_tau_1.5"), 1e-5);
}

TEST_F(LossReference, LdamAndDeferredReweighting) {
  LossConfig c = named("ldam");
  c.drw_epoch = 3;  // epochs 1 and 2 unweighted, from epoch 3 class-balanced
  EXPECT_NEAR(value(c, onehot_, 0), expected("ldam_0.5_s1"), 1e-5);
  EXPECT_NEAR(value(c, onehot_, 1), expected("ldam_0.5_s1"), 1e-5);
  EXPECT_NEAR(value(c, onehot_, 2), expected("ldam_0.5_s1_drw"), 1e-5);
}

TEST(Loss, BalancedSoftmaxGradientByHand) {
  // At f = 0 the softmax of f + log prior is the prior itself (an empty class counts 0.5), so the
  // gradient for the true class 1 is prior_1 - 1 = 100 / 1003 - 1.
  const std::vector<int64_t> counts = {900, 100, 0, 0, 0, 0, 0, 0};
  at::Tensor f = torch::zeros({1, 8}, torch::requires_grad());
  const at::Tensor target = torch::one_hot(torch::tensor({1}), 8).to(torch::kFloat32);
  (*make_loss(named("balanced_softmax"), counts))(f, target, 0).backward();
  EXPECT_NEAR(f.grad()[0][1].item<double>(), 100.0 / 1003.0 - 1.0, 1e-6);
  EXPECT_NEAR(f.grad()[0][0].item<double>(), 900.0 / 1003.0, 1e-6);
}

TEST(Loss, BadNamesAndValuesAreErrors) {
  EXPECT_THROW(make_loss(named("hinge"), {1, 1}), Error);
  LossConfig c = named("ce");
  c.label_smoothing = 1.0;
  EXPECT_THROW(make_loss(c, {1, 1}), Error);
  EXPECT_THROW(make_loss(named("ce"), {0, 0}), Error);
  // A class with no training images gets weight 0, not inf.
  const at::Tensor w = inverse_frequency_weights({10, 0, 30});
  EXPECT_EQ(w[1].item<float>(), 0.0f);
  EXPECT_NEAR(w.sum().item<double>(), 2.0, 1e-6);
}

}  // namespace
}  // namespace ferkit
