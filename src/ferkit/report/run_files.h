// Reads what a run folder holds (config.yaml, metrics.csv, summary.json, eval-*.json,
// checkpoints, bundle; paths from run/run_folder.h, records from run/records.h) for the reports, tolerantly: a missing or damaged file becomes a line in
// `problems` and the report shows the rest.
#pragma once
#include <cmath>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "ferkit/run/records.h"

namespace ferkit {

struct RunFiles {
  std::string dir;
  std::string name;                 // the folder's own name
  std::string config_yaml;          // empty when missing
  std::vector<EpochRecord> metrics; // metrics.csv (rows up to the first damaged one)
  std::optional<RunSummary> summary;  // missing or unreadable: a run still training, or damaged
  std::vector<std::pair<std::string, EvalResult>> evals;  // eval-*.json by file name
  std::optional<AuditResult> audit; // audit.json
  bool has_last_checkpoint = false, has_best_checkpoint = false, has_bundle = false;
  std::vector<std::string> problems;  // what is missing or damaged, in words
};

// One value per epoch, e.g. column(run.metrics, [](const EpochRecord& e) { return e.val.accuracy; }).
template <typename Field>
std::vector<double> column(const std::vector<EpochRecord>& records, Field field) {
  std::vector<double> v;
  for (const auto& r : records) v.push_back(field(r));
  return v;
}
// The EMA's figure of each epoch (NaN for epochs without one).
template <typename Field>
std::vector<double> ema_column(const std::vector<EpochRecord>& records, Field field) {
  std::vector<double> v;
  for (const auto& r : records) v.push_back(r.ema ? field(*r.ema) : NAN);
  return v;
}
bool has_ema(const std::vector<EpochRecord>& records);

// Throws Error when `dir` is not a folder or holds none of config.yaml, metrics.csv, summary.json.
RunFiles read_run(const std::string& dir);

}  // namespace ferkit

#include <array>

#include "ferkit/data/classes.h"
#include "ferkit/eval/stability.h"

namespace ferkit {

// The figures both reports show for a run, from summary.json when the run finished and from the
// last row of metrics.csv otherwise.
struct RunHeadline {
  std::string recipe, backbone, status;   // status: "finished", or what is known of an unfinished run
  int64_t epochs_done = 0, epochs_planned = 0;
  bool final = false;                     // figures of the best weights (summary.json) or of the last epoch
  double accuracy = NAN, balanced_accuracy = NAN, macro_f1 = NAN, seconds = NAN;
  double accuracy_low = NAN, accuracy_high = NAN;
  int64_t val_count = 0;
  std::array<double, kNumEmotions> recall;
  Stability raw, ema;                     // of validation accuracy over the last 10 epochs
  bool has_ema = false;
  RunHeadline() { recall.fill(NAN); }
};

RunHeadline summarize_run(const RunFiles& run);

// A value of config.yaml as text ("" when absent).
std::string config_value(const RunFiles& run, const std::string& key);

}  // namespace ferkit
