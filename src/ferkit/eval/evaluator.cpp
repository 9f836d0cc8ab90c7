#include "ferkit/eval/evaluator.h"

#include <torch/torch.h>

#include "ferkit/data/loader.h"

namespace ferkit {

Predictions predict_split(FerModel& model, const Split& split, const LabelledSplit& labelled, const Preprocess& pre,
                          const EvalOptions& options) {
  LoaderConfig lc;
  lc.batch_size = options.batch_size;
  lc.workers = options.workers;
  lc.sampler = "sequential";
  lc.augment = false;
  BatchLoader loader(split, labelled, lc, AugmentConfig{}, pre);
  loader.start_epoch(0);

  const bool was_training = model->is_training();
  model->eval();
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> logits, labels, index;
  while (auto batch = loader.next()) {
    logits.push_back(model->forward(batch->images));
    labels.push_back(batch->labels);
    index.push_back(labelled.index.index_select(0, batch->index));
  }
  model->train(was_training);
  Predictions p;
  if (logits.empty()) {
    p.logits = torch::empty({0, kNumEmotions});
    p.labels = p.index = torch::empty({0}, torch::kInt64);
  } else {
    p.logits = torch::cat(logits);
    p.labels = torch::cat(labels);
    p.index = torch::cat(index);
  }
  return p;
}

Metrics evaluate_split(FerModel& model, const Split& split, const Preprocess& pre, const EvalOptions& options) {
  const LabelledSplit labelled = label_split(split, LabelMode::kMajority);
  const Predictions p = predict_split(model, split, labelled, pre, options);
  return compute_metrics(p.logits, p.labels);
}

}  // namespace ferkit
