// Reads what a run folder holds (config.yaml, metrics.csv, summary.json, eval-*.json,
// checkpoints, bundle) for the reports, tolerantly: a missing or damaged file becomes a line in
// `problems` and the report shows the rest.
#pragma once
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace ferkit {

struct MetricsTable {
  std::vector<std::string> columns;
  std::vector<std::vector<double>> rows;  // NaN where a field is empty
  bool has(const std::string& column) const;
  std::vector<double> column(const std::string& column) const;  // empty when absent
};

struct RunFiles {
  std::string dir;
  std::string name;                 // the folder's own name
  std::string config_yaml;          // empty when missing
  MetricsTable metrics;
  nlohmann::json summary;           // null when missing or unreadable (a run still training)
  std::vector<std::pair<std::string, nlohmann::json>> evals;  // eval-*.json by file name
  nlohmann::json audit;             // audit.json (the data audit; null when absent)
  bool has_last_checkpoint = false, has_best_checkpoint = false, has_bundle = false;
  std::vector<std::string> problems;  // what is missing or damaged, in words
};

// Throws Error when `dir` is not a folder or holds none of config.yaml, metrics.csv, summary.json.
RunFiles read_run(const std::string& dir);

// Parses metrics.csv text; rows from the first bad line on are left out and said in `problems`.
MetricsTable parse_metrics_csv(const std::string& text, const std::string& file, std::vector<std::string>& problems);

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
