// The layout of a run folder: every path ferkit reads or writes inside RUN/ is named here and
// nowhere else (trainer, eval, audit, report and compare all go through RunFolder).
//
//   RUN/config.yaml            the resolved training config (repeat the run from it)
//   RUN/metrics.csv            one EpochRecord per epoch (records.h)
//   RUN/summary.json           the RunSummary of a finished run
//   RUN/audit.json             the AuditResult kept with the run
//   RUN/checkpoints/last.pt    resumable state;  RUN/checkpoints/best.pt  the best weights
//   RUN/model.ferkit           the deployable bundle
//   RUN/eval-SPLIT[-TTA].json  one EvalResult per `ferkit eval`
//   RUN/report.html, RUN/plots/*.png   the report and its charts
#pragma once
#include <string>
#include <vector>

namespace ferkit {

class RunFolder {
 public:
  explicit RunFolder(std::string dir) : dir_(std::move(dir)) {}
  const std::string& dir() const { return dir_; }

  std::string config() const { return path("config.yaml"); }
  std::string metrics() const { return path("metrics.csv"); }
  std::string summary() const { return path("summary.json"); }
  std::string audit() const { return path("audit.json"); }
  std::string checkpoints() const { return path("checkpoints"); }
  std::string last_checkpoint() const { return path("checkpoints/last.pt"); }
  std::string best_checkpoint() const { return path("checkpoints/best.pt"); }
  std::string bundle() const { return path(kBundleName); }
  std::string report() const { return path("report.html"); }
  std::string plots() const { return path("plots"); }
  std::string plot(const std::string& png_name) const { return path("plots/" + png_name); }
  // RUN/eval-SPLIT.json, or RUN/eval-SPLIT-TTA.json with test-time augmentation.
  std::string eval(const std::string& split, const std::string& tta) const;
  // The eval-*.json files there now, sorted by name.
  std::vector<std::string> evals() const;

  // Whether the folder holds any of config.yaml, metrics.csv, summary.json (a run, finished or not).
  bool holds_run() const;
  // The files of the run that commands read (config, metrics, summary, audit, checkpoints, bundle,
  // evaluations): what no output may replace.
  std::vector<std::string> read_files() const;
  // Creates RUN/ and RUN/checkpoints/; Error naming the folder when it is a file or cannot be made.
  void create() const;
  // Removes every file of the run that this layout names (config, metrics, summary, audit,
  // checkpoints, bundle, evaluations, report and plots); anything else in the folder stays.
  void remove_run_files() const;
  // Removes temporary files (NAME.tmp.PID, util/fs.h's atomic writes) that a killed process left
  // in the folder, its checkpoints or its plots; those of a process still alive stay. Returns how many went.
  int remove_stale_temp_files() const;

  static constexpr const char* kBundleName = "model.ferkit";

 private:
  std::string path(const std::string& relative) const;
  std::string dir_;
};

// The bundle a --model argument names: RUN/model.ferkit for a run folder, a bundle file as it is,
// or a shipped model by name (models/shipped.h); "" names the default shipped model. Throws
// Error, listing the shipped models, for a name that is none of these.
std::string bundle_path_of(const std::string& model);
// How to call that model in a log line: "ferplus-small (shipped model, the default)", or the path.
std::string describe_model(const std::string& model);

}  // namespace ferkit
