// Training checkpoints (RUN/checkpoints/last.pt, best.pt): model, optimizer, epoch and the
// resolved config, written atomically so an interrupted run always leaves a readable file.
#pragma once
#include <string>

#include <torch/optim/optimizer.h>

#include "ferkit/models/model.h"

namespace ferkit {

constexpr int kCheckpointFormatVersion = 1;

struct CheckpointState {
  int64_t epoch = 0;          // epochs completed
  int64_t step = 0;           // optimizer steps taken
  double best_metric = -1.0;  // best validation accuracy so far
  int64_t best_epoch = 0;
  std::string config_yaml;
};

void save_checkpoint(const std::string& path, FerModel& model, torch::optim::Optimizer& optimizer,
                     const CheckpointState& state);
// Loads into an existing model and optimizer of the same shape; throws Error naming the file.
CheckpointState load_checkpoint(const std::string& path, FerModel& model, torch::optim::Optimizer* optimizer);

}  // namespace ferkit
