#include "ferkit/train/progress.h"

#include <algorithm>
#include <string>

#include <fmt/format.h>

namespace ferkit {

Progress::Progress(int64_t epochs, int64_t steps_per_epoch, int64_t first_epoch)
    : epochs_(epochs), steps_per_epoch_(steps_per_epoch), first_epoch_(first_epoch), run_start_(Clock::now()) {}

void Progress::start_epoch(int64_t epoch) {
  epoch_ = epoch;
  images_ = 0;
  epoch_start_ = Clock::now();
  ProgressBarOptions o;
  o.log_parts = 4;
  o.show_rate = false;  // images/s in the note instead of steps/s
  bar_ = std::make_unique<ProgressBar>(fmt::format("epoch {}/{}", epoch + 1, epochs_), steps_per_epoch_, o);
}

void Progress::step(int64_t step, double mean_loss, double lr, int64_t images) {
  images_ += images;
  ++steps_done_;
  const auto now = Clock::now();
  const double epoch_s = std::chrono::duration<double>(now - epoch_start_).count();
  const double run_s = std::chrono::duration<double>(now - run_start_).count();
  const int64_t steps_left = (epochs_ - epoch_) * steps_per_epoch_ - step;
  const double eta = steps_done_ > 0 ? run_s / steps_done_ * steps_left : 0.0;
  if (bar_)
    bar_->update(step, fmt::format("loss {:.4f} lr {:.3g} {:.0f} img/s", mean_loss, lr, images_ / std::max(epoch_s, 1e-9)), eta);
}

void Progress::end_epoch() {  // clears the bar before the epoch's summary line
  if (bar_) bar_->finish();
  bar_.reset();
}

}  // namespace ferkit
