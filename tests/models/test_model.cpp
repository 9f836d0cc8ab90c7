// The model: registry, shapes, head spec, and the bundle round trip.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <nlohmann/json.hpp>

#include "ferkit/models/bundle.h"
#include "ferkit/util/error.h"
#include "test_util.h"

namespace ferkit {
namespace {

TEST(Model, EveryRegisteredBackboneGivesLogitsForGrayAndRgb) {
  for (const auto& name : backbone_names()) {
    for (int channels : {1, 3}) {
      ModelSpec spec;
      spec.backbone.name = name;
      spec.backbone.in_channels = channels;
      FerModel model(spec);
      model->eval();
      const int64_t side = std::max(48, backbone_min_input(name));
      const auto logits = model->forward(torch::randn({2, channels, side, side}));
      EXPECT_EQ(logits.sizes(), (std::vector<int64_t>{2, 8})) << name;
    }
  }
  BackboneSpec bad;
  bad.name = "resnet9000";
  EXPECT_THROW(make_backbone(bad), Error);
}

// --depth: small_cnn's stages 2-4 get that many convolutions each (default 2); the setting
// survives a bundle round trip, a bundle without it reads as the default, and a backbone without
// the setting refuses it.
TEST(Model, SmallCnnDepthSetsTheConvolutionsPerStage) {
  auto convolutions = [](const ModelSpec& spec) {
    FerModel m(spec);
    int n = 0;
    for (const auto& module : m->modules(false)) n += module->as<torch::nn::Conv2d>() != nullptr;
    return n;
  };
  ModelSpec spec;
  EXPECT_EQ(convolutions(spec), 1 + 1 + 3 * 2);  // stem, stage1, stages 2-4 at the default depth
  spec.backbone.depth = 3;
  EXPECT_EQ(convolutions(spec), 1 + 1 + 3 * 3);
  spec.backbone.depth = 1;
  EXPECT_EQ(convolutions(spec), 1 + 1 + 3 * 1);
  EXPECT_EQ(model_spec_from_json(to_json(spec)).backbone.depth, 1);
  ModelSpec plain;
  EXPECT_FALSE(to_json(plain).at("backbone").contains("depth"));  // bundles of the default are unchanged
  EXPECT_EQ(model_spec_from_json(to_json(plain)).backbone.depth, 0);
  spec.backbone.depth = 3;
  FerModel deep(spec);
  deep->eval();
  EXPECT_EQ(deep->forward(torch::randn({2, 1, 48, 48})).sizes(), (std::vector<int64_t>{2, 8}));
  BackboneSpec resnet;
  resnet.name = "resnet18";
  resnet.depth = 3;
  try {
    make_backbone(resnet);
    ADD_FAILURE() << "resnet18 took a depth";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("backbone resnet18 has no depth setting"), std::string::npos) << e.what();
  }
}

TEST(Model, HeadSpecParses) {
  const HeadSpec h = parse_head_spec("512,128,dropout=0.3");
  EXPECT_EQ(h.hidden, (std::vector<int64_t>{512, 128}));
  EXPECT_DOUBLE_EQ(h.dropout, 0.3);
  EXPECT_TRUE(parse_head_spec("").hidden.empty());
  EXPECT_THROW(parse_head_spec("512,dropout=2"), Error);
  EXPECT_THROW(parse_head_spec("wide"), Error);
}

TEST(Bundle, RoundTripGivesIdenticalLogits) {
  test::TempDir tmp;
  ModelSpec spec;
  spec.head = parse_head_spec("32,dropout=0.2");
  FerModel model(spec);
  model->eval();
  BundleInfo info;
  info.spec = spec;
  info.preprocess.normalize = "keras";
  info.class_names = {"a", "b", "c", "d", "e", "f", "g", "h"};
  save_bundle(tmp / "m.ferkit", model, info);
  LoadedBundle loaded = load_bundle(tmp / "m.ferkit");
  const torch::Tensor x = torch::randn({3, 1, 48, 48});
  torch::NoGradGuard ng;
  EXPECT_TRUE(torch::equal(model->forward(x), loaded.model->forward(x)));
  EXPECT_EQ(loaded.info.preprocess.normalize, "keras");
  EXPECT_EQ(loaded.info.class_names, info.class_names);
  EXPECT_EQ(loaded.info.spec.head.hidden, std::vector<int64_t>{32});
}

TEST(Bundle, AFileThatIsNotABundleIsAClearError) {
  test::TempDir tmp;
  test::write_file(tmp / "junk.ferkit", "not a bundle");
  try {
    load_bundle(tmp / "junk.ferkit");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("not a ferkit model bundle"), std::string::npos) << e.what();
  }
  EXPECT_THROW(load_bundle(tmp / "missing.ferkit"), Error);
}

}  // namespace
}  // namespace ferkit

namespace ferkit {
namespace {

TEST(Model, Vgg13FerPlusHasThePapersConvolutions) {
  // conv weights and biases: 64,64 | 128,128 | 256 x3 | 256 x3, 3x3 kernels, gray input
  BackboneSpec spec;
  spec.name = "vgg13_ferplus";
  auto b = make_backbone(spec);
  int64_t n = 0;
  for (const auto& p : b->parameters()) n += p.numel();
  EXPECT_EQ(n, 3504576);
  EXPECT_EQ(b->forward_features(torch::randn({1, 1, 64, 64})).sizes(), (std::vector<int64_t>{1, 256, 4, 4}));
}

}  // namespace
}  // namespace ferkit
