// ferkit's public C++ API for training: `ferkit train` with the config as data, a progress
// callback and a stop flag, and the summary of a run folder.
//
//   std::atomic<bool> stop{false};
//   ferkit::TrainControl control;
//   control.progress = [](const ferkit::TrainProgress& p) { std::cout << p.epoch << " " << p.loss << "\n"; };
//   control.stop = &stop;                          // set it from another thread to stop at the next batch
//   const ferkit::RunResult r = ferkit::train({{"recipe", "cpu-fast"}, {"data", "data/ferplus"}, {"out", "runs/a"}}, control);
//
// Keys are `ferkit train`'s flags without the dashes (`--label-mode` is "label_mode"); "recipe"
// picks the starting settings as --recipe does. Errors are ferkit::Error (ferkit/error.h); a
// stop raises ferkit::Error too, and the run can be continued with control.resume.
#pragma once
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "ferkit/error.h"
#include "ferkit/evaluate.h"

namespace ferkit {

struct TrainProgress {
  int64_t epoch = 0, epochs = 0;     // 1-based
  int64_t step = 0, steps = 0;       // 1-based batch within the epoch, of batches per epoch
  double loss = 0.0;                 // the epoch's mean training loss so far
  double lr = 0.0;
  // After an epoch's validation (once per epoch): true, with the raw weights' figures (as in
  // metrics.csv). Otherwise false.
  bool validated = false;
  double val_accuracy = 0.0, val_balanced_accuracy = 0.0, val_macro_f1 = 0.0, val_loss = 0.0;
};

struct TrainControl {
  // Called from the training thread after every batch and after every epoch's validation.
  std::function<void(const TrainProgress&)> progress;
  const std::atomic<bool>* stop = nullptr;  // when set and true: stop at the next batch
  bool resume = false;                      // continue the run in "out" from its last checkpoint
  bool overwrite = false;                   // replace the run that "out" holds
  int threads = 0;                          // compute threads; <= 0: the config's
};

// A finished run: RUN/summary.json and where its files are.
struct RunResult {
  std::string run;                   // the run folder
  std::string bundle;                // RUN/model.ferkit
  int64_t epochs = 0, best_epoch = 0;
  std::string best_weights;          // raw, ema or swa
  double seconds = 0.0;
  Scores validation;                 // the bundle's figures on the validation split, with intervals
  std::string json;                  // summary.json's text
};

// Trains as `ferkit train` does with these keys as flags (see the header comment).
RunResult train(const std::map<std::string, std::string>& config, const TrainControl& control = {});
// The same from the text of a YAML config file (flat key: value lines, as --config reads).
RunResult train_yaml(const std::string& yaml_text, const TrainControl& control = {});
// The summary of a finished run folder; Error when it has none (not finished, or damaged).
RunResult read_run_summary(const std::string& run_folder);

}  // namespace ferkit
