#include "ferkit/train/schedule.h"

#include <algorithm>
#include <cmath>

#include "ferkit/util/error.h"

namespace ferkit {

double lr_at(const ScheduleSpec& s, int64_t step) {
  if (s.warmup_steps > 0 && step < s.warmup_steps) return s.base_lr * static_cast<double>(step + 1) / s.warmup_steps;
  if (s.name == "constant") return s.base_lr;
  if (s.name == "cosine") {
    const int64_t span = std::max<int64_t>(1, s.total_steps - s.warmup_steps);
    const double t = std::clamp(static_cast<double>(step - s.warmup_steps) / span, 0.0, 1.0);
    const double floor = s.base_lr * s.final_lr_ratio;
    return floor + (s.base_lr - floor) * 0.5 * (1.0 + std::cos(M_PI * t));
  }
  throw Error("unknown schedule '" + s.name + "'");
}

}  // namespace ferkit
