// Calibrated probabilities: temperature scaling (Guo et al. 2017). One number T divides the
// logits; fitted on a split the model did not train on (the selection split), it minimises the
// negative log-likelihood there, and leaves every prediction (the argmax) as it was. The bundle
// keeps T in its model spec, so eval, predict, serve, export and Python all apply it.
#pragma once
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

namespace ferkit {

// What `calibrate` chooses: none, or temperature scaling.
enum class Calibration { kNone, kTemperature };
Calibration parse_calibration(const std::string& name);  // throws Error listing the names
std::string calibration_name(Calibration c);
std::vector<std::string> calibration_names();

// The T in [0.05, 20] that minimises the mean negative log-likelihood of softmax(logits / T)
// for `labels` (golden-section search on log T: the NLL is convex in 1/T).
double fit_temperature(const at::Tensor& logits, const at::Tensor& labels);

}  // namespace ferkit
