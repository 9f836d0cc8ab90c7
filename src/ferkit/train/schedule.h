// Learning-rate schedules as pure functions of the step: trivial to test and to resume.
#pragma once
#include <cstdint>
#include <string>

namespace ferkit {

struct ScheduleSpec {
  std::string name = "cosine";   // constant | cosine
  double base_lr = 0.05;
  int64_t warmup_steps = 0;      // linear ramp from base_lr / warmup_steps up to base_lr
  int64_t total_steps = 1;
  double final_lr_ratio = 0.0;   // cosine ends at base_lr * final_lr_ratio
};

// The learning rate of step `step` (0-based).
double lr_at(const ScheduleSpec& spec, int64_t step);

}  // namespace ferkit
