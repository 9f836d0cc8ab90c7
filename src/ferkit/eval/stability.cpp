#include "ferkit/eval/stability.h"

#include <algorithm>
#include <cmath>

#include <nlohmann/json.hpp>

namespace ferkit {

Stability stability(const std::vector<double>& v, int window) {
  Stability s;
  const size_t n = std::min(v.size(), static_cast<size_t>(std::max(window, 0)));
  s.epochs = static_cast<int>(n);
  if (n == 0) return s;
  const auto first = v.end() - static_cast<std::ptrdiff_t>(n);
  double mean = 0;
  for (auto it = first; it != v.end(); ++it) mean += *it;
  mean /= static_cast<double>(n);
  double var = 0;
  for (auto it = first; it != v.end(); ++it) var += (*it - mean) * (*it - mean);
  s.stddev = std::sqrt(var / static_cast<double>(n));
  // least squares y = a + b t over t = 0..n-1
  const double tn = static_cast<double>(n), t_mean = (tn - 1) / 2;
  double stt = 0, sty = 0;
  for (size_t i = 0; i < n; ++i) {
    stt += (i - t_mean) * (i - t_mean);
    sty += (i - t_mean) * (first[i] - mean);
  }
  const double slope = stt > 0 ? sty / stt : 0.0;
  double res = 0;
  for (size_t i = 0; i < n; ++i) {
    const double r = first[i] - mean - slope * (i - t_mean);
    res += r * r;
  }
  s.detrended_stddev = std::sqrt(res / tn);
  for (auto it = first + 1; it < v.end(); ++it) s.largest_drop = std::max(s.largest_drop, *(it - 1) - *it);
  return s;
}

nlohmann::json to_json(const Stability& s) {
  return {{"epochs", s.epochs}, {"stddev", s.stddev}, {"detrended_stddev", s.detrended_stddev}, {"largest_drop", s.largest_drop}};
}

Stability stability_from_json(const nlohmann::json& j) {
  Stability s;
  s.epochs = j.value("epochs", 0);
  s.stddev = j.value("stddev", 0.0);
  s.detrended_stddev = j.value("detrended_stddev", 0.0);
  s.largest_drop = j.value("largest_drop", 0.0);
  return s;
}

}  // namespace ferkit
