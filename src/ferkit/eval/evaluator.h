// The one evaluation loop: runs a model over a split in inference mode and returns its logits.
// Validation during training, `ferkit eval` and reports all go through it.
#pragma once
#include <functional>
#include <string>

#include <ATen/core/Tensor.h>  // at::Tensor only: keeps this header cheap to include

#include "ferkit/data/dataset.h"
#include "ferkit/data/preprocess.h"
#include "ferkit/eval/metrics.h"
#include "ferkit/models/model.h"

namespace ferkit {

struct EvalOptions {
  int64_t batch_size = 256;
  int workers = 1;
  std::string tta = "none";   // test-time augmentation: none, flip, ten-crop (see tta.h)
  MetricsOptions metrics;
  // Data-parallel evaluation: this process predicts rows shard_rank, shard_rank + shard_count, ...
  // and `gather` (Communicator::gather_interleaved) hands every process all rows' logits in order.
  int shard_rank = 0, shard_count = 1;
  std::function<at::Tensor(const at::Tensor& local, int64_t total)> gather;
};

struct Predictions {
  at::Tensor logits;   // (M, 8) float32
  at::Tensor labels;   // (M) int64, the labelled split's labels
  at::Tensor index;    // (M) int64, rows of the split
};

// The model is put in eval mode for the pass and its previous mode restored after.
Predictions predict_split(FerModel& model, const Split& split, const LabelledSplit& labelled, const Preprocess& pre,
                          const EvalOptions& options = {});

// Scores against the split's majority labels (the FER+ protocol for valid/test), and adds
// multi-target accuracy over the images that the multi-target label mode keeps. Every image of
// the split is predicted once.
Metrics evaluate_split(FerModel& model, const Split& split, const Preprocess& pre, const EvalOptions& options = {});

}  // namespace ferkit
