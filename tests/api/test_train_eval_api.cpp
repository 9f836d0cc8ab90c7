// The public training and evaluation API (include/ferkit/train.h, evaluate.h) on a small
// synthetic set: progress reported batch by batch and epoch by epoch with metrics.csv's figures,
// a stop flag that interrupts and a resume that finishes, the summary as summary.json has it,
// evaluation figures consistent with their own confusion matrix, and errors as ferkit::Error.
// Also Model::predict_crops against predict_image with detector "none".
#include <atomic>
#include <filesystem>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "ferkit/data/dataset.h"
#include "ferkit/data/synth.h"
#include "ferkit/ferkit.h"
#include "ferkit/run/records.h"
#include "test_util.h"

namespace ferkit {
namespace {
namespace fs = std::filesystem;

std::string synthetic_data(const test::TempDir& tmp) {
  return test::synthetic_ferplus(tmp, 0.1);  // 400 train, 80 valid
}

TEST(TrainApi, ReportsProgressStopsOnTheFlagAndResumes) {
  test::TempDir tmp;
  const std::string data = synthetic_data(tmp);
  const std::map<std::string, std::string> config{{"data", data}, {"out", tmp / "run"}, {"epochs", "2"},
                                                  {"width", "0.25"}, {"workers", "1"}};
  std::atomic<bool> stop{false};
  std::vector<TrainProgress> seen;
  bool stopped_once = false;
  TrainControl control;
  control.threads = 1;
  control.stop = &stop;
  control.progress = [&](const TrainProgress& p) {
    seen.push_back(p);
    if (p.epoch == 2 && p.step == 2 && !p.validated && !stopped_once) stop = stopped_once = true;  // in the second epoch
  };
  try {
    train(config, control);
    FAIL() << "the stop flag did not stop training";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("interrupted in epoch 2"), std::string::npos) << e.what();
  }
  ASSERT_FALSE(seen.empty());
  const int64_t steps = seen.front().steps;
  EXPECT_GT(steps, 2);
  // epoch 1: every batch in order, then its validation; epoch 2: two batches
  ASSERT_EQ(static_cast<int64_t>(seen.size()), steps + 1 + 2);
  for (int64_t i = 0; i < steps; ++i) {
    EXPECT_EQ(seen[i].epoch, 1);
    EXPECT_EQ(seen[i].step, i + 1);
    EXPECT_FALSE(seen[i].validated);
    EXPECT_GT(seen[i].loss, 0.0);
  }
  const TrainProgress& v = seen[steps];
  EXPECT_TRUE(v.validated);
  // the validated figures are metrics.csv's first row
  std::vector<std::string> problems;
  const auto rows = parse_metrics_csv(test_read(tmp / "run/metrics.csv"), "metrics.csv", problems);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_NEAR(v.val_accuracy, rows[0].val.accuracy, 1e-9);
  EXPECT_NEAR(v.val_balanced_accuracy, rows[0].val.balanced_accuracy, 1e-9);
  EXPECT_THROW(read_run_summary(tmp / "run"), Error);  // not finished

  stop = false;
  control.resume = true;
  seen.clear();
  const RunResult r = train(config, control);
  EXPECT_EQ(seen.front().epoch, 2);  // resumed from the checkpoint of epoch 1
  EXPECT_EQ(r.epochs, 2);
  EXPECT_EQ(r.run, tmp / "run");
  EXPECT_TRUE(fs::exists(r.bundle));
  const RunResult again = read_run_summary(tmp / "run");
  EXPECT_EQ(again.json, r.json);
  const auto j = nlohmann::json::parse(r.json);
  EXPECT_DOUBLE_EQ(r.validation.accuracy, j["best_val"]["accuracy"].get<double>());
  EXPECT_EQ(r.validation.count, 80);
  // the bundle scores as the summary says
  EvaluateOptions eo;
  eo.split = "valid";
  eo.bootstrap = 0;
  EXPECT_DOUBLE_EQ(evaluate(r.bundle, data, eo).scores.accuracy, r.validation.accuracy);
}

TEST(TrainApi, YamlTextAndBadKeysAreErrorsNamingTheKey) {
  test::TempDir tmp;
  const std::string data = synthetic_data(tmp);
  TrainControl control;
  control.threads = 1;
  try {
    train({{"data", data}, {"out", tmp / "bad"}, {"epochs", "ten"}}, control);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("bad value 'ten' for epochs"), std::string::npos) << e.what();
  }
  EXPECT_THROW(train({{"data", data}, {"out", tmp / "bad2"}, {"bogus", "1"}}, control), Error);
  EXPECT_THROW(train({{"recipe", "fastest"}, {"data", data}, {"out", tmp / "bad3"}}, control), Error);
  EXPECT_THROW(train({{"out", tmp / "nothing"}}, TrainControl{nullptr, nullptr, true}), Error);  // resume without a run
  // A YAML text's own recipe key picks the starting settings, its other keys override them.
  const RunResult r = train_yaml("recipe: cpu-fast\ndata: " + data + "\nout: " + (tmp / "yaml") +
                                     "\nepochs: 1\nwidth: 0.25\nworkers: 1\n",
                                 control);
  EXPECT_EQ(r.epochs, 1);
  const std::string saved = test_read(tmp / "yaml/config.yaml");
  EXPECT_NE(saved.find("recipe: cpu-fast"), std::string::npos);
  EXPECT_NE(saved.find("optimizer: sgd"), std::string::npos);  // from the recipe
  EXPECT_NE(saved.find("epochs: 1"), std::string::npos);
}

