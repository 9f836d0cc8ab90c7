#include "ferkit/train/schedule.h"

#include <algorithm>
#include <cmath>

#include "ferkit/util/error.h"

namespace ferkit {

namespace {
double cosine(double from, double to, double t) { return to + (from - to) * 0.5 * (1.0 + std::cos(M_PI * std::clamp(t, 0.0, 1.0))); }
}  // namespace

std::vector<std::string> schedule_names() { return {"constant", "cosine", "onecycle", "plateau", "step"}; }

double lr_at(const ScheduleSpec& s, int64_t step) {
  if (s.name == "onecycle") {
    // Smith & Topin (2019) as torch.optim.lr_scheduler.OneCycleLR (cosine annealing both ways).
    const double start = s.base_lr / s.onecycle_div, end = start / 1e4;
    const double rise = std::max(1.0, s.onecycle_pct * static_cast<double>(s.total_steps) - 1.0);
    const double fall = std::max(1.0, static_cast<double>(s.total_steps) - 1.0 - rise);
    const double t = static_cast<double>(step);
    return t <= rise ? cosine(start, s.base_lr, t / rise) : cosine(s.base_lr, end, (t - rise) / fall);
  }
  if (s.warmup_steps > 0 && step < s.warmup_steps) return s.base_lr * static_cast<double>(step + 1) / s.warmup_steps;
  if (s.name == "constant" || s.name == "plateau") return s.base_lr;
  if (s.name == "step") {
    const int64_t every = std::max<int64_t>(1, s.step_every);
    return s.base_lr * std::pow(s.step_gamma, static_cast<double>((step - s.warmup_steps) / every));
  }
  if (s.name == "cosine") {
    const int64_t span = std::max<int64_t>(1, s.total_steps - s.warmup_steps);
    return cosine(s.base_lr, s.base_lr * s.final_lr_ratio, static_cast<double>(step - s.warmup_steps) / span);
  }
  throw Error("unknown schedule '" + s.name + "' (known: constant, cosine, onecycle, plateau, step)");
}

void PlateauState::on_epoch(double metric, int64_t patience, double gamma, double threshold, double min_factor) {
  if (metric > best + threshold) {
    best = metric;
    bad_epochs = 0;
    return;
  }
  if (++bad_epochs > patience) {
    factor = std::max(min_factor, factor * gamma);
    bad_epochs = 0;
  }
}

}  // namespace ferkit
