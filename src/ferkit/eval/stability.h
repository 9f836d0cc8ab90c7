// How much a validation figure moves from epoch to epoch: over the last `window` epochs, the
// standard deviation (population, in the figure's units) and the largest drop from one epoch to
// the next. A run whose curve jumps by more than the differences being compared cannot rank them.
#pragma once
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace ferkit {

struct Stability {
  int epochs = 0;          // epochs in the window (fewer when the run is shorter)
  double stddev = 0.0;
  // The standard deviation around the least-squares line through the window: the epoch-to-epoch
  // noise without the learning trend (a run still improving has a large stddev but may have
  // none of the noise).
  double detrended_stddev = 0.0;
  double largest_drop = 0.0;  // max over consecutive epochs of (previous - current), >= 0
};

Stability stability(const std::vector<double>& per_epoch, int window = 10);
nlohmann::json to_json(const Stability& s);
Stability stability_from_json(const nlohmann::json& j);

}  // namespace ferkit