TEST(EvaluateApi, FiguresAgreeWithTheirConfusionMatrixAndTheLeakageFreeSubset) {
  test::TempDir tmp;
  const std::string data = synthetic_data(tmp);
  EvaluateOptions o;
  o.split = "valid";
  o.exclude_copies_of = "train";
  o.bootstrap = 50;
  const Evaluation e = evaluate("", data, o);  // the default shipped model
  EXPECT_EQ(e.split, "valid");
  ASSERT_EQ(e.scores.classes.size(), 8u);
  EXPECT_EQ(e.scores.classes[0], "neutral");
  EXPECT_EQ(e.scores.count, load_dataset(data, {}).split("valid").size());
  int64_t total = 0, correct = 0;
  for (size_t t = 0; t < 8; ++t) {
    int64_t row = 0;
    for (size_t p = 0; p < 8; ++p) row += e.scores.confusion[t][p];
    EXPECT_EQ(row, e.scores.support[t]);
    if (row > 0) EXPECT_NEAR(e.scores.recall[t], static_cast<double>(e.scores.confusion[t][t]) / row, 1e-12);
    total += row;
    correct += e.scores.confusion[t][t];
  }
  EXPECT_EQ(total, e.scores.count);
  EXPECT_NEAR(e.scores.accuracy, static_cast<double>(correct) / total, 1e-12);
  EXPECT_LE(e.scores.balanced_accuracy_ci.low, e.scores.balanced_accuracy);
  EXPECT_GE(e.scores.balanced_accuracy_ci.high, e.scores.balanced_accuracy);
  ASSERT_TRUE(e.without_copies.has_value());
  EXPECT_EQ(e.without_copies->count + e.excluded, e.scores.count);
  const auto j = nlohmann::json::parse(e.json);
  EXPECT_DOUBLE_EQ(j["metrics"]["accuracy"].get<double>(), e.scores.accuracy);
  try {
    evaluate("", tmp / "missing");
    FAIL();
  } catch (const Error& err) {
    EXPECT_NE(std::string(err.what()).find(tmp / "missing"), std::string::npos) << err.what();
  }
}

TEST(ModelApi, PredictCropsAgreesWithPredictImageWithoutADetector) {
  const Model model("", ModelOptions{"none"});
  for (const int side : {48, 61}) {  // the stored size, and one that must be resized
    std::vector<std::uint8_t> pixels(3 * side * side);
    for (size_t i = 0; i < pixels.size(); ++i) pixels[i] = static_cast<std::uint8_t>((i * 37 + i / side * 11) % 251);
    std::vector<float> out(3 * model.classes().size(), -1.0f);
    model.predict_crops(pixels.data(), 3, side, side, out.data());
    for (int k = 0; k < 3; ++k) {
      const cv::Mat face(side, side, CV_8UC1, pixels.data() + k * side * side);
      const PhotoResult r = model.predict_image(face);
      ASSERT_EQ(r.faces.size(), 1u);
      for (size_t c = 0; c < model.classes().size(); ++c)
        EXPECT_NEAR(out[k * model.classes().size() + c], r.faces[0].probabilities[c].second, 1e-6) << side << " " << k << " " << c;
    }
  }
  EXPECT_THROW(model.predict_crops(nullptr, 1, 48, 48, nullptr), Error);
}

}  // namespace
}  // namespace ferkit
