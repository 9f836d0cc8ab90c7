// Training progress: a bar redrawn in place on a terminal, plain log lines (four per epoch)
// otherwise, with epoch, step, loss, learning rate, images/s and the ETA of the whole run.
#pragma once
#include <chrono>
#include <cstdint>

namespace ferkit {

class Progress {
 public:
  Progress(int64_t epochs, int64_t steps_per_epoch, int64_t first_epoch);
  void start_epoch(int64_t epoch);  // 0-based
  void step(int64_t step_in_epoch, double mean_loss, double lr, int64_t images);  // step 1-based
  void end_epoch();                 // clears the bar before the epoch's summary line

 private:
  using Clock = std::chrono::steady_clock;
  bool tty_;
  int64_t epochs_, steps_per_epoch_, epoch_ = 0, first_epoch_, images_ = 0, steps_done_ = 0;
  Clock::time_point run_start_, epoch_start_, last_draw_;
};

}  // namespace ferkit
