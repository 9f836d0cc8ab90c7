#include "ferkit/run/records.h"

#include <algorithm>
#include <filesystem>
#include <cmath>
#include <map>
#include <sstream>

#include <fmt/format.h>

#include "ferkit/data/csv.h"
#include "ferkit/eval/robustness.h"
#include "ferkit/run/run_folder.h"
#include "ferkit/util/fs.h"
#include "ferkit/util/error.h"
#include "ferkit/util/json_text.h"

namespace ferkit {

ValFigures figures(const Metrics& m) { return {m.loss, m.accuracy, m.balanced_accuracy, m.macro_f1, m.recall}; }

// ---- metrics.csv -------------------------------------------------------------------------------

std::string metrics_csv(const std::vector<EpochRecord>& records) {
  std::string out = "epoch,lr,train_loss,train_acc,val_loss,val_acc,val_balanced_acc,val_macro_f1";
  for (int k = 0; k < kNumEmotions; ++k) out += fmt::format(",val_recall_{}", emotion_name(k));
  out += ",ema_val_loss,ema_val_acc,ema_val_balanced_acc,ema_val_macro_f1,seconds";
  // The held-back split's columns (--select-on holdout) only where there are some: other runs'
  // files stay as they were.
  const bool with_select = std::any_of(records.begin(), records.end(), [](const EpochRecord& r) { return r.select.has_value(); });
  out += with_select ? ",select_acc,select_balanced_acc,ema_select_acc,ema_select_balanced_acc\n" : "\n";
  for (const auto& r : records) {
    out += fmt::format("{},{:.6g},{:.6f},{:.6f},{:.6f},{:.6f},{:.6f},{:.6f}", r.epoch, r.lr, r.train_loss, r.train_acc,
                       r.val.loss, r.val.accuracy, r.val.balanced_accuracy, r.val.macro_f1);
    for (double rec : r.val.recall) out += fmt::format(",{:.6f}", rec);
    out += r.ema ? fmt::format(",{:.6f},{:.6f},{:.6f},{:.6f}", r.ema->loss, r.ema->accuracy, r.ema->balanced_accuracy, r.ema->macro_f1)
                 : std::string(",,,,");
    out += fmt::format(",{:.2f}", r.seconds);
    if (with_select) {
      out += r.select ? fmt::format(",{:.6f},{:.6f}", r.select->accuracy, r.select->balanced_accuracy) : std::string(",,");
      out += r.select_ema ? fmt::format(",{:.6f},{:.6f}", r.select_ema->accuracy, r.select_ema->balanced_accuracy) : std::string(",,");
    }
    out += "\n";
  }
  return out;
}

namespace {

// Where each metrics.csv column goes in a record; EMA columns fill record.ema.
using Setter = void (*)(EpochRecord&, double);
const std::map<std::string, Setter>& csv_columns() {
  static const std::map<std::string, Setter> columns = [] {
    std::map<std::string, Setter> m = {
        {"epoch", [](EpochRecord& r, double v) { r.epoch = std::isfinite(v) ? static_cast<int64_t>(v) : 0; }},
        {"lr", [](EpochRecord& r, double v) { r.lr = v; }},
        {"train_loss", [](EpochRecord& r, double v) { r.train_loss = v; }},
        {"train_acc", [](EpochRecord& r, double v) { r.train_acc = v; }},
        {"val_loss", [](EpochRecord& r, double v) { r.val.loss = v; }},
        {"val_acc", [](EpochRecord& r, double v) { r.val.accuracy = v; }},
        {"val_balanced_acc", [](EpochRecord& r, double v) { r.val.balanced_accuracy = v; }},
        {"val_macro_f1", [](EpochRecord& r, double v) { r.val.macro_f1 = v; }},
        {"ema_val_loss", [](EpochRecord& r, double v) { r.ema->loss = v; }},
        {"ema_val_acc", [](EpochRecord& r, double v) { r.ema->accuracy = v; }},
        {"ema_val_balanced_acc", [](EpochRecord& r, double v) { r.ema->balanced_accuracy = v; }},
        {"ema_val_macro_f1", [](EpochRecord& r, double v) { r.ema->macro_f1 = v; }},
        {"seconds", [](EpochRecord& r, double v) { r.seconds = v; }},
        {"select_acc", [](EpochRecord& r, double v) { r.select->accuracy = v; }},
        {"select_balanced_acc", [](EpochRecord& r, double v) { r.select->balanced_accuracy = v; }},
        {"ema_select_acc", [](EpochRecord& r, double v) { r.select_ema->accuracy = v; }},
        {"ema_select_balanced_acc", [](EpochRecord& r, double v) { r.select_ema->balanced_accuracy = v; }}};
    // One setter per class (a capture-less lambda cannot hold k: a table of eight).
    static const Setter recall[kNumEmotions] = {
        [](EpochRecord& r, double v) { r.val.recall[0] = v; }, [](EpochRecord& r, double v) { r.val.recall[1] = v; },
        [](EpochRecord& r, double v) { r.val.recall[2] = v; }, [](EpochRecord& r, double v) { r.val.recall[3] = v; },
        [](EpochRecord& r, double v) { r.val.recall[4] = v; }, [](EpochRecord& r, double v) { r.val.recall[5] = v; },
        [](EpochRecord& r, double v) { r.val.recall[6] = v; }, [](EpochRecord& r, double v) { r.val.recall[7] = v; }};
    for (int k = 0; k < kNumEmotions; ++k) m["val_recall_" + emotion_name(k)] = recall[k];
    return m;
  }();
  return columns;
}

ValFigures unknown_figures() {
  ValFigures v{NAN, NAN, NAN, NAN, {}};
  v.recall.fill(NAN);
  return v;
}

}  // namespace

std::vector<EpochRecord> parse_metrics_csv(const std::string& text, const std::string& file, std::vector<std::string>& problems) {
  std::vector<EpochRecord> records;
  std::stringstream in(text);
  std::string line;
  std::vector<std::string> header;
  long line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    std::vector<std::string> fields;
    try {
      fields = split_csv_line(line, file, line_no);  // data/csv.h: the project's one CSV splitter
    } catch (const InputError& e) {
      problems.push_back(std::string(e.what()) + "; the rows from here on are left out");
      break;
    }
    if (header.empty()) {
      header = fields;
      continue;
    }
    if (fields.size() != header.size()) {
      problems.push_back(fmt::format("{}:{}: {} fields where the header has {}; the rows from here on are left out", file, line_no,
                                     fields.size(), header.size()));
      break;
    }
    EpochRecord r;
    r.lr = r.train_loss = r.train_acc = r.seconds = NAN;
    r.val = unknown_figures();
    r.ema = unknown_figures();
    r.select = unknown_figures();
    r.select_ema = unknown_figures();
    bool ok = true, has_ema = false, has_select = false, has_select_ema = false;
    for (size_t k = 0; k < fields.size() && ok; ++k) {
      const auto column = csv_columns().find(header[k]);
      if (column == csv_columns().end() || fields[k].empty()) continue;  // a newer column, or no value
      size_t used = 0;
      double v = NAN;
      try {
        v = std::stod(fields[k], &used);
      } catch (const std::exception&) {
        used = 0;
      }
      if (used != fields[k].size()) {
        problems.push_back(fmt::format("{}:{}: column {} is '{}', not a number; the rows from here on are left out", file, line_no,
                                       header[k], fields[k]));
        ok = false;
        break;
      }
      column->second(r, v);
      has_ema = has_ema || header[k].rfind("ema_val_", 0) == 0;
      has_select = has_select || header[k].rfind("select_", 0) == 0;
      has_select_ema = has_select_ema || header[k].rfind("ema_select_", 0) == 0;
    }
    if (!ok) break;
    if (!has_ema) r.ema.reset();
    if (!has_select) r.select.reset();
    if (!has_select_ema) r.select_ema.reset();
    records.push_back(r);
  }
  if (header.empty()) problems.push_back(file + ": empty (no header)");
  return records;
}

