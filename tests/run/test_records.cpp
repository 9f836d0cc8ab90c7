// The run folder's typed records: what the trainer writes reads back the same, old files still
// open, and a newer format is refused with a clear error.
#include <cmath>
#include <filesystem>

#include <unistd.h>

#include <gtest/gtest.h>

#include "ferkit/run/records.h"
#include "ferkit/run/run_folder.h"
#include "test_util.h"

namespace ferkit {
namespace {

EpochRecord record(int64_t epoch, bool with_ema) {
  EpochRecord r;
  r.epoch = epoch;
  r.lr = 0.001 * epoch;
  r.train_loss = 1.5 / epoch;
  r.train_acc = 0.4 + 0.1 * epoch;
  r.seconds = 12.25;
  r.val = {1.2, 0.61, 0.45, 0.40, {0.9, 0.8, 0.7, 0.6, 0.5, 0.25, 0.125, 0.0}};
  if (with_ema) r.ema = ValFigures{1.1, 0.625, 0.5, 0.4375, {}};
  return r;
}

TEST(RunRecords, MetricsCsvReadsBackWhatWasWritten) {
  const std::vector<EpochRecord> written = {record(1, true), record(2, true)};
  const std::string csv = metrics_csv(written);
  std::vector<std::string> problems;
  const auto read = parse_metrics_csv(csv, "metrics.csv", problems);
  EXPECT_TRUE(problems.empty());
  ASSERT_EQ(read.size(), 2u);
  EXPECT_EQ(read[1].epoch, 2);
  EXPECT_DOUBLE_EQ(read[1].lr, 0.002);
  EXPECT_DOUBLE_EQ(read[0].val.recall[5], 0.25);
  ASSERT_TRUE(read[0].ema.has_value());
  EXPECT_DOUBLE_EQ(read[0].ema->accuracy, 0.625);
  EXPECT_DOUBLE_EQ(read[1].seconds, 12.25);
  EXPECT_EQ(metrics_csv(read), csv);  // and writes out the same text again

  // Without EMA the EMA columns are empty and read back as no EMA.
  const auto plain = parse_metrics_csv(metrics_csv({record(1, false)}), "m.csv", problems);
  ASSERT_EQ(plain.size(), 1u);
  EXPECT_FALSE(plain[0].ema.has_value());
}

TEST(RunRecords, HistoryJsonKeepsEveryField) {
  const std::vector<EpochRecord> written = {record(1, false), record(2, true)};
  const auto read = history_from_json(history_to_json(written));
  ASSERT_EQ(read.size(), 2u);
  EXPECT_EQ(metrics_csv(read), metrics_csv(written));
  EXPECT_TRUE(history_from_json("").empty());
}

RunSummary summary() {
  RunSummary s;
  s.epochs = 7;
  s.best_epoch = 5;
  s.best_weights = "ema";
  s.select_metric = "balanced_accuracy";
  s.posthoc_tau = 1.5;
  s.posthoc_tau_chosen = false;
  s.best_val.count = 100;
  s.best_val.accuracy = 0.85;
  s.best_val.accuracy_ci = {0.8, 0.9};
  s.best_val.recall[7] = 0.5;
  s.best_val.support[7] = 4;
  s.best_val.confusion[7][7] = 2;
  s.best_val.confusion[7][0] = 2;
  s.best_val.bootstrap_resamples = 10;
  s.best_val.balanced_accuracy_ci = {0.6, 0.7};
  s.raw_stability = {10, 0.01, 0.005, 0.02};
  s.ema_stability = Stability{10, 0.002, 0.001, 0.004};
  s.seconds = 99;
  s.posthoc_curve_val = {{0.0, 0.86, 0.6, 0.55, {}}, {0.5, 0.85, 0.65, 0.56, {}}};
  s.class_counts_train = {1, 2, 3, 4, 5, 6, 7, 8};
  s.class_counts = {{"train (majority)", {1, 2, 3, 4, 5, 6, 7, 8}}, {"valid (majority)", {8, 7, 6, 5, 4, 3, 2, 1}}};
  s.data_warnings = {"12% of valid has a copy in train"};
  return s;
}

TEST(RunRecords, SummaryJsonRoundTrip) {
  const RunSummary s = summary();
  const nlohmann::json j = to_json(s);
  EXPECT_EQ(j.at("format_version"), kRunFormatVersion);
  const RunSummary r = run_summary_from_json(j, "summary.json");
  EXPECT_EQ(to_json(r), j);  // every field survives
  EXPECT_EQ(r.best_weights, "ema");
  EXPECT_EQ(r.posthoc_tau_chosen, std::optional<bool>(false));
  ASSERT_TRUE(r.ema_stability.has_value());
  EXPECT_DOUBLE_EQ(r.best_val.balanced_accuracy_ci.high, 0.7);
  EXPECT_EQ(r.best_val.confusion[7][0], 2);
  EXPECT_EQ(r.class_counts[1].second[0], 8);
}

TEST(RunRecords, SummaryOfTheFormatBeforeVersionsStillOpens) {
  nlohmann::json j = to_json(summary());
  j.erase("format_version");
  j["best_val"]["classes"]["contempt"].erase("recall_ci95");  // older summaries had no intervals
  j.erase("posthoc_tau_chosen");  // nor this: unknown (the run report asks config.yaml)
  const RunSummary r = run_summary_from_json(j, "summary.json");
  EXPECT_EQ(r.format_version, 1);
  EXPECT_FALSE(r.posthoc_tau_chosen.has_value());
  EXPECT_EQ(r.epochs, 7);
  EXPECT_TRUE(std::isnan(r.best_val.recall_ci[7].low));  // unknown, not [0, 1]
}

TEST(RunRecords, NewerFormatIsRefusedWithAClearError) {
  nlohmann::json j = to_json(summary());
  j["format_version"] = kRunFormatVersion + 1;
  try {
    run_summary_from_json(j, "RUN/summary.json");
    FAIL() << "a newer format was read";
  } catch (const NewerFormatError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("RUN/summary.json"), std::string::npos) << m;
    EXPECT_NE(m.find("newer"), std::string::npos) << m;
  }
  nlohmann::json wrong = to_json(summary());
  wrong["epochs"] = "seven";
  EXPECT_THROW(run_summary_from_json(wrong, "summary.json"), Error);
}

TEST(RunRecords, EvalResultRoundTrip) {
  EvalResult e;
  e.model = "run/model.ferkit";
  e.data = "data";
  e.split = "test";
  e.tta = "flip";
  e.metrics.count = 3;
  e.metrics.accuracy = 2.0 / 3;
  const nlohmann::json j = to_json(e);
  EXPECT_EQ(to_json(eval_result_from_json(j, "eval-test-flip.json")), j);
  EXPECT_FALSE(j.contains("without_copies"));  // written only when asked for
  e.copies_of = "train";
  e.excluded = 5;
  e.without_copies = Metrics{};
  e.without_copies->count = 7;
  const nlohmann::json k = to_json(e);
  const EvalResult back = eval_result_from_json(k, "eval-test.json");
  EXPECT_EQ(back.excluded, 5);
  ASSERT_TRUE(back.without_copies.has_value());
  EXPECT_EQ(back.without_copies->count, 7);
  EXPECT_EQ(to_json(back), k);
  EXPECT_THROW(eval_result_from_json(nlohmann::json::object(), "x.json"), Error);
}

TEST(RunFolder, StaleTempFilesOfDeadProcessesAreRemoved) {
  test::TempDir tmp;
  const RunFolder run(tmp / "r");
  run.create();
  const std::string mine = run.metrics() + ".tmp." + std::to_string(::getpid());  // a live writer: this process
  const std::string dead = run.last_checkpoint() + ".tmp.999999999";               // no such process
  const std::string other = run.dir() + "/notes.tmp.txt";                          // not ferkit's
  for (const auto& p : {mine, dead, other}) test::write_file(p, "x");
  EXPECT_EQ(run.remove_stale_temp_files(), 1);
  EXPECT_TRUE(std::filesystem::exists(mine));
  EXPECT_FALSE(std::filesystem::exists(dead));
  EXPECT_TRUE(std::filesystem::exists(other));
}

TEST(RunFolder, NamesEveryPathInOnePlace) {
  const RunFolder run("runs/a");
  EXPECT_EQ(run.metrics(), "runs/a/metrics.csv");
  EXPECT_EQ(run.last_checkpoint(), "runs/a/checkpoints/last.pt");
  EXPECT_EQ(run.bundle(), "runs/a/model.ferkit");
  EXPECT_EQ(run.eval("test", "none"), "runs/a/eval-test.json");
  EXPECT_EQ(run.eval("test", "flip"), "runs/a/eval-test-flip.json");
  EXPECT_EQ(run.plot("curves.png"), "runs/a/plots/curves.png");
  test::TempDir tmp;
  const RunFolder made(tmp / "r");
  EXPECT_FALSE(made.holds_run());
  made.create();
  EXPECT_EQ(bundle_path_of(made.dir()), made.bundle());
  EXPECT_EQ(bundle_path_of("x.ferkit"), "x.ferkit");
}

}  // namespace
}  // namespace ferkit
