// The inference graph (BatchNorm folded, in-place activations) against the modules' own forward,
// for every backbone of the registry, cut or whole, at even and odd feature-map sizes.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "ferkit/infer/graph.h"
#include "ferkit/models/model.h"
#include "model_fixtures.h"
#include "ferkit/util/error.h"

namespace ferkit {
namespace {

float max_abs_difference(FerModel& model, int64_t size, int64_t channels) {
  model->eval();
  const infer::Graph g = infer::model_graph(*model, size);
  const torch::Tensor x = torch::rand({3, channels, size, size});
  torch::NoGradGuard no_grad;
  const torch::Tensor expected = model->forward(x);
  const torch::Tensor got = infer::run_graph(g, x);
  EXPECT_EQ(got.sizes(), expected.sizes());
  return (got - expected).abs().max().item<float>();
}

TEST(InferenceGraph, MatchesForwardForEveryBackbone) {
  torch::manual_seed(3);
  for (const auto& name : backbone_names()) {
    const ModelSpec spec = test::small_spec(name, "32,dropout=0.3");
    FerModel model(spec);
    test::randomize_norms(model);
    model->set_logit_adjustment(torch::randn({8}));
    model->set_temperature(1.7);  // calibration folded into the last layer
    // 48: keras' stride-2 paddings meet an odd 3x3 map; 64: even all the way down
    // (face_resnet from its smallest input, 103, where its shortcuts need padding)
    const int64_t base = test::test_input_size(name);
    for (int64_t size : {base, base + 16}) {
      const float d = max_abs_difference(model, size, spec.backbone.in_channels);
      EXPECT_LT(d, 1e-4) << name << " at " << size;
    }
  }
}

TEST(InferenceGraph, FollowsADeeperOrShallowerSmallCnn) {
  torch::manual_seed(5);
  for (int depth : {1, 3}) {
    ModelSpec spec = test::small_spec("small_cnn");
    spec.backbone.depth = depth;
    FerModel model(spec);
    test::randomize_norms(model);
    EXPECT_LT(max_abs_difference(model, 48, 1), 1e-4) << "depth " << depth;
  }
}

TEST(InferenceGraph, FollowsACutBackbone) {
  torch::manual_seed(4);
  for (const auto& [name, stage] : std::vector<std::pair<std::string, std::string>>{
           {"resnet18", "layer2"}, {"mobilenet_v2", "block4"}, {"keras_mobilenet_v2", "block_13"}, {"small_cnn", "stage3"},
           {"face_resnet", "conv128"}}) {
    ModelSpec spec;
    spec.backbone.name = name;
    spec.backbone.width = name == "keras_mobilenet_v2" ? 0.35 : 0.5;
    spec.cut_after = stage;
    FerModel model(spec);
    test::randomize_norms(model);
    EXPECT_LT(max_abs_difference(model, 48, 1), 1e-4) << name << " cut after " << stage;
  }
}

TEST(InferenceGraph, RunsOnOneDnnWhereEveryOpHasAKernel) {
  if (!at::hasMKLDNN()) GTEST_SKIP() << "this LibTorch has no oneDNN";
  torch::manual_seed(5);
  for (const auto& [name, expect] : std::vector<std::pair<std::string, bool>>{
           {"small_cnn", true}, {"resnet18", true}, {"resnet50", true}, {"mobilenet_v2", false}, {"keras_mobilenet_v2", false}}) {
    ModelSpec spec;
    spec.backbone.name = name;
    spec.backbone.in_channels = name == "small_cnn" ? 1 : 3;
    spec.backbone.width = name == "small_cnn" ? 0.5 : name == "keras_mobilenet_v2" ? 0.35 : 0.25;
    FerModel model(spec);
    test::randomize_norms(model);
    model->eval();
    infer::Graph dense = infer::model_graph(*model, 48);
    infer::Graph onednn = dense;
    EXPECT_EQ(infer::use_mkldnn(onednn), expect) << name;
    const torch::Tensor x = torch::rand({2, spec.backbone.in_channels, 48, 48});
    const float d = (infer::run_graph(onednn, x) - infer::run_graph(dense, x)).abs().max().item<float>();
    EXPECT_LT(d, 1e-4) << name;
    EXPECT_FALSE(infer::run_graph(onednn, x).is_mkldnn());
  }
}

TEST(InferenceGraph, AveragesAnEnsemblesProbabilitiesOnDenseAndOneDnnTensors) {
  torch::manual_seed(6);
  FerModel model = test::small_ensemble();
  EXPECT_LT(max_abs_difference(model, 48, 1), 1e-4);
  infer::Graph g = infer::model_graph(*model, 48);
  EXPECT_EQ(g.nodes.back().op, infer::Op::Log);
  EXPECT_EQ(g.nodes[g.nodes.size() - 2].op, infer::Op::Mean);
  EXPECT_EQ(g.nodes[g.nodes.size() - 2].inputs.size(), 3u);
  if (at::hasMKLDNN()) {
    infer::Graph onednn = g;
    EXPECT_TRUE(infer::use_mkldnn(onednn));  // every member is Conv/Relu/Add/MaxPool before its pooling
    const torch::Tensor x = torch::rand({2, 1, 48, 48});
    EXPECT_LT((infer::run_graph(onednn, x) - infer::run_graph(g, x)).abs().max().item<float>(), 1e-4);
  }
  // An ensemble with a mobilenet member: one member without oneDNN kernels keeps it dense.
  ModelSpec mixed;
  mixed.backbone.name = kEnsembleBackbone;
  mixed.members = {test::small_spec("small_cnn"), test::small_spec("mobilenet_v2")};
  mixed.members[1].backbone.in_channels = 1;
  mixed.members[1].backbone.width = 0.25;
  FerModel m2(mixed);
  infer::Graph g2 = infer::model_graph(*m2, 48);
  EXPECT_FALSE(infer::use_mkldnn(g2));
  // Its own post-hoc logit adjustment (`ferkit ensemble --posthoc-tau`) weighs the mean per class.
  model->set_logit_adjustment(torch::randn({8}));
  EXPECT_LT(max_abs_difference(model, 48, 1), 1e-4);
  // Calibrated members keep their temperatures inside the ensemble; the ensemble has none of its own.
  ModelSpec calibrated = model->spec();
  calibrated.members[0].temperature = 2.0;
  FerModel m3(calibrated);
  EXPECT_LT(max_abs_difference(m3, 48, 1), 1e-4);
  EXPECT_THROW(m3->set_temperature(2.0), Error);
}

TEST(InferenceGraph, CountsMultiplyAdds) {
  ModelSpec spec;
  spec.backbone.name = "resnet18";
  spec.backbone.in_channels = 3;
  FerModel model(spec);
  const infer::Graph g = infer::model_graph(*model, 224);
  // torchvision's ResNet-18 at 224: 1.814 GMACs (the backbone's 1.8136 G + the 512 x 8 head)
  EXPECT_NEAR(infer::graph_macs(g) / 1e9, 1.8136, 0.002);
  EXPECT_EQ(g.shapes[g.output], (std::array<int64_t, 3>{8, 1, 1}));
  ModelSpec small;
  FerModel cnn(small);  // small_cnn: four 2x2 max-pools; 8 -> 4 -> 2 -> 1 -> 0
  EXPECT_THROW(infer::model_graph(*cnn, 8), Error);
}

}  // namespace
}  // namespace ferkit
