#include "ferkit/train/schedule.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "ferkit/util/error.h"
#include "ferkit/util/registry.h"

namespace ferkit {

namespace {
double cosine(double from, double to, double t) { return to + (from - to) * 0.5 * (1.0 + std::cos(M_PI * std::clamp(t, 0.0, 1.0))); }


// Linear warm-up to base_lr over warmup_steps (every schedule but onecycle, which has its own rise).
bool in_warmup(const ScheduleSpec& s, int64_t step) { return s.warmup_steps > 0 && step < s.warmup_steps; }
double warmup(const ScheduleSpec& s, int64_t step) { return s.base_lr * static_cast<double>(step + 1) / s.warmup_steps; }

double constant_lr(const ScheduleSpec& s, int64_t step) { return in_warmup(s, step) ? warmup(s, step) : s.base_lr; }

double step_lr(const ScheduleSpec& s, int64_t step) {
  if (in_warmup(s, step)) return warmup(s, step);
  const int64_t every = std::max<int64_t>(1, s.step_every);
  return s.base_lr * std::pow(s.step_gamma, static_cast<double>((step - s.warmup_steps) / every));
}

double cosine_lr(const ScheduleSpec& s, int64_t step) {
  if (in_warmup(s, step)) return warmup(s, step);
  const int64_t span = std::max<int64_t>(1, s.total_steps - s.warmup_steps);
  return cosine(s.base_lr, s.base_lr * s.final_lr_ratio, static_cast<double>(step - s.warmup_steps) / span);
}

// Smith & Topin (2019) as torch.optim.lr_scheduler.OneCycleLR (cosine annealing both ways).
double onecycle_lr(const ScheduleSpec& s, int64_t step) {
  const double start = s.base_lr / s.onecycle_div, end = start / 1e4;
  const double rise = std::max(1.0, s.onecycle_pct * static_cast<double>(s.total_steps) - 1.0);
  const double fall = std::max(1.0, static_cast<double>(s.total_steps) - 1.0 - rise);
  const double t = static_cast<double>(step);
  return t <= rise ? cosine(start, s.base_lr, t / rise) : cosine(s.base_lr, end, (t - rise) / fall);
}

// Filled in a function, not by static registrar objects (a static library would drop those).
const std::map<std::string, Schedule>& schedule_registry() {
  static const std::map<std::string, Schedule> r = {
      {"constant", {constant_lr, false}}, {"cosine", {cosine_lr, false}}, {"onecycle", {onecycle_lr, false}},
      {"plateau", {constant_lr, true}},   {"step", {step_lr, false}}};
  return r;
}
}  // namespace

std::vector<std::string> schedule_names() { return registry_names(schedule_registry()); }

const Schedule& schedule_named(const std::string& name) { return registry_lookup(schedule_registry(), name, "schedule"); }

double lr_at(const ScheduleSpec& s, int64_t step) { return schedule_named(s.name).lr(s, step); }

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
