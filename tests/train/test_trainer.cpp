// A short training run on a small synthetic set: the run folder holds what DESIGN.md promises,
// and the bundle it writes scores the same as the evaluation loop said.
#include <filesystem>

#include <gtest/gtest.h>

#include "ferkit/data/synth.h"
#include "ferkit/eval/evaluator.h"
#include "ferkit/models/bundle.h"
#include "ferkit/train/trainer.h"
#include "test_util.h"

namespace ferkit {
namespace {
namespace fs = std::filesystem;

TEST(Trainer, ShortRunWritesConfigMetricsCheckpointsAndBundle) {
  test::TempDir tmp;
  SynthConfig sc;
  sc.out = tmp / "data";
  sc.scale = 0.15;  // 600 train, 120 valid
  write_synthetic_dataset(sc);

  TrainConfig c;
  c.data = sc.out;
  c.out = tmp / "run";
  c.epochs = 2;
  c.width = 0.25;
  c.workers = 1;
  const TrainSummary s = run_training(c);
  for (const char* f : {"config.yaml", "metrics.csv", "checkpoints/last.pt", "checkpoints/best.pt", "model.ferkit"})
    EXPECT_TRUE(fs::exists(fs::path(c.out) / f)) << f;
  const std::string csv = test_read(c.out + "/metrics.csv");
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 3);  // header and one row per epoch
  EXPECT_EQ(csv.rfind("epoch,lr,train_loss,train_acc,val_loss,val_acc", 0), 0u);

  // the bundle holds the best epoch's weights: scoring it again gives the same figure
  LoadedBundle b = load_bundle(s.bundle_path);
  const Dataset ds = load_dataset(c.data);
  const Metrics m = evaluate_split(b.model, ds.split("valid"), b.info.preprocess);
  EXPECT_DOUBLE_EQ(m.accuracy, s.best_val.accuracy);
  EXPECT_GE(s.best_epoch, 1);

  // the resolved config repeats the run's settings
  TrainConfig again;
  apply_config_yaml(again, c.out + "/config.yaml");
  EXPECT_EQ(again.epochs, 2);
  EXPECT_DOUBLE_EQ(again.width, 0.25);
}

}  // namespace
}  // namespace ferkit
