// The one training loop: data -> model -> loss -> SGD step, validation every epoch, metrics.csv,
// checkpoints and the final model bundle in the run folder.
#pragma once
#include <string>

#include <ATen/core/Tensor.h>

#include "ferkit/eval/metrics.h"
#include "ferkit/train/config.h"

namespace ferkit {

struct TrainSummary {
  int64_t epochs = 0;
  int64_t best_epoch = 0;        // 1-based epoch of the bundled weights
  Metrics best_val;              // validation metrics of the bundled weights
  double seconds = 0.0;
  std::string bundle_path;
};

// Trains as configured; writes RUN/config.yaml, RUN/metrics.csv, RUN/checkpoints/{last,best}.pt,
// RUN/model.ferkit (the weights of the best validation accuracy). Throws Error on bad input.
TrainSummary run_training(TrainConfig config);

// Soft-target cross-entropy: mean over the batch of -sum_k target_k * log softmax(logits)_k.
// logits (B, K), targets (B, K) with rows summing to 1.
at::Tensor soft_cross_entropy(const at::Tensor& logits, const at::Tensor& targets);

}  // namespace ferkit
