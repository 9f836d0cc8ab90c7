// Ensembles: their logits are log(mean of the members' softmax) for any members (backbones,
// heads, post-hoc logit adjustments), they survive a bundle round trip, and members that would
// see different input are refused with the member named.
#include <cmath>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "ferkit/data/classes.h"
#include "ferkit/models/bundle.h"
#include "ferkit/models/ensemble.h"
#include "ferkit/models/model.h"
#include "ferkit/util/error.h"
#include "infer/model_fixtures.h"
#include "test_util.h"

namespace ferkit {
namespace {

BundleInfo gray48_info() {
  BundleInfo info;
  info.preprocess.input_size = 48;
  info.class_names = emotion_names();
  info.provenance.image_size = 48;
  info.provenance.val_accuracy = 0.5;
  return info;
}

// A trained-looking member: random weights, folded statistics and a logit adjustment of its own.
FerModel member(const std::string& backbone, const std::string& head, int64_t seed) {
  torch::manual_seed(seed);
  ModelSpec spec = test::small_spec(backbone, head);
  spec.backbone.in_channels = 1;
  FerModel m(spec);
  test::randomize_norms(m);
  m->set_logit_adjustment(torch::randn({8}));
  m->eval();
  return m;
}

std::string save_member(const test::TempDir& dir, const std::string& name, FerModel m) {
  BundleInfo info = gray48_info();
  info.spec = m->spec();
  const std::string path = dir / (name + ".ferkit");
  save_bundle(path, m, info);
  return path;
}

TEST(Ensemble, LogitsAreTheLogOfTheMembersMeanProbability) {
  test::TempDir dir;
  FerModel a = member("small_cnn", "", 1), b = member("vgg13_ferplus", "16", 2), c = member("small_cnn", "32,dropout=0.2", 3);
  LoadedBundle e = make_ensemble({{"a", save_member(dir, "a", a)}, {"b", save_member(dir, "b", b)}, {"c", save_member(dir, "c", c)}});
  EXPECT_EQ(e.info.spec.backbone.name, "ensemble");
  ASSERT_EQ(e.info.spec.members.size(), 3u);
  EXPECT_EQ(e.info.spec.members[1].backbone.name, "vgg13_ferplus");
  EXPECT_EQ(e.info.provenance.ensemble_of.size(), 3u);
  EXPECT_EQ(e.info.provenance.image_size, 48);
  EXPECT_EQ(e.info.provenance.ensemble_of[0].val_accuracy, 0.5);

  torch::NoGradGuard no_grad;
  const torch::Tensor x = torch::rand({4, 1, 48, 48});
  const torch::Tensor mean_p = (torch::softmax(a->forward(x), 1) + torch::softmax(b->forward(x), 1) + torch::softmax(c->forward(x), 1)) / 3;
  const torch::Tensor z = e.model->forward(x);
  EXPECT_LT((z - mean_p.log()).abs().max().item<float>(), 1e-5);
  EXPECT_LT((torch::softmax(z, 1) - mean_p).abs().max().item<float>(), 1e-6);

  // Written and read back as a bundle: the same model.
  save_bundle(dir / "e.ferkit", e.model, e.info);
  LoadedBundle back = load_bundle(dir / "e.ferkit");
  EXPECT_TRUE(back.info.spec.is_ensemble());
  EXPECT_LT((back.model->forward(x) - z).abs().max().item<float>(), 1e-6);

  // An ensemble is a member like any other (nested): two of them weigh alike.
  LoadedBundle nested = make_ensemble({{"e", dir / "e.ferkit"}, {"a", dir / "a.ferkit"}});
  const torch::Tensor p2 = (mean_p + torch::softmax(a->forward(x), 1)) / 2;
  EXPECT_LT((torch::softmax(nested.model->forward(x), 1) - p2).abs().max().item<float>(), 1e-6);
}

// --drop-member-adjustment: the mean of the members' probabilities before their own post-hoc
// adjustment (their logits minus the adjustment each carries), and the bundle records it.
TEST(Ensemble, DroppingMemberAdjustmentsAveragesThePlainProbabilities) {
  test::TempDir dir;
  FerModel a = member("small_cnn", "", 1), b = member("small_cnn", "16", 2);
  LoadedBundle e = make_ensemble({{"a", save_member(dir, "a", a)}, {"b", save_member(dir, "b", b)}}, true);
  torch::NoGradGuard no_grad;
  const torch::Tensor x = torch::rand({4, 1, 48, 48});
  const torch::Tensor plain_a = a->forward(x) - a->logit_adjustment(), plain_b = b->forward(x) - b->logit_adjustment();
  ASSERT_GT(a->logit_adjustment().abs().max().item<float>(), 0.1f);  // the members do carry one
  const torch::Tensor mean_p = (torch::softmax(plain_a, 1) + torch::softmax(plain_b, 1)) / 2;
  EXPECT_LT((e.model->forward(x) - mean_p.log()).abs().max().item<float>(), 1e-5);
  EXPECT_EQ(e.info.provenance.ensemble_of[0].adjustment, "dropped");
  // Kept (the default), the same members give another mean.
  LoadedBundle kept = make_ensemble({{"a", dir / "a.ferkit"}, {"b", dir / "b.ferkit"}});
  EXPECT_GT((kept.model->forward(x) - mean_p.log()).abs().max().item<float>(), 1e-2);
  EXPECT_EQ(kept.info.provenance.ensemble_of[1].adjustment, "kept");
}

TEST(Ensemble, RefusesMembersThatSeeOtherInputOrTooFewMembers) {
  test::TempDir dir;
  const std::string a = save_member(dir, "a", member("small_cnn", "", 1));
  EXPECT_THROW(make_ensemble({{"a", a}}), Error);
  FerModel big = member("small_cnn", "", 2);
  BundleInfo info = gray48_info();
  info.spec = big->spec();
  info.preprocess.input_size = 64;
  save_bundle(dir / "b64.ferkit", big, info);
  try {
    make_ensemble({{"a", a}, {"run64", dir / "b64.ferkit"}});
    ADD_FAILURE() << "members of different input sizes were combined";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("run64: it prepares images as"), std::string::npos) << e.what();
  }
  info = gray48_info();
  info.spec = big->spec();
  info.provenance.image_size = 40;  // trained on 40x40 stored images, resized to 48
  save_bundle(dir / "s40.ferkit", big, info);
  EXPECT_THROW(make_ensemble({{"a", a}, {"s40", dir / "s40.ferkit"}}), Error);
  EXPECT_THROW(make_ensemble({{"a", a}, {"missing", dir / "missing.ferkit"}}), Error);
}

TEST(Ensemble, SpecJsonRoundTripsAndRejectsMalformedHeaders) {
  ModelSpec e;
  e.backbone.name = kEnsembleBackbone;
  e.members = {test::small_spec("small_cnn", "16"), test::small_spec("resnet18")};
  e.members[1].backbone.in_channels = 1;
  const ModelSpec back = model_spec_from_json(to_json(e));
  ASSERT_EQ(back.members.size(), 2u);
  EXPECT_EQ(back.members[0].head.hidden, std::vector<int64_t>{16});
  EXPECT_EQ(back.members[1].backbone.name, "resnet18");
  EXPECT_EQ(to_json(back), to_json(e));

  nlohmann::json no_members = to_json(e);
  no_members.erase("members");
  EXPECT_THROW(model_spec_from_json(no_members), Error);
  nlohmann::json empty = to_json(e);
  empty["members"] = nlohmann::json::array();
  EXPECT_THROW(model_spec_from_json(empty), Error);
  nlohmann::json other_input = to_json(e);
  other_input["members"][0]["backbone"]["in_channels"] = 3;
  EXPECT_THROW(model_spec_from_json(other_input), Error);
  nlohmann::json deep = to_json(e);
  for (int k = 0; k < 6; ++k) deep = {{"backbone", {{"name", "ensemble"}, {"in_channels", 1}, {"width", 0}}}, {"num_classes", 8},
                                       {"members", {deep}}};
  EXPECT_THROW(model_spec_from_json(deep), Error);  // bounded nesting, not the stack's limit
}

TEST(Ensemble, HasNoSingleBackboneToTrain) {
  ModelSpec e;
  e.backbone.name = kEnsembleBackbone;
  e.members = {test::small_spec("small_cnn"), test::small_spec("small_cnn")};
  FerModel m(e);
  EXPECT_THROW(m->backbone(), Error);
  EXPECT_THROW(m->freeze_until("stage1"), Error);
  EXPECT_EQ(m->members().size(), 2u);
}

}  // namespace
}  // namespace ferkit
