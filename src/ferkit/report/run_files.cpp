#include "ferkit/report/run_files.h"

#include <cmath>
#include <filesystem>
#include <algorithm>

#include <fmt/format.h>

#include "ferkit/run/run_folder.h"
#include "ferkit/util/error.h"
#include "ferkit/util/fs.h"

namespace ferkit {
namespace fs = std::filesystem;

bool has_ema(const std::vector<EpochRecord>& records) {
  return std::any_of(records.begin(), records.end(), [](const EpochRecord& r) { return r.ema && std::isfinite(r.ema->accuracy); });
}

namespace {
// A JSON file of the run, or nullopt with a line in `problems` when it is not valid JSON.
std::optional<nlohmann::json> read_json(const std::string& path, std::vector<std::string>& problems) {
  try {
    return nlohmann::json::parse(read_text_file(path));
  } catch (const nlohmann::json::exception& e) {
    problems.push_back(path + ": not valid JSON (" + e.what() + ")");
  } catch (const Error& e) {
    problems.push_back(std::string(e.what()));
  }
  return std::nullopt;
}
}  // namespace

RunFiles read_run(const std::string& dir) {
  FERKIT_CHECK(fs::is_directory(dir), dir + ": not a folder (expected a run folder made by `ferkit train`)");
  const RunFolder folder(dir);
  FERKIT_CHECK(folder.holds_run(), dir + ": not a run folder (none of config.yaml, metrics.csv, summary.json is there)");
  RunFiles r;
  r.dir = dir;
  r.name = fs::path(dir).lexically_normal().filename().string();
  if (r.name.empty() || r.name == ".") r.name = fs::absolute(dir).lexically_normal().parent_path().filename().string();
  if (fs::exists(folder.config()))
    r.config_yaml = read_text_file(folder.config());
  else
    r.problems.push_back("config.yaml is missing: the settings of the run are unknown");
  if (fs::exists(folder.metrics()))
    r.metrics = parse_metrics_csv(read_text_file(folder.metrics()), folder.metrics(), r.problems);
  else
    r.problems.push_back("metrics.csv is missing: no training curves");
  const bool has_summary = fs::exists(folder.summary());
  if (has_summary) {
    if (const auto j = read_json(folder.summary(), r.problems)) {
      try {
        r.summary = run_summary_from_json(*j, folder.summary());
      } catch (const NewerFormatError&) {
        throw;  // figures of an unknown format would be misread: say so instead
      } catch (const Error& e) {
        r.problems.push_back(e.what());
      }
    }
  } else {
    r.problems.push_back("summary.json is missing: the run has not finished (or was stopped), so there are no final "
                         "figures of the best weights");
  }
  r.has_last_checkpoint = fs::exists(folder.last_checkpoint());
  r.has_best_checkpoint = fs::exists(folder.best_checkpoint());
  r.has_bundle = fs::exists(folder.bundle());
  if (!r.has_last_checkpoint) r.problems.push_back("checkpoints/last.pt is missing: the run cannot be resumed");
  if (!r.has_best_checkpoint && has_summary)
    r.problems.push_back("checkpoints/best.pt is missing: the best weights cannot be bundled again (model.ferkit holds them)");
  if (!r.has_bundle && has_summary) r.problems.push_back("model.ferkit is missing: the model cannot be deployed");
  if (fs::exists(folder.audit()))
    if (const auto j = read_json(folder.audit(), r.problems)) r.audit = audit_result_from_json(*j);
  for (const auto& path : folder.evals()) {
    const auto j = read_json(path, r.problems);
    if (!j) continue;
    try {
      r.evals.emplace_back(fs::path(path).filename().string(), eval_result_from_json(*j, path));
    } catch (const Error& e) {
      r.problems.push_back(e.what());
    }
  }
  return r;
}

}  // namespace ferkit

#include <yaml-cpp/yaml.h>

namespace ferkit {

std::string config_value(const RunFiles& run, const std::string& key) {
  if (run.config_yaml.empty()) return "";
  try {
    const YAML::Node n = YAML::Load(run.config_yaml)[key];
    return n && n.IsScalar() ? n.as<std::string>() : "";
  } catch (const YAML::Exception&) {
    return "";
  }
}

RunHeadline summarize_run(const RunFiles& run) {
  RunHeadline h;
  h.recipe = config_value(run, "recipe");
  h.backbone = config_value(run, "backbone");
  const std::string width = config_value(run, "width");
  if (!width.empty() && width != "0") h.backbone += " (width " + width + ")";
  const std::string planned = config_value(run, "epochs");
  if (!planned.empty()) h.epochs_planned = std::stoll(planned);
  h.epochs_done = static_cast<int64_t>(run.metrics.size());
  const auto raw = column(run.metrics, [](const EpochRecord& e) { return e.val.accuracy; });
  const auto ema = ema_column(run.metrics, [](const ValFigures& v) { return v.accuracy; });
  auto finite = [](std::vector<double> v) {
    v.erase(std::remove_if(v.begin(), v.end(), [](double x) { return !std::isfinite(x); }), v.end());
    return v;
  };
  h.raw = stability(finite(raw), 10);
  h.ema = stability(finite(ema), 10);
  h.has_ema = !finite(ema).empty();
  double epoch_seconds = 0;
  for (const auto& e : run.metrics) epoch_seconds += std::isfinite(e.seconds) ? e.seconds : 0;
  if (run.summary) {
    const Metrics& b = run.summary->best_val;
    h.final = true;
    h.status = "finished";
    h.accuracy = b.accuracy;
    h.balanced_accuracy = b.balanced_accuracy;
    h.macro_f1 = b.macro_f1;
    h.val_count = b.count;
    h.accuracy_low = b.accuracy_ci.low, h.accuracy_high = b.accuracy_ci.high;
    for (int c = 0; c < kNumEmotions; ++c) h.recall[c] = b.recall[c];
    // A resumed run's summary holds the last session's wall time; the epochs hold them all.
    h.seconds = std::max(run.summary->seconds, epoch_seconds);
    h.epochs_done = run.summary->epochs;
  } else {
    h.status = h.epochs_done == 0 ? "no epoch finished yet"
                                  : fmt::format("unfinished: {} of {} epochs", h.epochs_done,
                                                h.epochs_planned ? std::to_string(h.epochs_planned) : "?");
    if (h.epochs_done > 0) {
      const EpochRecord& last = run.metrics.back();
      const bool use_ema = last.ema && std::isfinite(last.ema->accuracy);
      const ValFigures& v = use_ema ? *last.ema : last.val;
      h.accuracy = v.accuracy;
      h.balanced_accuracy = v.balanced_accuracy;
      h.macro_f1 = v.macro_f1;
      for (int c = 0; c < kNumEmotions; ++c) h.recall[c] = last.val.recall[c];
      h.seconds = epoch_seconds;
    }
  }
  return h;
}

}  // namespace ferkit
