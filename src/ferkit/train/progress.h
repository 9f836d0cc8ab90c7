// Training progress: one ProgressBar (util/progress_bar.h) per epoch, redrawn in place on a
// terminal, four log lines per epoch otherwise, with the step, loss, learning rate, images/s and
// the ETA of the whole run.
#pragma once
#include <chrono>
#include <cstdint>
#include <memory>

#include "ferkit/util/progress_bar.h"

namespace ferkit {

class Progress {
 public:
  Progress(int64_t epochs, int64_t steps_per_epoch, int64_t first_epoch);
  void start_epoch(int64_t epoch);  // 0-based
  void step(int64_t step_in_epoch, double mean_loss, double lr, int64_t images);  // step 1-based
  void end_epoch();                 // clears the bar before the epoch's summary line

 private:
  using Clock = std::chrono::steady_clock;
  int64_t epochs_, steps_per_epoch_, epoch_ = 0, first_epoch_, images_ = 0, steps_done_ = 0;
  Clock::time_point run_start_, epoch_start_;
  std::unique_ptr<ProgressBar> bar_;
};

}  // namespace ferkit