// ---- checkpoint history ------------------------------------------------------------------------

namespace {
nlohmann::json val_to_json(const ValFigures& v) {
  return {{"loss", v.loss}, {"accuracy", v.accuracy}, {"balanced_accuracy", v.balanced_accuracy}, {"macro_f1", v.macro_f1}, {"recall", v.recall}};
}
ValFigures val_from_json(const nlohmann::json& j) {
  ValFigures v;
  v.loss = j.at("loss");
  v.accuracy = j.at("accuracy");
  v.balanced_accuracy = j.at("balanced_accuracy");
  v.macro_f1 = j.at("macro_f1");
  v.recall = j.at("recall").get<std::array<double, kNumEmotions>>();
  return v;
}
}  // namespace

std::string history_to_json(const std::vector<EpochRecord>& records) {
  nlohmann::json a = nlohmann::json::array();
  for (const auto& r : records) {
    nlohmann::json j = {{"epoch", r.epoch}, {"lr", r.lr}, {"train_loss", r.train_loss}, {"train_acc", r.train_acc},
                        {"seconds", r.seconds}, {"val", val_to_json(r.val)}};
    if (r.ema) j["ema"] = val_to_json(*r.ema);
    if (r.select) j["select"] = val_to_json(*r.select);
    if (r.select_ema) j["select_ema"] = val_to_json(*r.select_ema);
    a.push_back(j);
  }
  return json_text(a);
}

