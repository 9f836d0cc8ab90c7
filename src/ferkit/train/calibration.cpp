#include "ferkit/train/calibration.h"

#include <cmath>
#include <map>

#include <ATen/ATen.h>

#include "ferkit/util/error.h"
#include "ferkit/util/registry.h"

namespace ferkit {

namespace {
const std::map<std::string, Calibration>& calibrations() {
  static const std::map<std::string, Calibration> r = {{"none", Calibration::kNone}, {"temperature", Calibration::kTemperature}};
  return r;
}
}  // namespace

Calibration parse_calibration(const std::string& name) { return registry_lookup(calibrations(), name, "calibration"); }
std::string calibration_name(Calibration c) {
  for (const auto& [name, value] : calibrations())
    if (value == c) return name;
  return "none";
}
std::vector<std::string> calibration_names() { return registry_names(calibrations()); }

double fit_temperature(const at::Tensor& logits, const at::Tensor& labels) {
  FERKIT_CHECK(logits.dim() == 2 && labels.dim() == 1 && logits.size(0) == labels.size(0) && logits.size(0) > 0,
               "fit_temperature: logits (N, K) and labels (N) of the same N > 0");
  const at::Tensor z = logits.to(at::kDouble);
  const at::Tensor y = labels.to(at::kLong).unsqueeze(1);
  const auto nll = [&](double log_t) {
    const at::Tensor lp = at::log_softmax(z / std::exp(log_t), 1);
    return -lp.gather(1, y).mean().item<double>();
  };
  double lo = std::log(0.05), hi = std::log(20.0);
  const double g = (std::sqrt(5.0) - 1) / 2;
  double a = hi - g * (hi - lo), b = lo + g * (hi - lo);
  double fa = nll(a), fb = nll(b);
  for (int i = 0; i < 80 && hi - lo > 1e-9; ++i) {
    if (fa < fb) {
      hi = b, b = a, fb = fa;
      a = hi - g * (hi - lo), fa = nll(a);
    } else {
      lo = a, a = b, fa = fb;
      b = lo + g * (hi - lo), fb = nll(b);
    }
  }
  return std::exp((lo + hi) / 2);
}

}  // namespace ferkit
