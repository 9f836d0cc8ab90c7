// Learning-rate schedules, by name. All but `plateau` are pure functions of the step (trivial to
// test and to resume); `plateau` adds a factor that only changes at the end of an epoch, from the
// validation metric, and is saved in the checkpoint.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace ferkit {

struct ScheduleSpec {
  std::string name = "cosine";   // constant | step | cosine | onecycle | plateau
  double base_lr = 0.05;         // the peak
  int64_t warmup_steps = 0;      // linear ramp up to base_lr (constant, step, cosine, plateau)
  int64_t total_steps = 1;
  double final_lr_ratio = 0.0;   // cosine ends at base_lr * this
  int64_t step_every = 1;        // step: multiply by step_gamma every this many steps
  double step_gamma = 0.1;
  double onecycle_pct = 0.3;     // onecycle: fraction of the steps spent rising
  double onecycle_div = 25.0;    // onecycle: starts at base_lr / div, ends at base_lr / (div * 1e4)
};

// A registered schedule: the learning rate as a pure function of the step (0-based, before any
// plateau factor), and whether the validation metric decays it further (PlateauState).
struct Schedule {
  double (*lr)(const ScheduleSpec& spec, int64_t step);
  bool decays_on_plateau = false;
};
std::vector<std::string> schedule_names();
// Throws Error listing the known names.
const Schedule& schedule_named(const std::string& name);

// The learning rate of step `step` of spec.name's schedule.
double lr_at(const ScheduleSpec& spec, int64_t step);

// Reduce-on-plateau: when the monitored metric (higher is better) has not improved by more than
// `threshold` for `patience` epochs, the factor is multiplied by `gamma` (down to `min_factor`).
struct PlateauState {
  double factor = 1.0;
  double best = -1e300;
  int64_t bad_epochs = 0;
  void on_epoch(double metric, int64_t patience, double gamma, double threshold = 1e-4, double min_factor = 1e-3);
};

}  // namespace ferkit
