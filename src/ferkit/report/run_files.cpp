#include "ferkit/report/run_files.h"

#include <cmath>
#include <filesystem>
#include <sstream>

#include <fmt/format.h>

#include "ferkit/data/csv.h"
#include "ferkit/util/error.h"
#include "ferkit/util/fs.h"

namespace ferkit {
namespace fs = std::filesystem;

bool MetricsTable::has(const std::string& name) const {
  return std::find(columns.begin(), columns.end(), name) != columns.end();
}

std::vector<double> MetricsTable::column(const std::string& name) const {
  const auto it = std::find(columns.begin(), columns.end(), name);
  if (it == columns.end()) return {};
  const size_t k = static_cast<size_t>(it - columns.begin());
  std::vector<double> v;
  for (const auto& r : rows) v.push_back(r[k]);
  return v;
}

MetricsTable parse_metrics_csv(const std::string& text, const std::string& file, std::vector<std::string>& problems) {
  MetricsTable t;
  std::istringstream in(text);
  std::string line;
  long line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    std::vector<std::string> fields;
    try {
      fields = split_csv_line(line, file, line_no);
    } catch (const Error& e) {
      problems.push_back(std::string(e.what()) + "; the rows from here on are left out");
      break;
    }
    if (t.columns.empty()) {
      t.columns = fields;
      continue;
    }
    if (fields.size() != t.columns.size()) {
      problems.push_back(fmt::format("{}:{}: {} fields where the header has {} (a truncated file?); the rows from here on "
                                     "are left out",
                                     file, line_no, fields.size(), t.columns.size()));
      break;
    }
    std::vector<double> row;
    bool ok = true;
    for (size_t k = 0; k < fields.size() && ok; ++k) {
      if (fields[k].empty()) {
        row.push_back(NAN);
        continue;
      }
      try {
        size_t used = 0;
        row.push_back(std::stod(fields[k], &used));
        ok = used == fields[k].size();
      } catch (const std::exception&) {
        ok = false;
      }
      if (!ok)
        problems.push_back(fmt::format("{}:{}: column {} is '{}', not a number; the rows from here on are left out", file,
                                       line_no, t.columns[k], fields[k]));
    }
    if (!ok) break;
    t.rows.push_back(std::move(row));
  }
  if (t.columns.empty()) problems.push_back(file + ": empty (no header)");
  return t;
}