std::vector<EpochRecord> history_from_json(const std::string& text) {
  std::vector<EpochRecord> records;
  if (text.empty()) return records;
  for (const auto& j : nlohmann::json::parse(text)) {
    EpochRecord r;
    r.epoch = j.at("epoch");
    r.lr = j.at("lr");
    r.train_loss = j.at("train_loss");
    r.train_acc = j.at("train_acc");
    r.seconds = j.at("seconds");
    r.val = val_from_json(j.at("val"));
    if (j.contains("ema")) r.ema = val_from_json(j.at("ema"));
    if (j.contains("select")) r.select = val_from_json(j.at("select"));
    if (j.contains("select_ema")) r.select_ema = val_from_json(j.at("select_ema"));
    records.push_back(r);
  }
  return records;
}

// ---- summary.json ------------------------------------------------------------------------------

nlohmann::json to_json(const RunSummary& s) {
  nlohmann::json j = {{"format_version", s.format_version},
                      {"epochs", s.epochs},
                      {"best_epoch", s.best_epoch},
                      {"best_weights", s.best_weights},
                      {"select_metric", s.select_metric},
                      {"posthoc_tau", s.posthoc_tau},
                      {"temperature", s.temperature},
                      {"best_val", to_json(s.best_val)},
                      {"stability_val_accuracy_last10", {{"raw", to_json(s.raw_stability)}}},
                      {"seconds", s.seconds},
                      {"train_images_per_second", s.train_images_per_second},
                      {"resumed", s.resumed}};
  if (s.ema_stability) j["stability_val_accuracy_last10"]["ema"] = to_json(*s.ema_stability);
  if (s.select_on != "valid") j["select_on"] = s.select_on;  // holdout:F or last
  if (s.posthoc_tau_chosen) j["posthoc_tau_chosen"] = *s.posthoc_tau_chosen;
  if (s.best_select) j["best_select"] = to_json(*s.best_select);
  if (!s.posthoc_curve_val.empty()) {
    nlohmann::json curve = nlohmann::json::array();
    for (const auto& p : s.posthoc_curve_val)
      curve.push_back({{"tau", p.tau}, {"accuracy", p.accuracy}, {"balanced_accuracy", p.balanced_accuracy},
                       {"macro_f1", p.macro_f1}, {"recall", p.recall}});
    j["posthoc_curve_val"] = curve;
  }
  j["class_counts_train"] = s.class_counts_train;
  j["class_counts"] = nlohmann::json::object();
  for (const auto& [name, counts] : s.class_counts) j["class_counts"][name] = counts;
  j["data_warnings"] = s.data_warnings;
  return j;
}

namespace {
// A readable error for a field of the wrong type, naming the file and the key.
template <typename T>
void read(const nlohmann::json& j, const char* key, T& out, const std::string& file) {
  if (!j.contains(key)) return;
  try {
    out = j.at(key).get<T>();
  } catch (const nlohmann::json::exception&) {
    throw Error(fmt::format("{}: '{}' is {}, not what ferkit writes there", file, key, j.at(key).dump()));
  }
}
}  // namespace

