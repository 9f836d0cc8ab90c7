// Classification metrics from logits and hard labels. Definitions follow scikit-learn:
// balanced accuracy is the mean recall over classes present in the labels; macro-F1 averages F1
// over classes present in the labels or the predictions (F1 of a class with no true and no
// predicted images is undefined and left out).
#pragma once
#include <array>
#include <cstdint>

#include <nlohmann/json_fwd.hpp>
#include <ATen/core/Tensor.h>  // at::Tensor only: keeps this header cheap to include

#include "ferkit/data/classes.h"

namespace ferkit {

struct Metrics {
  int64_t count = 0;
  double loss = 0.0;               // mean negative log-likelihood of the label
  double accuracy = 0.0;
  double balanced_accuracy = 0.0;
  double macro_f1 = 0.0;
  std::array<double, kNumEmotions> precision{}, recall{}, f1{};
  std::array<int64_t, kNumEmotions> support{};       // true images per class
  std::array<std::array<int64_t, kNumEmotions>, kNumEmotions> confusion{};  // [true][predicted]
};

// logits: (N, 8) float; labels: (N) int64 in 0..7.
Metrics compute_metrics(const at::Tensor& logits, const at::Tensor& labels);

// The same from a confusion matrix alone (loss left at 0).
Metrics metrics_from_confusion(const std::array<std::array<int64_t, kNumEmotions>, kNumEmotions>& confusion);

nlohmann::json to_json(const Metrics& m);

}  // namespace ferkit

namespace ferkit {
// A readable summary: headline figures, a per-class table and the confusion matrix.
std::string format_metrics(const Metrics& m);
}  // namespace ferkit
