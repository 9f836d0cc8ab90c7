// The counting half of the metrics (no LibTorch): everything that follows from a confusion matrix,
// the intervals, and the JSON and text forms.
#include <algorithm>
#include <cmath>
#include <random>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "ferkit/eval/metrics.h"
#include "ferkit/util/error.h"

namespace ferkit {

Interval wilson_interval(int64_t successes, int64_t trials, double z) {
  if (trials <= 0) return {0.0, 1.0};
  const double n = static_cast<double>(trials), p = static_cast<double>(successes) / n, z2 = z * z;
  const double centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const double half = z / (1 + z2 / n) * std::sqrt(p * (1 - p) / n + z2 / (4 * n * n));
  return {std::max(0.0, centre - half), std::min(1.0, centre + half)};
}

Metrics metrics_from_confusion(const Confusion& confusion) {
  Metrics m;
  m.confusion = confusion;
  std::array<int64_t, kNumEmotions> predicted{};
  int64_t correct = 0;
  for (int t = 0; t < kNumEmotions; ++t)
    for (int p = 0; p < kNumEmotions; ++p) {
      m.support[t] += confusion[t][p];
      predicted[p] += confusion[t][p];
      m.count += confusion[t][p];
      if (t == p) correct += confusion[t][p];
    }
  m.accuracy = m.count ? static_cast<double>(correct) / m.count : 0.0;
  m.accuracy_ci = wilson_interval(correct, m.count);
  double recall_sum = 0.0, f1_sum = 0.0;
  int recall_classes = 0, f1_classes = 0;
  for (int c = 0; c < kNumEmotions; ++c) {
    const double tp = static_cast<double>(confusion[c][c]);
    m.precision[c] = predicted[c] ? tp / predicted[c] : 0.0;
    m.recall[c] = m.support[c] ? tp / m.support[c] : 0.0;
    m.recall_ci[c] = wilson_interval(confusion[c][c], m.support[c]);
    m.f1[c] = (m.precision[c] + m.recall[c]) > 0 ? 2 * m.precision[c] * m.recall[c] / (m.precision[c] + m.recall[c]) : 0.0;
    if (m.support[c]) {
      recall_sum += m.recall[c];
      ++recall_classes;
    }
    if (m.support[c] || predicted[c]) {
      f1_sum += m.f1[c];
      ++f1_classes;
    }
  }
  m.balanced_accuracy = recall_classes ? recall_sum / recall_classes : 0.0;
  m.macro_f1 = f1_classes ? f1_sum / f1_classes : 0.0;
  return m;
}

void add_bootstrap_intervals(Metrics& m, const std::vector<int>& labels, const std::vector<int>& predicted,
                             int resamples, uint64_t seed) {
  FERKIT_CHECK(labels.size() == predicted.size(), "bootstrap: labels and predictions differ in length");
  if (resamples <= 0 || labels.empty()) return;
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<size_t> pick(0, labels.size() - 1);
  std::vector<double> balanced, macro_f1;
  balanced.reserve(resamples);
  macro_f1.reserve(resamples);
  for (int r = 0; r < resamples; ++r) {
    Confusion confusion{};
    for (size_t i = 0; i < labels.size(); ++i) {
      const size_t j = pick(rng);
      ++confusion[labels[j]][predicted[j]];
    }
    const Metrics b = metrics_from_confusion(confusion);
    balanced.push_back(b.balanced_accuracy);
    macro_f1.push_back(b.macro_f1);
  }
  // Percentiles by linear interpolation between order statistics (numpy's default).
  auto percentile = [](std::vector<double> v, double q) {
    std::sort(v.begin(), v.end());
    const double pos = q * (v.size() - 1);
    const size_t lo = static_cast<size_t>(std::floor(pos)), hi = std::min(lo + 1, v.size() - 1);
    return v[lo] + (pos - lo) * (v[hi] - v[lo]);
  };
  m.balanced_accuracy_ci = {percentile(balanced, 0.025), percentile(balanced, 0.975)};
  m.macro_f1_ci = {percentile(macro_f1, 0.025), percentile(macro_f1, 0.975)};
  m.bootstrap_resamples = resamples;
}

namespace {
nlohmann::json to_json(const Interval& i) { return nlohmann::json::array({i.low, i.high}); }
}  // namespace

nlohmann::json to_json(const Metrics& m) {
  nlohmann::json classes = nlohmann::json::object();
  for (int c = 0; c < kNumEmotions; ++c)
    classes[emotion_name(c)] = {{"precision", m.precision[c]}, {"recall", m.recall[c]},
                                {"recall_ci95", to_json(m.recall_ci[c])}, {"f1", m.f1[c]}, {"support", m.support[c]}};
  nlohmann::json normalised = nlohmann::json::array();
  for (int t = 0; t < kNumEmotions; ++t) {
    nlohmann::json row = nlohmann::json::array();
    for (int p = 0; p < kNumEmotions; ++p)
      row.push_back(m.support[t] ? static_cast<double>(m.confusion[t][p]) / m.support[t] : 0.0);
    normalised.push_back(row);
  }
  nlohmann::json reliability = nlohmann::json::array();
  for (const auto& b : m.reliability)
    reliability.push_back({{"low", b.low}, {"high", b.high}, {"count", b.count}, {"mean_confidence", b.mean_confidence},
                           {"accuracy", b.accuracy}});
  nlohmann::json j = {{"count", m.count},
                      {"loss", m.loss},
                      {"accuracy", m.accuracy},
                      {"accuracy_ci95", to_json(m.accuracy_ci)},
                      {"balanced_accuracy", m.balanced_accuracy},
                      {"macro_f1", m.macro_f1},
                      {"top2_accuracy", m.top2_accuracy},
                      {"ece", m.ece},
                      {"classes", classes},
                      {"confusion", m.confusion},
                      {"confusion_normalised", normalised},
                      {"reliability", reliability}};
  if (m.bootstrap_resamples > 0) {
    j["balanced_accuracy_ci95"] = to_json(m.balanced_accuracy_ci);
    j["macro_f1_ci95"] = to_json(m.macro_f1_ci);
    j["bootstrap_resamples"] = m.bootstrap_resamples;
  }
  if (!std::isnan(m.multi_target_accuracy)) {
    j["multi_target_accuracy"] = m.multi_target_accuracy;
    j["multi_target_count"] = m.multi_target_count;
  }
  return j;
}

Metrics metrics_from_json(const nlohmann::json& j, const std::string& where) {
  Metrics m;
  try {
    auto interval = [](const nlohmann::json& a) { return Interval{a.at(0).get<double>(), a.at(1).get<double>()}; };
    m.count = j.value("count", int64_t{0});
    m.loss = j.value("loss", 0.0);
    m.accuracy = j.value("accuracy", 0.0);
    // Summaries of older runs carry no Wilson intervals: NaN says "unknown", not [0, 1].
    m.accuracy_ci = j.contains("accuracy_ci95") ? interval(j["accuracy_ci95"]) : Interval{NAN, NAN};
    m.balanced_accuracy = j.value("balanced_accuracy", 0.0);
    m.macro_f1 = j.value("macro_f1", 0.0);
    m.top2_accuracy = j.value("top2_accuracy", 0.0);
    m.ece = j.value("ece", 0.0);
    if (j.contains("classes"))
      for (int c = 0; c < kNumEmotions; ++c) {
        if (!j["classes"].contains(emotion_name(c))) continue;
        const auto& k = j["classes"][emotion_name(c)];
        m.precision[c] = k.value("precision", 0.0);
        m.recall[c] = k.value("recall", 0.0);
        m.recall_ci[c] = k.contains("recall_ci95") ? interval(k["recall_ci95"]) : Interval{NAN, NAN};
        m.f1[c] = k.value("f1", 0.0);
        m.support[c] = k.value("support", int64_t{0});
      }
    if (j.contains("confusion")) m.confusion = j["confusion"].get<Confusion>();
    for (const auto& b : j.value("reliability", nlohmann::json::array()))
      m.reliability.push_back({b.value("low", 0.0), b.value("high", 0.0), b.value("count", int64_t{0}),
                               b.value("mean_confidence", 0.0), b.value("accuracy", 0.0)});
    m.bootstrap_resamples = j.value("bootstrap_resamples", 0);
    if (j.contains("balanced_accuracy_ci95")) m.balanced_accuracy_ci = interval(j["balanced_accuracy_ci95"]);
    if (j.contains("macro_f1_ci95")) m.macro_f1_ci = interval(j["macro_f1_ci95"]);
    if (j.contains("multi_target_accuracy")) {
      m.multi_target_accuracy = j["multi_target_accuracy"];
      m.multi_target_count = j.value("multi_target_count", int64_t{0});
    }
  } catch (const nlohmann::json::exception& e) {
    throw Error(where + ": not the metrics ferkit writes (" + e.what() + ")");
  }
  return m;
}

std::string format_metrics(const Metrics& m) {
  auto ci = [](const Interval& i) { return fmt::format("[{:.1f}, {:.1f}]", 100 * i.low, 100 * i.high); };
  std::string s = fmt::format("images {}\n", m.count);
  s += fmt::format("accuracy          {:6.2f}%  95% CI {}\n", 100 * m.accuracy, ci(m.accuracy_ci));
  s += fmt::format("balanced accuracy {:6.2f}%{}\n", 100 * m.balanced_accuracy,
                   m.bootstrap_resamples ? "  95% CI " + ci(m.balanced_accuracy_ci) + " (bootstrap)" : "");
  s += fmt::format("macro-F1          {:6.2f}%{}\n", 100 * m.macro_f1,
                   m.bootstrap_resamples ? "  95% CI " + ci(m.macro_f1_ci) + " (bootstrap)" : "");
  s += fmt::format("top-2 accuracy    {:6.2f}%\n", 100 * m.top2_accuracy);
  if (!std::isnan(m.multi_target_accuracy))
    s += fmt::format("multi-target acc. {:6.2f}%  ({} images with votes)\n", 100 * m.multi_target_accuracy,
                     m.multi_target_count);
  s += fmt::format("NLL {:.4f}  ECE {:.2f}%\n\n", m.loss, 100 * m.ece);
  s += fmt::format("{:<10} {:>9} {:>7} {:>15} {:>7} {:>8}\n", "class", "precision", "recall", "recall 95% CI", "F1",
                   "support");
  for (int c = 0; c < kNumEmotions; ++c)
    s += fmt::format("{:<10} {:>8.1f}% {:>6.1f}% {:>15} {:>6.1f}% {:>8}\n", emotion_name(c), 100 * m.precision[c],
                     100 * m.recall[c], ci(m.recall_ci[c]), 100 * m.f1[c], m.support[c]);
  s += "\nconfusion matrix (rows: true class, columns: predicted)\n" + fmt::format("{:<10}", "");
  for (int c = 0; c < kNumEmotions; ++c) s += fmt::format("{:>6.5}", emotion_name(c));
  s += "\n";
  for (int t = 0; t < kNumEmotions; ++t) {
    s += fmt::format("{:<10}", emotion_name(t));
    for (int p = 0; p < kNumEmotions; ++p) s += fmt::format("{:>6}", m.confusion[t][p]);
    s += "\n";
  }
  return s;
}

}  // namespace ferkit
