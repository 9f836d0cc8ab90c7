// The one progress bar, for long work over a known number of items (predict over thousands of
// photos; each epoch of training): on a terminal a bar on stderr, redrawn at most five times a
// second, that results printed to the same terminal can clear and restore; elsewhere a log line
// at every tenth (or log_parts-th) of the way.
#pragma once
#include <chrono>
#include <cstdint>
#include <string>

namespace ferkit {

struct ProgressBarOptions {
  int log_parts = 10;     // off a terminal: a log line at every 1/log_parts of the way
  bool show_rate = true;  // items per second after the note
};

// "m:ss", or "h:mm:ss" from an hour on.
std::string clock_text(double seconds);

class ProgressBar {
 public:
  ProgressBar(std::string what, int64_t total, ProgressBarOptions options = {});
  // `done` items of `total`; `note` is shown after the counts (e.g. "1,204 faces"). eta_seconds
  // >= 0 is shown as the ETA (e.g. of a whole run, not this bar's items); else this bar's own.
  void update(int64_t done, const std::string& note = "", double eta_seconds = -1);
  void clear();   // takes the bar off the terminal line (before printing there)
  void redraw();  // puts it back
  void finish();  // takes it off for good
  bool on_terminal() const { return tty_; }

 private:
  using Clock = std::chrono::steady_clock;
  std::string line() const;
  std::string what_, note_;
  ProgressBarOptions options_;
  double eta_ = -1;
  int64_t total_, done_ = 0, logged_part_ = 0;
  bool tty_, shown_ = false;
  Clock::time_point start_, last_draw_;
};

}  // namespace ferkit
