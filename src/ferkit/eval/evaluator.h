// The one evaluation loop: runs a model over a split in inference mode and returns its logits.
// Validation during training, `ferkit eval` and reports all go through it.
#pragma once
#include <ATen/core/Tensor.h>  // at::Tensor only: keeps this header cheap to include

#include "ferkit/data/dataset.h"
#include "ferkit/data/preprocess.h"
#include "ferkit/eval/metrics.h"
#include "ferkit/models/model.h"

namespace ferkit {

struct EvalOptions {
  int64_t batch_size = 256;
  int workers = 1;
};

struct Predictions {
  at::Tensor logits;   // (M, 8) float32
  at::Tensor labels;   // (M) int64, majority labels
  at::Tensor index;    // (M) int64, rows of the split
};

// The model is put in eval mode for the pass and its previous mode restored after.
Predictions predict_split(FerModel& model, const Split& split, const LabelledSplit& labelled, const Preprocess& pre,
                          const EvalOptions& options = {});

// Predicts and scores against the split's majority labels (the FER+ protocol for valid/test).
Metrics evaluate_split(FerModel& model, const Split& split, const Preprocess& pre, const EvalOptions& options = {});

}  // namespace ferkit
