#include "ferkit/eval/robustness.h"

#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "ferkit/data/perturb.h"
#include "ferkit/util/error.h"

namespace ferkit {

RobustnessResult robustness_benchmark(FerModel& model, const Split& split, const Preprocess& pre, const EvalOptions& options,
                                      const std::vector<std::string>& kinds, uint64_t seed) {
  const auto known = perturbation_kinds();
  for (const auto& k : kinds)
    FERKIT_CHECK(std::find(known.begin(), known.end(), k) != known.end(),
                 fmt::format("unknown perturbation '{}' (known: {})", k, fmt::join(known, ", ")));
  RobustnessResult r;
  r.clean = evaluate_split(model, split, pre, options);
  for (const PerturbationLevel& p : perturbation_table()) {
    if (!kinds.empty() && std::find(kinds.begin(), kinds.end(), p.kind) == kinds.end()) continue;
    Split perturbed = split;
    perturbed.images = perturb_images(split.images.contiguous(), p.kind, p.level, seed);
    r.rows.push_back({p.kind, p.level, p.strength, evaluate_split(model, perturbed, pre, options)});
  }
  return r;
}

nlohmann::json to_json(const RobustnessResult& r) {
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& row : r.rows)
    rows.push_back({{"kind", row.kind}, {"level", level_name(row.level)}, {"strength", row.strength},
                    {"accuracy", row.metrics.accuracy}, {"balanced_accuracy", row.metrics.balanced_accuracy},
                    {"macro_f1", row.metrics.macro_f1}, {"accuracy_drop_points", 100 * (r.clean.accuracy - row.metrics.accuracy)}});
  nlohmann::json drops = nlohmann::json::object();
  for (int level = 1; level <= 3; ++level) drops[level_name(level)] = mean_accuracy_drop(r, level);
  return {{"clean", {{"count", r.clean.count}, {"accuracy", r.clean.accuracy}, {"balanced_accuracy", r.clean.balanced_accuracy},
                     {"macro_f1", r.clean.macro_f1}}},
          {"perturbed", rows},
          {"mean_accuracy_drop_points", drops}};
}

double mean_accuracy_drop(const RobustnessResult& r, int level) {
  double sum = 0;
  int n = 0;
  for (const auto& row : r.rows)
    if (row.level == level) sum += 100 * (r.clean.accuracy - row.metrics.accuracy), ++n;
  return n ? sum / n : 0.0;
}

std::string format_robustness(const RobustnessResult& r) {
  std::string out = fmt::format("{:<11} {:<9} {:>9} {:>7} {:>9} {:>7}  {}\n", "perturbation", "level", "accuracy", "change",
                                "balanced", "change", "strength");
  out += fmt::format("{:<11} {:<9} {:>8.2f}% {:>7} {:>8.2f}% {:>7}\n", "clean", "", 100 * r.clean.accuracy, "",
                     100 * r.clean.balanced_accuracy, "");
  for (const auto& row : r.rows)
    out += fmt::format("{:<11} {:<9} {:>8.2f}% {:>+7.2f} {:>8.2f}% {:>+7.2f}  {}\n", row.kind, level_name(row.level),
                       100 * row.metrics.accuracy, 100 * (row.metrics.accuracy - r.clean.accuracy), 100 * row.metrics.balanced_accuracy,
                       100 * (row.metrics.balanced_accuracy - r.clean.balanced_accuracy), row.strength);
  out += "mean accuracy change by level (points):";
  for (int level = 1; level <= 3; ++level) out += fmt::format(" {} {:+.2f}", level_name(level), -mean_accuracy_drop(r, level));
  return out + "\n";
}

}  // namespace ferkit
