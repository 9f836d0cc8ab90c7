// The one training loop: data -> model -> loss -> optimizer step, validation of the raw and EMA
// weights every epoch, metrics.csv, checkpoints (exact resume), SWA, post-hoc logit adjustment,
// and the final model bundle in the run folder. The report is the caller's (report/html.h).
#pragma once
#include <atomic>
#include <functional>
#include <memory>
#include <string>

#include "ferkit/run/records.h"
#include "ferkit/train/config.h"
#include "ferkit/train/data_parallel.h"
#include "ferkit/util/error.h"

namespace ferkit {

// Where training is: reported by TrainOptions::on_step.
struct TrainStep {
  int64_t epoch = 0, epochs = 0;         // 1-based epoch, of epochs
  int64_t step = 0, steps = 0;           // 1-based batch in the epoch, of batches per epoch
  double loss = 0.0, lr = 0.0;           // the epoch's mean training loss so far; the learning rate
  const EpochRecord* validated = nullptr;  // set once per epoch, after validation: its metrics.csv row
};

struct TrainOptions {
  bool resume = false;  // continue from RUN/checkpoints/last.pt
  // A folder that holds a run is refused unless resumed or, with overwrite, emptied of that run's
  // files first: a finished run is never replaced by accident.
  bool overwrite = false;
  // Called after each epoch's checkpoint is written, with the 1-based epoch.
  std::function<void(int64_t epoch)> on_epoch_end;
  // Called after every training batch and after every epoch's validation (the public API's
  // progress callback; the terminal's bar is drawn either way).
  std::function<void(const TrainStep&)> on_step;
  // When set and true, training stops at the next batch as on stop_requested() (Interrupted).
  const std::atomic<bool>* stop = nullptr;
  // Data-parallel training (train/data_parallel.h): called once the config is validated and the
  // device chosen; returns the connection to the other workers (nullptr: a single process).
  std::function<std::unique_ptr<DataParallel>()> connect_workers;
  int local_rank = 0;   // --device cuda means cuda:local_rank
};

// What run_training returns: summary.json's record, and where the bundle is.
struct TrainSummary : RunSummary {
  std::string bundle_path;
  bool lead = true;  // false on data-parallel workers other than rank 0 (they write nothing; the
                     // summary has only epochs and the best epoch)
};

// Trains as configured; writes RUN/config.yaml, RUN/metrics.csv, RUN/summary.json,
// RUN/audit.json, RUN/checkpoints/{last,best}.pt and RUN/model.ferkit (run/run_folder.h).
// Throws Error on bad input, Interrupted when stop_requested() is set.
TrainSummary run_training(TrainConfig config, const TrainOptions& options = {});

// Set (e.g. from a SIGINT handler) to stop training at the next step; the last complete epoch's
// checkpoint stays valid for --resume.
std::atomic<bool>& stop_requested();
struct Interrupted : Error {
  using Error::Error;
};

}  // namespace ferkit
