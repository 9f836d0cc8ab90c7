// The typed records of a run folder, each with its JSON (or CSV) form: what the trainer writes and
// what eval, report and compare read back, through the same types. Paths: run_folder.h.
//
// Versioning: summary.json carries "format_version" (kRunFormatVersion). A file without it is of
// version 1 (the format before the field existed, identical otherwise); a newer version than this
// ferkit knows is an Error that says so, rather than figures misread.
#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "ferkit/eval/metrics.h"
#include "ferkit/eval/results.h"
#include "ferkit/eval/stability.h"
#include "ferkit/util/error.h"

namespace ferkit {

constexpr int kRunFormatVersion = 1;

// A run folder written by a newer ferkit, in a format this one does not know.
struct NewerFormatError : Error {
  using Error::Error;
};

// The validation figures kept per epoch.
struct ValFigures {
  double loss = 0, accuracy = 0, balanced_accuracy = 0, macro_f1 = 0;
  std::array<double, kNumEmotions> recall{};
};
ValFigures figures(const Metrics& m);

// One row of metrics.csv (and of the history a checkpoint carries, so that a resumed run writes
// the same metrics.csv as an uninterrupted one).
struct EpochRecord {
  int64_t epoch = 0;
  double lr = 0, train_loss = 0, train_acc = 0, seconds = 0;
  ValFigures val;
  std::optional<ValFigures> ema;  // with --ema-decay
  // With --select-on holdout: the held-back split's figures, which chose the epoch.
  std::optional<ValFigures> select, select_ema;
};

// metrics.csv: the header and one row per epoch (EMA columns empty without EMA).
std::string metrics_csv(const std::vector<EpochRecord>& records);
// Parses metrics.csv text; rows from the first bad line on are left out and said in `problems`
// (a run still writing, a damaged file), naming `file` and the line.
std::vector<EpochRecord> parse_metrics_csv(const std::string& text, const std::string& file, std::vector<std::string>& problems);
// The same records as JSON text, for checkpoints ("" reads as no records).
std::string history_to_json(const std::vector<EpochRecord>& records);
std::vector<EpochRecord> history_from_json(const std::string& text);

// One point of the post-hoc logit-adjustment curve measured on validation.
struct PosthocPoint {
  double tau = 0, accuracy = 0, balanced_accuracy = 0, macro_f1 = 0;
  std::array<double, kNumEmotions> recall{};
};

// summary.json: the outcome of a finished run.
struct RunSummary {
  int format_version = kRunFormatVersion;
  int64_t epochs = 0;                // epochs run (fewer than configured after early stopping)
  int64_t best_epoch = 0;            // 1-based epoch of the bundled weights
  std::string best_weights;          // raw | ema | swa
  std::string select_metric;
  double posthoc_tau = 0.0;          // the adjustment inside the bundle (0: none)
  // With an adjustment: true when tau was chosen on the selection split (auto), false when the
  // configuration set it; empty without one, and in summaries written before the field existed.
  std::optional<bool> posthoc_tau_chosen;
  double temperature = 1.0;          // the calibration inside the bundle (1: none)
  Metrics best_val;                  // the bundle's validation figures (adjustment included, intervals)
  std::string select_on = "valid";   // where the epoch and tau were chosen: valid | holdout:FRACTION | last
  std::optional<Metrics> best_select;  // with holdout: the bundle's figures on the held-back split
  Stability raw_stability;           // validation accuracy over the last 10 epochs
  std::optional<Stability> ema_stability;
  double seconds = 0.0, train_images_per_second = 0.0;
  bool resumed = false;
  std::vector<PosthocPoint> posthoc_curve_val;  // on the selection split (select_on); empty without --posthoc-tau
  std::vector<int64_t> class_counts_train;
  std::vector<std::pair<std::string, std::vector<int64_t>>> class_counts;  // "SPLIT (MODE)" -> per class
  std::vector<std::string> data_warnings;
};
nlohmann::json to_json(const RunSummary& s);
// Throws NewerFormatError for a newer format version, Error naming `file` for a field of the wrong type.
RunSummary run_summary_from_json(const nlohmann::json& j, const std::string& file);

// eval-*.json: one `ferkit eval` (eval/results.h).
nlohmann::json to_json(const EvalResult& e);
EvalResult eval_result_from_json(const nlohmann::json& j, const std::string& file);
// Keeps an evaluation in the run it scored: RUN/eval-SPLIT[-TTA].json when `model` (as the user
// named it) is a run folder; nothing for a bundle or a shipped model.
void keep_eval_in_run(const std::string& model, const EvalResult& e);

// `ferkit robustness --json` (eval/results.h).
nlohmann::json to_json(const RobustnessReport& r);

// audit.json: the data audit kept with a run (data/audit.h makes it). The headline fields are
// typed; the per-pair, label-noise and noise-floor tables stay JSON (the audit page draws them).
struct AuditResult {
  bool near_duplicates_searched = false;  // false: the cheap audit (exact copies only)
  std::vector<std::string> warnings;
  nlohmann::json detail = nlohmann::json::object();  // the whole audit as data/audit.h wrote it
};
AuditResult audit_result_from_json(const nlohmann::json& j);
inline const nlohmann::json& to_json(const AuditResult& a) { return a.detail; }

}  // namespace ferkit
