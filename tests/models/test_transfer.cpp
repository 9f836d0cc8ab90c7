// Transfer-learning controls: truncation, freezing (no gradient, BatchNorm statistics unchanged
// under bn_policy "frozen", drifting under "train"), for every registered backbone.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "ferkit/models/model.h"
#include "ferkit/util/error.h"

namespace ferkit {
namespace {

std::map<std::string, at::Tensor> snapshot(FerModel& m) {
  std::map<std::string, at::Tensor> s;
  for (const auto& p : m->named_parameters()) s[p.key()] = p.value().detach().clone();
  for (const auto& b : m->named_buffers()) s[b.key()] = b.value().detach().clone();
  return s;
}

// A few SGD steps in training mode on random data.
void train_steps(FerModel& m, int channels, int size) {
  std::vector<at::Tensor> params;
  for (const auto& p : m->parameters())
    if (p.requires_grad()) params.push_back(p);
  torch::optim::SGD opt(params, torch::optim::SGDOptions(0.1).momentum(0.9));
  m->train();
  torch::manual_seed(3);
  for (int step = 0; step < 3; ++step) {
    const auto x = torch::randn({4, channels, size, size});
    const auto y = torch::randint(0, 8, {4}, torch::kLong);
    opt.zero_grad();
    torch::nn::functional::cross_entropy(m->forward(x), y).backward();
    opt.step();
  }
}

struct Case {
  const char* backbone;
  const char* freeze_until;
  int size;
};
void PrintTo(const Case& c, std::ostream* os) { *os << c.backbone << "/" << c.freeze_until; }

class Freeze : public ::testing::TestWithParam<Case> {};

TEST_P(Freeze, FrozenStagesKeepWeightsAndStatisticsOthersLearn) {
  for (const std::string policy : {"frozen", "train"}) {
    ModelSpec spec;
    spec.backbone.name = GetParam().backbone;
    spec.freeze_until = GetParam().freeze_until;
    spec.bn_policy = policy;
    FerModel model(spec);
    const auto before = snapshot(model);
    train_steps(model, 1, GetParam().size);
    const auto after = snapshot(model);
    int frozen_checked = 0, trained_changed = 0;
    for (const auto& [name, t] : before) {
      const bool same = torch::equal(t, after.at(name));
      const bool frozen = model->is_frozen(model->stage_of(name));
      const bool statistic = name.find("running_") != std::string::npos || name.find("num_batches") != std::string::npos;
      if (frozen && !statistic) {
        EXPECT_TRUE(same) << policy << ": frozen weight changed: " << name;
        ++frozen_checked;
      } else if (frozen && statistic) {
        // the pitfall, reproduced on purpose under "train"; impossible under "frozen"
        if (policy == "frozen") EXPECT_TRUE(same) << "frozen BatchNorm statistic changed: " << name;
        if (policy == "train") EXPECT_FALSE(same) << "bn_policy train should update " << name;
      } else if (!same) {
        ++trained_changed;
      }
      if (frozen) EXPECT_FALSE(model->named_parameters().contains(name) && model->named_parameters()[name].requires_grad());
    }
    EXPECT_GT(frozen_checked, 0);
    EXPECT_GT(trained_changed, 0);
  }
}

INSTANTIATE_TEST_SUITE_P(Models, Freeze,
                         ::testing::Values(Case{"small_cnn", "stage2", 48}, Case{"resnet18", "layer2", 64},
                                           Case{"resnet18_native", "layer1", 32}, Case{"mobilenet_v2", "block3", 64}),
                         [](const auto& info) { return std::string(info.param.backbone); });

TEST(Freeze, TrainModeKeepsFrozenBatchNormInInferenceMode) {
  ModelSpec spec;
  spec.backbone.name = "resnet18";
  spec.freeze_until = "layer1";
  FerModel model(spec);
  model->train();
  for (const auto& m : model->backbone()->named_modules("", false)) {
    if (!m.value()->as<torch::nn::BatchNorm2d>()) continue;
    const bool frozen = model->is_frozen(model->backbone()->stage_of(m.key() + ".weight"));
    EXPECT_EQ(m.value()->is_training(), !frozen) << m.key();
  }
  EXPECT_THROW(model->freeze_until("layer9"), Error);
}

TEST(Cut, TruncatedBackbonesDropLaterStagesAndShrinkTheHead) {
  struct C { const char* name; const char* stage; int64_t features; const char* gone; };
  for (const C& c : {C{"resnet18", "layer3", 256, "backbone.layer4.0.conv1.weight"},
                     C{"resnet50", "layer2", 512, "backbone.layer3.0.conv1.weight"},
                     C{"mobilenet_v2", "block3", 32, "backbone.features.7.conv.0.0.weight"},
                     C{"small_cnn", "stage3", 64, "backbone.stage4.0.weight"}}) {
    ModelSpec spec;
    spec.backbone.name = c.name;
    spec.cut_after = c.stage;
    FerModel model(spec);
    EXPECT_EQ(model->backbone()->num_features(), c.features) << c.name;
    EXPECT_FALSE(model->named_parameters().contains(c.gone)) << c.name;
    model->eval();
    EXPECT_EQ(model->forward(torch::randn({1, 1, 64, 64})).sizes(), (std::vector<int64_t>{1, 8})) << c.name;
  }
}

}  // namespace
}  // namespace ferkit
