// Training checkpoints (RUN/checkpoints/last.pt, best.pt): model, optimizer, the averaged models
// (EMA, SWA), schedule and early-stopping state, the random generator, the history of epochs and
// the resolved config; written atomically so an interrupted run always leaves a readable file.
// last.pt resumes a run exactly; best.pt holds the best weights (raw or EMA) in its "model".
#pragma once
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include <torch/optim/optimizer.h>

#include "ferkit/models/model.h"
#include "ferkit/train/schedule.h"

namespace ferkit {

constexpr int kCheckpointFormatVersion = 2;

struct CheckpointState {
  int64_t epoch = 0;          // epochs completed
  int64_t step = 0;           // optimizer steps taken
  double best_metric = -std::numeric_limits<double>::infinity();  // by select_metric, higher is better
  int64_t best_epoch = 0;
  std::string best_weights = "raw";  // raw | ema: which weights best.pt holds
  std::string config_yaml;
  std::string history_json;   // the per-epoch rows so far (trainer's format)
  PlateauState plateau;
  double smoothed_metric = 0.0, best_smoothed = -std::numeric_limits<double>::infinity();
  int64_t epochs_without_improvement = 0;
  int64_t ema_updates = 0, swa_count = 0;
  at::Tensor rng_state;       // the default CPU generator (dropout)
};

using NamedModels = std::vector<std::pair<std::string, FerModel*>>;  // e.g. {"ema", &ema_model}

void save_checkpoint(const std::string& path, FerModel& model, torch::optim::Optimizer& optimizer,
                     const CheckpointState& state, const NamedModels& extra = {});
// Loads into an existing model (and optimizer and extra models, when given) of the same shape;
// throws Error naming the file.
CheckpointState load_checkpoint(const std::string& path, FerModel& model, torch::optim::Optimizer* optimizer,
                                const NamedModels& extra = {});

}  // namespace ferkit
