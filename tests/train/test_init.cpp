// The airbench initialisations (train/init.h) and the larger BatchNorm-bias rate: whitening
// filters decorrelate the patches they were computed from, dirac convolutions pass their input
// through, the bias groups get their own rate, and unknown names are errors.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "ferkit/train/init.h"
#include "ferkit/train/optimizer.h"
#include "ferkit/util/error.h"

namespace ferkit {
namespace {

TEST(Init, WhiteningFiltersDecorrelateAndEqualiseThePatches) {
  torch::manual_seed(1);
  const torch::Tensor mixing = torch::randn({4, 4}, torch::kFloat64);
  const torch::Tensor patches = torch::randn({20000, 4}, torch::kFloat64).mm(mixing);
  const torch::Tensor w = whitening_filters(patches, 4, 1e-9).to(torch::kFloat64);  // (8, 4)
  ASSERT_EQ(w.sizes(), (std::vector<int64_t>{8, 4}));
  EXPECT_TRUE(torch::allclose(w.narrow(0, 4, 4), -w.narrow(0, 0, 4)));
  const torch::Tensor y = patches.mm(w.narrow(0, 0, 4).t());
  const torch::Tensor second_moment = y.t().mm(y) / static_cast<double>(y.size(0));
  EXPECT_TRUE(torch::allclose(second_moment, torch::eye(4, torch::kFloat64), 1e-6, 1e-6)) << second_moment;
  // the leading pair is the direction of the largest variance: its filter is the longest
  // before scaling, so after the 1/sqrt(eigenvalue) it is the shortest
  const torch::Tensor norms = w.narrow(0, 0, 4).norm(2, 1);
  EXPECT_LT(norms[0].item<double>(), norms[3].item<double>());
  // fewer pairs than dimensions: the leading ones
  EXPECT_TRUE(torch::allclose(whitening_filters(patches, 2, 1e-9).to(torch::kFloat64).narrow(0, 0, 2), w.narrow(0, 0, 2), 1e-5, 1e-5));
}

FerModel small_cnn() {
  ModelSpec spec;
  spec.backbone.name = "small_cnn";
  spec.backbone.width = 0.5;  // stem: 16 filters of 1x3x3: 8 pairs of the 9 dimensions
  torch::manual_seed(2);
  return FerModel(spec);
}

TEST(Init, WhitenSetsTheFirstConvolutionFromTheImagesPatches) {
  FerModel model = small_cnn();
  torch::nn::Conv2dImpl* stem = nullptr;
  for (const auto& m : model->modules(false))
    if ((stem = m->as<torch::nn::Conv2d>())) break;
  ASSERT_NE(stem, nullptr);
  const torch::Tensor before = stem->weight.clone();
  const torch::Tensor images = torch::randint(0, 256, {50, 48, 48}, torch::kUInt8);
  Preprocess pre;
  const auto log = apply_init(model, "whiten", images, pre);
  ASSERT_EQ(log.size(), 1u);
  EXPECT_NE(log[0].find("16 of the first convolution's 16 filters"), std::string::npos) << log[0];
  // the same filters computed here from the same patches
  const torch::Tensor x = images.to(torch::kFloat32).div(255.0).unsqueeze(1);
  const torch::Tensor patches = torch::nn::functional::unfold(x, torch::nn::functional::UnfoldFuncOptions({3, 3})).transpose(1, 2).reshape({-1, 9});
  const torch::Tensor expected = whitening_filters(patches, 8, 5e-4).reshape({16, 1, 3, 3});
  EXPECT_TRUE(torch::allclose(stem->weight, expected, 1e-4, 1e-4));
  EXPECT_FALSE(torch::allclose(stem->weight, before));
  // only the first convolution changes
  FerModel fresh = small_cnn();
  auto a = model->named_parameters(), b = fresh->named_parameters();
  int changed = 0;
  for (const auto& p : a) changed += !torch::equal(p.value(), b[p.key()]);
  EXPECT_EQ(changed, 1);
}

TEST(Init, DiracConvolutionsPassTheirInputThrough) {
  FerModel model = small_cnn();
  const auto log = apply_init(model, "dirac", torch::Tensor(), Preprocess{});
  // small_cnn at width 0.5: stem 1->16, stage1 16->16, stage2 16->32, 32->32, stage3 32->64, 64->64,
  // stage4 64->128, 128->128: every 3x3 convolution has at least as many outputs as inputs
  EXPECT_NE(log.at(0).find("dirac: 8 3x3 convolutions"), std::string::npos) << log.at(0);
  torch::NoGradGuard no_grad;
  for (const auto& m : model->modules(false)) {
    auto* conv = m->as<torch::nn::Conv2d>();
    if (!conv) continue;
    const int64_t in = conv->weight.size(1);
    const torch::Tensor x = torch::randn({2, in, 12, 12});
    EXPECT_TRUE(torch::allclose(conv->forward(x).narrow(1, 0, in), x, 1e-5, 1e-6));
  }
}

TEST(Init, UnknownNamesAreErrorsAndDefaultIsNothing) {
  validate_init("");
  validate_init("default");
  validate_init("dirac,whiten");
  try {
    validate_init("dirac,orthogonal");
    ADD_FAILURE() << "an unknown init was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("unknown init 'orthogonal' (known: dirac, whiten)"), std::string::npos) << e.what();
  }
  FerModel model = small_cnn();
  EXPECT_TRUE(apply_init(model, "", torch::Tensor(), Preprocess{}).empty());
}

TEST(Optimizer, NormBiasLrMultGivesBatchNormBiasesTheirOwnRate) {
  FerModel model = small_cnn();
  OptimizerConfig c;
  c.backbone_lr_mult = 1;
  const TrainOptimizer plain = make_optimizer(model, c);
  c.norm_bias_lr_mult = 64;
  const TrainOptimizer scaled = make_optimizer(model, c);
  // each backbone stage's no-decay group splits in two: BatchNorm biases and the rest
  EXPECT_EQ(scaled.groups.size(), plain.groups.size() + 5);
  int64_t biases = 0;
  for (size_t g = 0; g < scaled.groups.size(); ++g) {
    const double lr = scaled.optimizer->param_groups()[g].options().get_lr();
    if (scaled.groups[g].lr_mult == 64) {
      EXPECT_DOUBLE_EQ(lr, c.lr * 64);
      for (const auto& p : scaled.optimizer->param_groups()[g].params()) biases += p.numel();
    } else {
      EXPECT_DOUBLE_EQ(lr, c.lr);
    }
  }
  int64_t expected = 0;
  for (const auto& m : model->modules(false))
    if (auto* bn = m->as<torch::nn::BatchNorm2d>()) expected += bn->bias.numel();
  EXPECT_EQ(biases, expected);
  c.norm_bias_lr_mult = 0;
  EXPECT_THROW(make_optimizer(model, c), Error);
}

}  // namespace
}  // namespace ferkit
