#include "ferkit/eval/evaluator.h"

#include <torch/torch.h>

#include "ferkit/data/loader.h"
#include "ferkit/eval/tta.h"
#include "ferkit/util/error.h"

namespace ferkit {

Predictions predict_split(FerModel& model, const Split& split, const LabelledSplit& full, const Preprocess& pre,
                          const EvalOptions& options) {
  check_tta_name(options.tta);
  const bool sharded = options.shard_count > 1;
  FERKIT_CHECK(!sharded || options.gather, "predict_split: a sharded evaluation needs a gather function");
  LabelledSplit shard;
  if (sharded) {
    const at::Tensor rows = torch::arange(options.shard_rank, std::max<int64_t>(full.size(), options.shard_rank),
                                          options.shard_count, torch::kInt64);
    shard.name = full.name;
    shard.index = full.index.index_select(0, rows);
    shard.targets = full.targets.index_select(0, rows);
    shard.labels = full.labels.index_select(0, rows);
  }
  const LabelledSplit& labelled = sharded ? shard : full;
  const torch::Device device = model->parameters().empty() ? torch::Device(torch::kCPU) : model->parameters().front().device();
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
    logits.push_back(tta_logits(model, batch->images.to(device), options.tta).to(torch::kCPU));
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
  if (sharded) {
    p.logits = options.gather(p.logits, full.size());
    p.labels = full.labels;
    p.index = full.index;
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
