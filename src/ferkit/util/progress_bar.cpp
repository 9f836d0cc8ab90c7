#include "ferkit/util/progress_bar.h"

#include <algorithm>
#include <cstdio>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

namespace ferkit {

std::string clock_text(double seconds) {
  const int64_t s = static_cast<int64_t>(seconds + 0.5);
  return s >= 3600 ? fmt::format("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60) : fmt::format("{}:{:02}", s / 60, s % 60);
}

ProgressBar::ProgressBar(std::string what, int64_t total, ProgressBarOptions options)
    : what_(std::move(what)), options_(options), total_(std::max<int64_t>(1, total)), tty_(isatty(fileno(stderr)) != 0),
      start_(Clock::now()) {}

std::string ProgressBar::line() const {
  const double s = std::chrono::duration<double>(Clock::now() - start_).count();
  const double eta = eta_ >= 0 ? eta_ : done_ > 0 ? s / done_ * (total_ - done_) : 0.0;
  const int width = 24, filled = static_cast<int>(width * std::min(done_, total_) / total_);
  std::string rest = note_;
  if (options_.show_rate) rest += fmt::format("{}{:.0f}/s", rest.empty() ? "" : ", ", s > 0 ? done_ / s : 0.0);
  return fmt::format("{} [{}{}] {}/{} {} ETA {}", what_, std::string(filled, '#'), std::string(width - filled, '.'), done_, total_, rest,
                     clock_text(eta));
}

void ProgressBar::update(int64_t done, const std::string& note, double eta_seconds) {
  done_ = done;
  note_ = note;
  eta_ = eta_seconds;
  if (!tty_) {  // a log: one line at every part of the way
    const int64_t part = done_ * std::max(1, options_.log_parts) / total_;
    if (part > logged_part_ && done_ < total_) {
      logged_part_ = part;
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
