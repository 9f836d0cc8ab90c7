// The one evaluation of a bundle on a data folder (eval/folder_evaluation.h), with its
// leakage-free twin: valid images that are copies of train images are left out of the twin, by
// exact count, for `eval` and the robustness benchmark alike.
#include <filesystem>

#include <gtest/gtest.h>

#include "ferkit/data/classes.h"
#include "ferkit/data/synth.h"
#include "ferkit/eval/folder_evaluation.h"
#include "ferkit/util/error.h"
#include "infer/model_fixtures.h"
#include "test_util.h"

namespace ferkit {
namespace {
namespace fs = std::filesystem;

// Synthetic FER+ data whose first three valid images are byte copies of train images.
std::string data_with_three_copies(const test::TempDir& tmp) {
  const std::string data = test::synthetic_ferplus(tmp, 0.05);
  for (const char* name : {"fer0000000.png", "fer0000001.png", "fer0000002.png"})
    fs::copy_file(fs::path(data) / "FER2013Train" / name, fs::path(data) / "FER2013Valid" / name,
                  fs::copy_options::overwrite_existing);
  return data;
}

TEST(FolderEvaluation, TheLeakageFreeTwinLeavesOutExactlyTheCopies) {
  test::TempDir tmp;
  const std::string data = data_with_three_copies(tmp);
  FolderEvalOptions o;
  o.split = "valid";
  o.bootstrap = 0;
  o.load.threads = 1;
  const std::string model = std::string(FERKIT_SOURCE_DIR) + "/models/ferplus-small.ferkit";
  const EvalResult plain = evaluate_on_folder(model, data, o);
  EXPECT_FALSE(plain.without_copies);
  EXPECT_EQ(plain.excluded, 0);
  o.exclude_copies_of = "train";
  const EvalResult r = evaluate_on_folder(model, data, o);
  EXPECT_EQ(r.metrics.count, plain.metrics.count);
  EXPECT_EQ(r.copies_of, "train");
  EXPECT_EQ(r.excluded, 3);
  ASSERT_TRUE(r.without_copies);
  // the three copies are majority-labelled (synthetic votes are unanimous): all three leave the count
  EXPECT_EQ(r.without_copies->count, r.metrics.count - 3);

  const RobustnessReport rb = robustness_on_folder(model, data, o, {"blur"}, 1);
  EXPECT_EQ(rb.images, r.metrics.count);
  EXPECT_EQ(rb.excluded, 3);
  ASSERT_TRUE(rb.without_copies);
  EXPECT_EQ(rb.without_copies->clean.count, rb.result.clean.count - 3);
  ASSERT_EQ(rb.result.rows.size(), 3u);  // blur at three levels
}

TEST(FolderEvaluation, AnotherImageSizeNeedsResizeAndABadTtaIsAnError) {
  test::TempDir tmp;
  const std::string data = data_with_three_copies(tmp);
  const std::string model = std::string(FERKIT_SOURCE_DIR) + "/models/ferplus-small.ferkit";
  FolderEvalOptions o;
  o.split = "valid";
  o.load.threads = 1;
  o.load.image_size = 40;
  EXPECT_THROW(evaluate_on_folder(model, data, o), Error);
  o.load.image_size = 0;
  o.tta = "sideways";
  EXPECT_THROW(evaluate_on_folder(model, data, o), Error);
}

// Options left alone read the data at the size the model was trained on (here 40x40), not 48.
TEST(FolderEvaluation, DefaultOptionsReadTheModelsOwnImageSize) {
  test::TempDir tmp;
  const std::string data = test::synthetic_ferplus(tmp, 0.02, /*image_size=*/40);
  FerModel m = test::tiny_model(1);
  const std::string bundle = test::save_test_bundle(tmp / "m40.ferkit", m, /*input_size=*/48, /*image_size=*/40);
  FolderEvalOptions o;
  o.split = "valid";
  o.bootstrap = 0;
  o.load.threads = 1;
  EXPECT_GT(evaluate_on_folder(bundle, data, o).metrics.count, 0);
}

}  // namespace
}  // namespace ferkit
