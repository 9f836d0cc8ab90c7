// Shipped models by name: found in $FERKIT_MODELS (then beside the program, then the source tree),
// usable wherever --model takes a bundle; a wrong name lists the known ones.
#include <cstdlib>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>

#include "ferkit/data/classes.h"
#include "ferkit/infer/graph.h"
#include "ferkit/models/bundle.h"
#include "ferkit/models/shipped.h"
#include "ferkit/run/run_folder.h"
#include "ferkit/util/error.h"
#include "test_paths.h"
#include "test_util.h"

namespace ferkit {
namespace {

// FERKIT_MODELS for the scope of a test.
struct ModelsDir {
  explicit ModelsDir(const std::string& dir) { setenv("FERKIT_MODELS", dir.c_str(), 1); }
  ~ModelsDir() { unsetenv("FERKIT_MODELS"); }
};

void save_tiny_bundle(const std::string& path) {
  ModelSpec spec;
  spec.backbone.width = 0.25;
  FerModel model(spec);
  BundleInfo info;
  info.spec = spec;
  info.class_names = emotion_names();
  save_bundle(path, model, info);
}

TEST(ShippedModels, FoundByNameAndUsedAsModel) {
  test::TempDir tmp;
  save_tiny_bundle(tmp / "tiny.ferkit");
  test::write_file(tmp / "tiny.md", "# tiny\n");
  save_tiny_bundle(tmp / std::string(kDefaultModel).append(".ferkit"));
  ModelsDir env(tmp.str());
  const auto models = shipped_models();
  ASSERT_EQ(models.size(), 2u);
  EXPECT_EQ(models[1].name, "tiny");
  EXPECT_EQ(models[1].card, tmp / "tiny.md");
  EXPECT_EQ(models[0].card, "");
  EXPECT_EQ(bundle_path_of("tiny"), tmp / "tiny.ferkit");
  EXPECT_EQ(bundle_path_of(""), tmp / std::string(kDefaultModel).append(".ferkit"));  // the default
  EXPECT_NE(describe_model("").find("the default"), std::string::npos);
  EXPECT_NO_THROW(load_bundle(bundle_path_of("tiny")));
  // A run folder or a file path still means itself.
  EXPECT_EQ(bundle_path_of(tmp / "tiny.ferkit"), tmp / "tiny.ferkit");
}

TEST(ShippedModels, AnUnknownNameListsTheKnownOnes) {
  test::TempDir tmp;
  save_tiny_bundle(tmp / "tiny.ferkit");
  ModelsDir env(tmp.str());
  try {
    bundle_path_of("huge");
    FAIL() << "an unknown name resolved";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("tiny"), std::string::npos) << e.what();
  }
  // No default there: a clear error, not a missing file later.
  try {
    bundle_path_of("");
    FAIL() << "no default, yet resolved";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(kDefaultModel), std::string::npos) << e.what();
  }
  // A path that does not exist is left to load_bundle, which names it.
  EXPECT_EQ(bundle_path_of("no/such.ferkit"), "no/such.ferkit");
}

// The models in the repository's models/: each loads, is well under 5 MB, has its model card and
// its validation figures, and its inference graph (what predict, serve and export run) gives
// the module's logits: an ensemble's members and adjustments included.
TEST(ShippedModels, EveryShippedModelLoadsHasACardAndRunsItsGraph) {
  ModelsDir env(std::string(FERKIT_SOURCE_DIR) + "/models");
  const auto models = shipped_models();
  ASSERT_FALSE(models.empty());
  bool has_default = false;
  for (const auto& m : models) {
    has_default = has_default || m.name == kDefaultModel;
    EXPECT_LT(std::filesystem::file_size(m.bundle), 4'500'000u) << m.name;
    EXPECT_FALSE(m.card.empty()) << m.name << " has no model card";
    LoadedBundle b = load_bundle(m.bundle);
    require_emotion_classes(b.info, m.bundle);
    EXPECT_GT(b.info.provenance.val_accuracy.value_or(0.0), 0.8) << m.name;
    torch::manual_seed(1);
    const int64_t size = b.info.preprocess.input_size;
    const torch::Tensor x = torch::rand({4, b.info.preprocess.channels, size, size});
    torch::NoGradGuard no_grad;
    const torch::Tensor expected = b.model->forward(x);
    const torch::Tensor got = infer::run_graph(infer::model_graph(*b.model, size), x);
    EXPECT_LT((got - expected).abs().max().item<float>(), 1e-4) << m.name;
  }
  EXPECT_TRUE(has_default);
}

}  // namespace
}  // namespace ferkit
