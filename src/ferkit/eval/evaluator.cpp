#include "ferkit/eval/evaluator.h"

#include <torch/torch.h>

#include "ferkit/data/loader.h"
#include "ferkit/eval/tta.h"

namespace ferkit {

Predictions predict_split(FerModel& model, const Split& split, const LabelledSplit& labelled, const Preprocess& pre,
                          const EvalOptions& options) {
  check_tta_name(options.tta);
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
    logits.push_back(tta_logits(model, batch->images, options.tta));
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
  // Predict every row once (labels unused), then score each label mode's kept rows.
  LabelledSplit all;
  all.name = split.name;
  all.index = torch::arange(split.size(), torch::kInt64);
  all.targets = torch::zeros({split.size(), kNumEmotions});
  all.labels = torch::zeros({split.size()}, torch::kInt64);
  const Predictions p = predict_split(model, split, all, pre, options);

  const LabelledSplit majority = label_split(split, LabelMode::kMajority);
  Metrics m = compute_metrics(p.logits.index_select(0, majority.index), majority.labels, options.metrics);
  const LabelledSplit multi = label_split(split, LabelMode::kMultiTarget);
  add_multi_target_accuracy(m, p.logits.index_select(0, multi.index).argmax(1), multi.targets);
  return m;
}

}  // namespace ferkit
