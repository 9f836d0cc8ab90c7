// `ferkit ensemble` in the library (train/ensemble_bundle.h): the ensemble's own post-hoc
// adjustment reaches its logits as -tau log(training prior), its figures reach the bundle, and an
// output that is one of its inputs is refused before anything is written.
#include <filesystem>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "ferkit/data/classes.h"
#include "ferkit/data/synth.h"
#include "ferkit/train/ensemble_bundle.h"
#include "ferkit/train/loss.h"
#include "ferkit/util/error.h"
#include "infer/model_fixtures.h"
#include "test_util.h"

namespace ferkit {
namespace {

std::string save_member(const test::TempDir& dir, const std::string& name, int64_t seed) {
  FerModel m = test::tiny_model(seed, /*width=*/0.0);
  return test::save_test_bundle(dir / (name + ".ferkit"), m);
}

TEST(EnsembleBundle, OwnAdjustmentReachesTheLogitsAndFiguresTheBundle) {
  test::TempDir tmp;
  const std::string data = test::synthetic_ferplus(tmp, 0.05);
  EnsembleRequest q;
  q.members = {{"a", save_member(tmp, "a", 1)}, {"b", save_member(tmp, "b", 2)}};
  q.data = data;
  q.eval.split = "valid";
  q.eval.load.threads = 1;
  q.out = tmp / "plain.ferkit";
  const EnsembleWritten plain = write_ensemble(q);
  EXPECT_EQ(plain.tau, 0.0);
  q.tau = parse_posthoc_tau("1.5");
  q.out = tmp / "adjusted.ferkit";
  const EnsembleWritten adjusted = write_ensemble(q);
  EXPECT_EQ(adjusted.tau, 1.5);
  ASSERT_TRUE(adjusted.scored);

  LoadedBundle p = load_bundle(tmp / "plain.ferkit"), a = load_bundle(tmp / "adjusted.ferkit");
  EXPECT_EQ(a.info.provenance.posthoc_tau, 1.5);
  EXPECT_FALSE(p.info.provenance.posthoc_tau);
  EXPECT_EQ(a.info.provenance.val_split, "valid");
  EXPECT_DOUBLE_EQ(a.info.provenance.val_accuracy.value_or(-1), adjusted.scored->metrics.accuracy);
  // The difference of the logits is -tau log(prior of the training labels), up to a constant per image.
  LoadOptions load;
  load.splits = {"train"};
  load.threads = 1;
  const auto counts = label_split(load_dataset(data, load).split("train"), LabelMode::kMajority).class_counts();
  const torch::Tensor expected = -1.5 * log_prior(std::vector<int64_t>(counts.begin(), counts.end()));
  torch::NoGradGuard no_grad;
  const torch::Tensor x = torch::rand({4, 1, 48, 48});
  const torch::Tensor d = a.model->forward(x) - p.model->forward(x);
  const torch::Tensor centred = d - d.mean(1, true), want = (expected - expected.mean()).expand_as(d);
  EXPECT_TRUE(torch::allclose(centred, want, 1e-4, 1e-4)) << centred << want;
}

TEST(EnsembleBundle, RefusesAnOutputThatIsAnInputAndTauWithoutData) {
  test::TempDir tmp;
  EnsembleRequest q;
  q.members = {{"a", save_member(tmp, "a", 1)}, {"b", save_member(tmp, "b", 2)}};
  const auto before = std::filesystem::file_size(q.members[0].path);
  q.out = q.members[0].path;
  EXPECT_THROW(write_ensemble(q), Error);
  EXPECT_EQ(std::filesystem::file_size(q.members[0].path), before);
  q.out = tmp / "e.ferkit";
  q.tau = parse_posthoc_tau("auto");
  EXPECT_THROW(write_ensemble(q), Error);
  EXPECT_FALSE(std::filesystem::exists(q.out));
}

}  // namespace
}  // namespace ferkit
