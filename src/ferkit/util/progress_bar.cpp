#include "ferkit/util/progress_bar.h"

#include <algorithm>
#include <cstdio>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

namespace ferkit {

ProgressBar::ProgressBar(std::string what, int64_t total)
    : what_(std::move(what)), total_(std::max<int64_t>(1, total)), tty_(isatty(fileno(stderr)) != 0), start_(Clock::now()) {}

std::string ProgressBar::line() const {
  const double s = std::chrono::duration<double>(Clock::now() - start_).count();
  const double eta = done_ > 0 ? s / done_ * (total_ - done_) : 0.0;
  const int width = 24, filled = static_cast<int>(width * std::min(done_, total_) / total_);
  return fmt::format("{} [{}{}] {}/{} {}{:.0f}/s ETA {}:{:02}", what_, std::string(filled, '#'), std::string(width - filled, '.'), done_,
                     total_, note_.empty() ? "" : note_ + ", ", s > 0 ? done_ / s : 0.0, static_cast<int64_t>(eta) / 60,
                     static_cast<int64_t>(eta) % 60);
}

void ProgressBar::update(int64_t done, const std::string& note) {
  done_ = done;
  note_ = note;
  if (!tty_) {  // a log: one line at every tenth
    const int64_t tenth = done_ * 10 / total_;
    if (tenth > logged_tenth_ && done_ < total_) {
      logged_tenth_ = tenth;
      spdlog::info("{}", line());
    }
    return;
  }
  const auto now = Clock::now();
  if (shown_ && std::chrono::duration<double>(now - last_draw_).count() < 0.2 && done_ < total_) return;
  last_draw_ = now;
  redraw();
}

void ProgressBar::clear() {
  if (!tty_ || !shown_) return;
  std::fprintf(stderr, "\r\033[K");
  std::fflush(stderr);
  shown_ = false;
}

void ProgressBar::redraw() {
  if (!tty_) return;
  std::fprintf(stderr, "\r\033[K%s", line().c_str());
  std::fflush(stderr);
  shown_ = true;
}

void ProgressBar::finish() { clear(); }

}  // namespace ferkit
