// Classification metrics from logits and hard labels, with their uncertainty. Definitions follow
// scikit-learn: balanced accuracy is the mean recall over classes present in the labels; macro-F1
// averages F1 over classes present in the labels or the predictions (F1 of a class with no true
// and no predicted images is undefined and left out).
//
// Uncertainty: Wilson score 95 % intervals for accuracy and each class's recall (binomial
// proportions: right at the small counts of disgust and contempt, where the normal approximation
// gives intervals below 0); percentile bootstrap 95 % intervals for balanced accuracy and
// macro-F1, which are not proportions (images resampled with replacement, a fixed seed).
#pragma once
#include <array>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>
#include <ATen/core/Tensor.h>  // at::Tensor only: keeps this header cheap to include

#include "ferkit/data/classes.h"

namespace ferkit {

using Confusion = std::array<std::array<int64_t, kNumEmotions>, kNumEmotions>;  // [true][predicted]

struct Interval {
  double low = 0.0, high = 1.0;
};

// One bin of the reliability diagram: images whose top probability falls in [low, high).
struct ReliabilityBin {
  double low = 0, high = 0;
  int64_t count = 0;
  double mean_confidence = 0, accuracy = 0;
};

struct Metrics {
  int64_t count = 0;
  double loss = 0.0;               // mean negative log-likelihood of the label
  double accuracy = 0.0;
  double balanced_accuracy = 0.0;
  double macro_f1 = 0.0;
  double top2_accuracy = 0.0;      // the label among the two highest logits
  double ece = 0.0;                // expected calibration error over `reliability`'s bins
  // FER+ multi-target accuracy: the prediction is one of the image's multi-target labels (every
  // emotion with at least 0.3 times the top vote count). NaN when votes were not given.
  double multi_target_accuracy = std::numeric_limits<double>::quiet_NaN();
  int64_t multi_target_count = 0;
  std::array<double, kNumEmotions> precision{}, recall{}, f1{};
  std::array<int64_t, kNumEmotions> support{};       // true images per class
  Confusion confusion{};
  // 95 % intervals (see the header comment); bootstrap ones are left at [0, 1] when bootstrap = 0.
  Interval accuracy_ci;
  std::array<Interval, kNumEmotions> recall_ci{};
  Interval balanced_accuracy_ci, macro_f1_ci;
  int bootstrap_resamples = 0;
  std::vector<ReliabilityBin> reliability;
};

struct MetricsOptions {
  int bootstrap = 1000;           // resamples for the bootstrap intervals (0: skip them)
  uint64_t seed = 12345;          // of the bootstrap: the same data give the same intervals
  int calibration_bins = 15;      // equal-width confidence bins for ECE and the reliability diagram
};

// logits: (N, 8) float; labels: (N) int64 in 0..7.
Metrics compute_metrics(const at::Tensor& logits, const at::Tensor& labels, const MetricsOptions& options = {});

// Adds multi-target accuracy: `multi_targets` (N, 8) are the images' multi-target label-mode
// targets (a label is an emotion with a target > 0), `predicted` (N) int64 the predicted classes.
void add_multi_target_accuracy(Metrics& m, const at::Tensor& predicted, const at::Tensor& multi_targets);

// The counting metrics (accuracy, per-class precision/recall/F1, balanced accuracy, macro-F1,
// Wilson intervals) from a confusion matrix alone; loss, top-2, ECE and bootstrap left unset.
Metrics metrics_from_confusion(const Confusion& confusion);

// Wilson score interval of a proportion k/n at z (1.96: 95 %); [0, 1] when n = 0.
Interval wilson_interval(int64_t successes, int64_t trials, double z = 1.959963984540054);

// Percentile bootstrap intervals of balanced accuracy and macro-F1 from per-image labels and
// predictions; fills m.balanced_accuracy_ci, m.macro_f1_ci and m.bootstrap_resamples.
void add_bootstrap_intervals(Metrics& m, const std::vector<int>& labels, const std::vector<int>& predicted,
                             int resamples, uint64_t seed);

nlohmann::json to_json(const Metrics& m);
// The inverse of to_json (summary.json, eval-*.json); `where` names the file in errors.
Metrics metrics_from_json(const nlohmann::json& j, const std::string& where);

// A readable summary: headline figures with intervals, a per-class table and the confusion matrix.
std::string format_metrics(const Metrics& m);

}  // namespace ferkit
