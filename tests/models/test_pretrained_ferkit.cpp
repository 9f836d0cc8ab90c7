// Starting weights from ferkit's own files: a model bundle and a training checkpoint load into a
// new model by module name; a head of another shape is left new, not an error.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "ferkit/models/bundle.h"
#include "ferkit/models/pretrained.h"
#include "ferkit/train/checkpoint.h"
#include "ferkit/util/error.h"
#include "test_util.h"

namespace ferkit {
namespace {

ModelSpec small_spec(int64_t classes, const std::string& head = "") {
  ModelSpec spec;
  spec.backbone.name = "small_cnn";
  spec.backbone.in_channels = 1;
  spec.num_classes = classes;
  spec.head = parse_head_spec(head);
  return spec;
}

void expect_same_backbone(FerModel& a, FerModel& b) {
  const auto pa = a->backbone()->named_parameters();
  const auto pb = b->backbone()->named_parameters();
  ASSERT_EQ(pa.size(), pb.size());
  for (const auto& p : pa) EXPECT_TRUE(torch::equal(p.value(), pb[p.key()])) << p.key();
  const auto ba = a->backbone()->named_buffers();
  const auto bb = b->backbone()->named_buffers();
  for (const auto& p : ba) EXPECT_TRUE(torch::equal(p.value(), bb[p.key()])) << p.key();
}

TEST(PretrainedFerkit, BundleWithTheSameHeadLoadsEverything) {
  test::TempDir tmp;
  torch::manual_seed(1);
  FerModel source(small_spec(8));
  {  // give the BatchNorm statistics values a fresh model does not have
    torch::NoGradGuard g;
    source->train();
    source->forward(torch::randn({4, 1, 48, 48}) * 3 + 1);
  }
  BundleInfo info;
  info.spec = source->spec();
  info.class_names = {"a", "b", "c", "d", "e", "f", "g", "h"};
  save_bundle(tmp / "m.ferkit", source, info);

  torch::manual_seed(2);
  FerModel target(small_spec(8));
  const WeightsReport r = load_pretrained(target, tmp / "m.ferkit", false);
  EXPECT_TRUE(r.missing.empty());
  EXPECT_TRUE(r.unexpected.empty());
  EXPECT_TRUE(r.skipped_classifier.empty());
  expect_same_backbone(source, target);
  source->eval();
  target->eval();
  const auto x = torch::randn({2, 1, 48, 48});
  EXPECT_TRUE(torch::allclose(source->forward(x), target->forward(x)));
}

TEST(PretrainedFerkit, CheckpointIntoAnotherHeadKeepsTheBackboneAndSkipsTheHead) {
  test::TempDir tmp;
  torch::manual_seed(3);
  FerModel source(small_spec(8, "64"));
  torch::optim::SGD sgd(source->parameters(), torch::optim::SGDOptions(0.1));
  CheckpointState state;
  state.epoch = 3;
  save_checkpoint(tmp / "last.pt", source, sgd, state);

  torch::manual_seed(4);
  FerModel target(small_spec(3));
  const WeightsReport r = load_pretrained(target, tmp / "last.pt", false);
  EXPECT_TRUE(r.missing.empty());
  EXPECT_TRUE(r.unexpected.empty());
  EXPECT_FALSE(r.skipped_classifier.empty());  // the 64-unit hidden layer and 8-way output
  expect_same_backbone(source, target);

  const WeightsSummary s = inspect_weights(tmp / "last.pt");
  EXPECT_EQ(s.format, "ferkit");
  EXPECT_EQ(s.architecture, "small_cnn");
  EXPECT_EQ(s.in_channels, 1);
}

TEST(PretrainedFerkit, AnotherBackboneIsAnErrorThatNamesTheFile) {
  test::TempDir tmp;
  FerModel source(small_spec(8));
  BundleInfo info;
  info.spec = source->spec();
  info.class_names = std::vector<std::string>(8, "x");
  save_bundle(tmp / "m.ferkit", source, info);
  ModelSpec other = small_spec(8);
  other.backbone.name = "resnet18_native";
  FerModel target(other);
  try {
    load_pretrained(target, tmp / "m.ferkit", false);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("m.ferkit"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("missing in the file"), std::string::npos);
  }
}

}  // namespace
}  // namespace ferkit