RunFiles read_run(const std::string& dir) {
  FERKIT_CHECK(fs::is_directory(dir), dir + ": not a folder (expected a run folder made by `ferkit train`)");
  RunFiles r;
  r.dir = dir;
  r.name = fs::path(dir).lexically_normal().filename().string();
  if (r.name.empty() || r.name == ".") r.name = fs::absolute(dir).lexically_normal().parent_path().filename().string();
  const fs::path root(dir);
  const bool has_config = fs::exists(root / "config.yaml"), has_metrics = fs::exists(root / "metrics.csv"),
             has_summary = fs::exists(root / "summary.json");
  FERKIT_CHECK(has_config || has_metrics || has_summary,
               dir + ": not a run folder (none of config.yaml, metrics.csv, summary.json is there)");
  if (has_config)
    r.config_yaml = read_text_file((root / "config.yaml").string());
  else
    r.problems.push_back("config.yaml is missing: the settings of the run are unknown");
  if (has_metrics)
    r.metrics = parse_metrics_csv(read_text_file((root / "metrics.csv").string()), (root / "metrics.csv").string(), r.problems);
  else
    r.problems.push_back("metrics.csv is missing: no training curves");
  if (has_summary) {
    try {
      r.summary = nlohmann::json::parse(read_text_file((root / "summary.json").string()));
    } catch (const nlohmann::json::exception& e) {
      r.problems.push_back((root / "summary.json").string() + ": not valid JSON (" + e.what() + ")");
    }
  } else {
    r.problems.push_back("summary.json is missing: the run has not finished (or was stopped), so there are no final "
                         "figures of the best weights");
  }
  r.has_last_checkpoint = fs::exists(root / "checkpoints" / "last.pt");
  r.has_best_checkpoint = fs::exists(root / "checkpoints" / "best.pt");
  r.has_bundle = fs::exists(root / "model.ferkit");
  if (!r.has_last_checkpoint) r.problems.push_back("checkpoints/last.pt is missing: the run cannot be resumed");
  if (!r.has_bundle && has_summary) r.problems.push_back("model.ferkit is missing: the model cannot be deployed");
  if (fs::exists(root / "audit.json")) {
    try {
      r.audit = nlohmann::json::parse(read_text_file((root / "audit.json").string()));
    } catch (const nlohmann::json::exception& e) {
      r.problems.push_back((root / "audit.json").string() + ": not valid JSON (" + e.what() + ")");
    }
  }
  std::vector<fs::path> evals;
  for (const auto& e : fs::directory_iterator(root)) {
    const std::string f = e.path().filename().string();
    if (f.rfind("eval-", 0) == 0 && e.path().extension() == ".json") evals.push_back(e.path());
  }
  std::sort(evals.begin(), evals.end());
  for (const auto& p : evals) {
    try {
      r.evals.emplace_back(p.filename().string(), nlohmann::json::parse(read_text_file(p.string())));
    } catch (const nlohmann::json::exception& e) {
      r.problems.push_back(p.string() + ": not valid JSON (" + e.what() + ")");
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
  h.epochs_done = static_cast<int64_t>(run.metrics.rows.size());
  const auto raw = run.metrics.column("val_acc");
  const auto ema = run.metrics.column("ema_val_acc");
  auto finite = [](std::vector<double> v) {
    v.erase(std::remove_if(v.begin(), v.end(), [](double x) { return !std::isfinite(x); }), v.end());
    return v;
  };
  h.raw = stability(finite(raw), 10);
  h.ema = stability(finite(ema), 10);
  h.has_ema = !finite(ema).empty();
  if (run.summary.is_object() && run.summary.contains("best_val")) {
    const auto& b = run.summary["best_val"];
    h.final = true;
    h.status = "finished";
    h.accuracy = b.value("accuracy", NAN);
    h.balanced_accuracy = b.value("balanced_accuracy", NAN);
    h.macro_f1 = b.value("macro_f1", NAN);
    h.val_count = b.value("count", int64_t{0});
    if (b.contains("accuracy_ci95")) h.accuracy_low = b["accuracy_ci95"][0], h.accuracy_high = b["accuracy_ci95"][1];
    if (b.contains("classes"))
      for (int c = 0; c < kNumEmotions; ++c)
        if (b["classes"].contains(emotion_name(c))) h.recall[c] = b["classes"][emotion_name(c)].value("recall", NAN);
    // A resumed run's summary holds the last session's wall time; the epochs hold them all.
    double epoch_seconds = 0;
    for (double v : run.metrics.column("seconds")) epoch_seconds += std::isfinite(v) ? v : 0;
    h.seconds = std::max(run.summary.value("seconds", 0.0), epoch_seconds);
    if (run.summary.contains("epochs")) h.epochs_done = run.summary["epochs"];
  } else {
    h.status = h.epochs_done == 0 ? "no epoch finished yet"
                                  : fmt::format("unfinished: {} of {} epochs", h.epochs_done,
                                                h.epochs_planned ? std::to_string(h.epochs_planned) : "?");
    if (h.epochs_done > 0) {
      const bool use_ema = h.has_ema && std::isfinite(ema.back());
      h.accuracy = use_ema ? ema.back() : raw.back();
      const auto bal = run.metrics.column(use_ema ? "ema_val_balanced_acc" : "val_balanced_acc");
      const auto f1 = run.metrics.column(use_ema ? "ema_val_macro_f1" : "val_macro_f1");
      if (!bal.empty()) h.balanced_accuracy = bal.back();
      if (!f1.empty()) h.macro_f1 = f1.back();
      for (int c = 0; c < kNumEmotions; ++c) {
        const auto rc = run.metrics.column("val_recall_" + emotion_name(c));
        if (!rc.empty()) h.recall[c] = rc.back();
      }
      double total = 0;
      for (double s : run.metrics.column("seconds")) total += std::isfinite(s) ? s : 0;
      h.seconds = total;
    }
  }
  return h;
}

}  // namespace ferkit
