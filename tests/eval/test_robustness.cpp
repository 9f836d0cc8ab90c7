// The robustness benchmark: its clean row is the evaluation loop's figure, each perturbed row
// is that loop on the perturbed images, and a subset of kinds runs only those.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "ferkit/data/perturb.h"
#include "ferkit/data/synth.h"
#include "ferkit/eval/robustness.h"
#include "ferkit/util/error.h"
#include "infer/model_fixtures.h"
#include "test_util.h"

namespace ferkit {
namespace {

TEST(Robustness, RowsAreTheEvaluationLoopOnPerturbedImages) {
  test::TempDir tmp;
  const Dataset ds = load_dataset(test::synthetic_ferplus(tmp, 0.1));
  FerModel model = test::tiny_model(3, 0.25, /*random_norms=*/false);
  Preprocess pre;
  EvalOptions eo;
  eo.metrics.bootstrap = 0;
  const Split& valid = ds.split("valid");
  const RobustnessResult r = robustness_benchmark(model, valid, pre, eo, {"blur", "jpeg"}, 9);
  EXPECT_DOUBLE_EQ(r.clean.accuracy, evaluate_split(model, valid, pre, eo).accuracy);
  ASSERT_EQ(r.rows.size(), 6u);
  EXPECT_EQ(r.rows[0].kind, "blur");
  EXPECT_EQ(r.rows[5].kind, "jpeg");
  EXPECT_EQ(r.rows[5].level, 3);
  Split perturbed = valid;
  perturbed.images = perturb_images(valid.images.contiguous(), "jpeg", 3, 9);
  const Metrics expected = evaluate_split(model, perturbed, pre, eo);
  EXPECT_DOUBLE_EQ(r.rows[5].metrics.accuracy, expected.accuracy);
  EXPECT_DOUBLE_EQ(r.rows[5].metrics.balanced_accuracy, expected.balanced_accuracy);
  // The rows saw perturbed pixels: an untrained model may keep its accuracy, not its loss.
  EXPECT_DOUBLE_EQ(r.rows[5].metrics.loss, expected.loss);
  for (const auto& row : r.rows) EXPECT_NE(row.metrics.loss, r.clean.loss) << row.kind << " " << row.level;
  EXPECT_NEAR(mean_accuracy_drop(r, 3), 50 * ((r.clean.accuracy - r.rows[2].metrics.accuracy) + (r.clean.accuracy - expected.accuracy)), 1e-9);
  const std::string table = format_robustness(r);
  EXPECT_NE(table.find("jpeg        strong"), std::string::npos) << table;
  EXPECT_THROW(robustness_benchmark(model, valid, pre, eo, {"fog"}), Error);
}

}  // namespace
}  // namespace ferkit
