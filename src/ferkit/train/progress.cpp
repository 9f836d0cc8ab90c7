#include "ferkit/train/progress.h"

#include <cstdio>
#include <string>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

namespace ferkit {

namespace {
std::string clock_text(double seconds) {
  const int64_t s = static_cast<int64_t>(seconds + 0.5);
  return s >= 3600 ? fmt::format("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60) : fmt::format("{}:{:02}", s / 60, s % 60);
}
}  // namespace

Progress::Progress(int64_t epochs, int64_t steps_per_epoch, int64_t first_epoch)
    : tty_(isatty(fileno(stderr)) != 0), epochs_(epochs), steps_per_epoch_(steps_per_epoch), first_epoch_(first_epoch),
      run_start_(Clock::now()) {}

void Progress::start_epoch(int64_t epoch) {
  epoch_ = epoch;
  images_ = 0;
  epoch_start_ = last_draw_ = Clock::now();
}

void Progress::step(int64_t step, double mean_loss, double lr, int64_t images) {
  images_ += images;
  ++steps_done_;
  const auto now = Clock::now();
  const double epoch_s = std::chrono::duration<double>(now - epoch_start_).count();
  const double run_s = std::chrono::duration<double>(now - run_start_).count();
  const int64_t steps_left = (epochs_ - epoch_) * steps_per_epoch_ - step;
  const double eta = steps_done_ > 0 ? run_s / steps_done_ * steps_left : 0.0;
  const std::string stats = fmt::format("loss {:.4f} lr {:.3g} {:.0f} img/s ETA {}", mean_loss, lr,
                                        images_ / std::max(epoch_s, 1e-9), clock_text(eta));
  if (tty_) {
    if (std::chrono::duration<double>(now - last_draw_).count() < 0.2 && step < steps_per_epoch_) return;
    last_draw_ = now;
    const int width = 24, filled = static_cast<int>(width * step / std::max<int64_t>(1, steps_per_epoch_));
    std::fprintf(stderr, "\r\033[Kepoch %lld/%lld [%s%s] %lld/%lld %s", static_cast<long long>(epoch_ + 1),
                 static_cast<long long>(epochs_), std::string(filled, '#').c_str(), std::string(width - filled, '.').c_str(),
                 static_cast<long long>(step), static_cast<long long>(steps_per_epoch_), stats.c_str());
    std::fflush(stderr);
  } else {
    const int64_t every = std::max<int64_t>(1, steps_per_epoch_ / 4);
    if (step % every == 0 && step < steps_per_epoch_)
      spdlog::info("epoch {}/{} step {}/{} {}", epoch_ + 1, epochs_, step, steps_per_epoch_, stats);
  }
}

void Progress::end_epoch() {
  if (tty_) {
    std::fprintf(stderr, "\r\033[K");
    std::fflush(stderr);
  }
}

}  // namespace ferkit
