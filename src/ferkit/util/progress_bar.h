// A progress bar for long work over a known number of items (predict over thousands of photos):
// on a terminal a bar on stderr, redrawn at most five times a second, that results printed to the
// same terminal can clear and restore; elsewhere a log line at every tenth of the way.
#pragma once
#include <chrono>
#include <cstdint>
#include <string>

namespace ferkit {

class ProgressBar {
 public:
  ProgressBar(std::string what, int64_t total);
  // `done` items of `total`; `note` is shown after the counts (e.g. "1,204 faces").
  void update(int64_t done, const std::string& note = "");
  void clear();   // takes the bar off the terminal line (before printing there)
  void redraw();  // puts it back
  void finish();  // takes it off for good
  bool on_terminal() const { return tty_; }

 private:
  using Clock = std::chrono::steady_clock;
  std::string line() const;
  std::string what_, note_;
  int64_t total_, done_ = 0, logged_tenth_ = 0;
  bool tty_, shown_ = false;
  Clock::time_point start_, last_draw_;
};

}  // namespace ferkit
