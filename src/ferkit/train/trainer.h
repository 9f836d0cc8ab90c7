// The one training loop: data -> model -> loss -> optimizer step, validation of the raw and EMA
// weights every epoch, metrics.csv, checkpoints (exact resume), SWA, post-hoc logit adjustment,
// and the final model bundle in the run folder.
#pragma once
#include <atomic>
#include <functional>
#include <string>

#include <ATen/core/Tensor.h>

#include "ferkit/dist/env.h"
#include "ferkit/eval/metrics.h"
#include "ferkit/eval/stability.h"
#include "ferkit/train/config.h"
#include "ferkit/util/error.h"

namespace ferkit {

struct TrainSummary {
  int64_t epochs = 0;            // epochs run (fewer than configured after early stopping)
  int64_t best_epoch = 0;        // 1-based epoch of the bundled weights
  std::string best_weights;      // raw | ema | swa
  Metrics best_val;              // validation metrics of the bundled weights
  double posthoc_tau = 0.0;      // the post-hoc logit adjustment in the bundle (0: none)
  Stability raw_stability, ema_stability;  // validation accuracy over the last 10 epochs
  double seconds = 0.0;
  std::string bundle_path;
};

// Trains as configured; writes RUN/config.yaml, RUN/metrics.csv, RUN/summary.json,
// RUN/checkpoints/{last,best}.pt and RUN/model.ferkit. With resume, continues from
// RUN/checkpoints/last.pt. Throws Error on bad input, Interrupted when stop_requested() is set.
// on_epoch_end (optional) is called after each epoch's checkpoint is written, with the 1-based epoch.
//
// Data-parallel (dist.world_size > 1, every worker calls this with its own rank): batch_size is
// the global batch, each worker takes batch_size / world of it from its shard of the epoch
// (shard_order); rank 0's initial weights are broadcast, gradients averaged (GradientSync),
// BatchNorm statistics are per worker during the epoch and rank 0's are broadcast before each
// validation; validation is sharded and gathered so every worker takes the same decisions
// (best epoch, plateau, early stop); rank 0 alone writes the run folder, the final bundle and
// the report (the other workers return after the last epoch with an incomplete summary).
TrainSummary run_training(TrainConfig config, bool resume = false,
                          const std::function<void(int64_t epoch)>& on_epoch_end = {}, const DistEnv& dist = {});

// Set (e.g. from a SIGINT handler) to stop training at the next step; the last complete epoch's
// checkpoint stays valid for --resume.
std::atomic<bool>& stop_requested();
struct Interrupted : Error {
  using Error::Error;
};

}  // namespace ferkit
