#include "ferkit/infer/result_format.h"

#include <algorithm>
#include <functional>
#include <map>

#include <fmt/format.h>

#include "ferkit/util/registry.h"
#include "ferkit/util/json_text.h"

namespace ferkit::infer {
namespace {

std::string where(const ImagePrediction& p) { return p.frame >= 0 ? fmt::format("{} frame {}", p.source, p.frame) : p.source; }

class TextFormatter final : public ResultFormatter {
 public:
  explicit TextFormatter(std::vector<std::string> classes) : classes_(std::move(classes)) {}
  std::string format(const ImagePrediction& p) const override {
    if (!p.error.empty()) return where(p) + ": error: " + p.error + "\n";
    std::string out = p.warning.empty() ? "" : where(p) + ": warning: " + p.warning + "\n";
    if (p.faces.empty()) return out + where(p) + ": no face found\n";
    for (const auto& f : p.faces) {  // the three likeliest emotions
      std::vector<int> order(f.probabilities.size());
      for (size_t k = 0; k < order.size(); ++k) order[k] = static_cast<int>(k);
      std::sort(order.begin(), order.end(), [&](int a, int b) { return f.probabilities[a] > f.probabilities[b]; });
      out += fmt::format("{}: face at ({}, {}, {}x{}): {} {:.1f}% ({} {:.1f}%, {} {:.1f}%)\n", where(p), f.box.x, f.box.y, f.box.width,
                         f.box.height, classes_[order[0]], 100 * f.probabilities[order[0]], classes_[order[1]],
                         100 * f.probabilities[order[1]], classes_[order[2]], 100 * f.probabilities[order[2]]);
    }
    return out;
  }

 private:
  std::vector<std::string> classes_;
};

class CsvFormatter final : public ResultFormatter {
 public:
  explicit CsvFormatter(std::vector<std::string> classes) : classes_(std::move(classes)) {}
  std::string header() const override {
    std::string h = "source,frame,face,x,y,width,height,emotion,confidence";
    for (const auto& c : classes_) h += ",p_" + c;
    return h + ",error\n";
  }
  std::string format(const ImagePrediction& p) const override {
    const std::string frame = p.frame >= 0 ? std::to_string(p.frame) : "";
    std::string out;
    if (!p.error.empty() || p.faces.empty()) {
      out += quote(p.source) + "," + frame + ",,,,,,,";
      out += std::string(classes_.size(), ',');
      out += "," + quote(p.error.empty() ? "no face found" : p.error) + "\n";
    }
    for (size_t i = 0; i < p.faces.size(); ++i) {
      const auto& f = p.faces[i];
      out += fmt::format("{},{},{},{},{},{},{},{},{:.4f}", quote(p.source), frame, i, f.box.x, f.box.y, f.box.width, f.box.height,
                         classes_[f.top], f.probabilities[f.top]);
      for (float v : f.probabilities) out += fmt::format(",{:.4f}", v);
      out += ",\n";
    }
    return out;
  }

 private:
  static std::string quote(const std::string& s) {
    if (s.find_first_of(",\"\n") == std::string::npos) return s;
    std::string q = "\"";
    for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
    return q + "\"";
  }
  std::vector<std::string> classes_;
};

class JsonFormatter final : public ResultFormatter {
 public:
  explicit JsonFormatter(std::vector<std::string> classes) : classes_(std::move(classes)) {}
  std::string format(const ImagePrediction& p) const override { return json_text(to_json(p, classes_)) + "\n"; }

 private:
  std::vector<std::string> classes_;
};

using Factory = std::function<std::unique_ptr<ResultFormatter>(const std::vector<std::string>&)>;
// Filled in a function, not by static registrar objects (a static library would drop those).
const std::map<std::string, Factory>& format_registry() {
  static const std::map<std::string, Factory> r = {
      {"text", [](const std::vector<std::string>& c) { return std::make_unique<TextFormatter>(c); }},
      {"csv", [](const std::vector<std::string>& c) { return std::make_unique<CsvFormatter>(c); }},
      {"json", [](const std::vector<std::string>& c) { return std::make_unique<JsonFormatter>(c); }}};
  return r;
}

}  // namespace

std::vector<std::string> result_format_names() { return registry_names(format_registry()); }

std::unique_ptr<ResultFormatter> make_result_formatter(const std::string& name, const std::vector<std::string>& class_names) {
  return registry_lookup(format_registry(), name, "output format")(class_names);
}

}  // namespace ferkit::infer