RunSummary run_summary_from_json(const nlohmann::json& j, const std::string& file) {
  FERKIT_CHECK(j.is_object(), file + ": not a JSON object");
  RunSummary s;
  s.format_version = 1;  // files written before the field existed
  read(j, "format_version", s.format_version, file);
  if (s.format_version > kRunFormatVersion)
    throw NewerFormatError(fmt::format("{}: run folder format version {} is newer than this ferkit reads (up to {}); use a newer ferkit",
                                       file, s.format_version, kRunFormatVersion));
  read(j, "epochs", s.epochs, file);
  read(j, "best_epoch", s.best_epoch, file);
  read(j, "best_weights", s.best_weights, file);
  read(j, "select_metric", s.select_metric, file);
  read(j, "posthoc_tau", s.posthoc_tau, file);
  if (j.contains("posthoc_tau_chosen")) {
    bool chosen = false;
    read(j, "posthoc_tau_chosen", chosen, file);
    s.posthoc_tau_chosen = chosen;
  }
  read(j, "temperature", s.temperature, file);
  if (j.contains("best_val")) s.best_val = metrics_from_json(j["best_val"], file + ": best_val");
  read(j, "select_on", s.select_on, file);
  if (j.contains("best_select")) s.best_select = metrics_from_json(j["best_select"], file + ": best_select");
  if (j.contains("stability_val_accuracy_last10")) {
    const auto& st = j["stability_val_accuracy_last10"];
    if (st.contains("raw")) s.raw_stability = stability_from_json(st["raw"]);
    if (st.contains("ema")) s.ema_stability = stability_from_json(st["ema"]);
  }
  read(j, "seconds", s.seconds, file);
  read(j, "train_images_per_second", s.train_images_per_second, file);
  read(j, "resumed", s.resumed, file);
  if (j.contains("posthoc_curve_val"))
    for (const auto& p : j["posthoc_curve_val"]) {
      PosthocPoint point;
      point.tau = p.value("tau", 0.0);
      point.accuracy = p.value("accuracy", 0.0);
      point.balanced_accuracy = p.value("balanced_accuracy", 0.0);
      point.macro_f1 = p.value("macro_f1", 0.0);
      if (p.contains("recall")) point.recall = p["recall"].get<std::array<double, kNumEmotions>>();
      s.posthoc_curve_val.push_back(point);
    }
  read(j, "class_counts_train", s.class_counts_train, file);
  if (j.contains("class_counts"))
    for (const auto& [name, counts] : j["class_counts"].items()) s.class_counts.emplace_back(name, counts.get<std::vector<int64_t>>());
  read(j, "data_warnings", s.data_warnings, file);
  return s;
}

// ---- eval-*.json -------------------------------------------------------------------------------

nlohmann::json to_json(const EvalResult& e) {
  nlohmann::json j = {{"model", e.model}, {"data", e.data}, {"split", e.split}, {"label_mode", e.label_mode}, {"tta", e.tta},
                      {"metrics", to_json(e.metrics)}};
  if (e.without_copies) {
    j["without_copies"] = {{"copies_of", e.copies_of}, {"excluded", e.excluded}, {"metrics", to_json(*e.without_copies)}};
  }
  return j;
}

EvalResult eval_result_from_json(const nlohmann::json& j, const std::string& file) {
  FERKIT_CHECK(j.is_object() && j.contains("metrics"), file + ": not an evaluation (no \"metrics\")");
  EvalResult e;
  read(j, "model", e.model, file);
  read(j, "data", e.data, file);
  read(j, "split", e.split, file);
  read(j, "label_mode", e.label_mode, file);
  read(j, "tta", e.tta, file);
  e.metrics = metrics_from_json(j["metrics"], file + ": metrics");
  if (j.contains("without_copies") && j["without_copies"].is_object()) {
    const auto& w = j["without_copies"];
    read(w, "copies_of", e.copies_of, file);
    read(w, "excluded", e.excluded, file);
    if (w.contains("metrics")) e.without_copies = metrics_from_json(w["metrics"], file + ": without_copies");
  }
  return e;
}

void keep_eval_in_run(const std::string& model, const EvalResult& e) {
  if (std::filesystem::is_directory(model)) atomic_write_text(RunFolder(model).eval(e.split, e.tta), json_text(to_json(e), 2) + "\n");
}

// ---- robustness --------------------------------------------------------------------------------

nlohmann::json to_json(const RobustnessReport& r) {
  nlohmann::json j = {{"model", r.model}, {"data", r.data}, {"split", r.split}, {"seed", r.seed}, {"result", to_json(r.result)}};
  if (r.without_copies)
    j["without_copies"] = {{"copies_of", r.copies_of}, {"excluded", r.excluded}, {"result", to_json(*r.without_copies)}};
  return j;
}

// ---- audit.json --------------------------------------------------------------------------------

AuditResult audit_result_from_json(const nlohmann::json& j) {
  AuditResult a;
  if (!j.is_object()) return a;
  a.detail = j;
  a.near_duplicates_searched = j.value("near_duplicates_searched", false);
  if (j.contains("warnings") && j["warnings"].is_array())
    for (const auto& w : j["warnings"])
      if (w.is_string()) a.warnings.push_back(w.get<std::string>());
  return a;
}

}  // namespace ferkit
