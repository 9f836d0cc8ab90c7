#include "ferkit/train/config_specs.h"

#include <algorithm>

namespace ferkit {

LoadOptions load_options(const TrainConfig& c, int threads) {
  LoadOptions lo;
  lo.layout = c.layout;
  lo.image_size = c.image_size;
  lo.resize = c.resize;
  lo.skip_bad = c.skip_bad;
  lo.threads = threads;
  lo.splits = {c.train_split, c.val_split};
  return lo;
}

ModelSpec model_spec(const TrainConfig& c) {
  ModelSpec spec;
  spec.backbone.name = c.backbone;
  spec.backbone.in_channels = c.channels;
  spec.backbone.width = c.width;
  spec.backbone.depth = c.depth;
  spec.head = parse_head_spec(c.head);
  spec.cut_after = c.cut_after;
  spec.bn_policy = c.bn_policy;
  return spec;
}

Preprocess preprocess_of(const TrainConfig& c) {
  Preprocess pre;
  pre.input_size = c.input_size;
  pre.channels = c.channels;
  pre.normalize = effective_normalize(c);
  pre.validate();
  return pre;
}

LoaderConfig loader_config(const TrainConfig& c, int64_t train_images, int rank, int world) {
  LoaderConfig lc;
  lc.batch_size = c.batch_size / std::max(1, world);
  lc.rank = rank;
  lc.world = world;
  lc.workers = c.workers;
  lc.sampler = c.sampler;
  lc.drop_last = train_images > c.batch_size;
  lc.seed = c.seed;
  return lc;
}

OptimizerConfig optimizer_config(const TrainConfig& c) {
  OptimizerConfig oc = c.optim;
  oc.backbone_lr_mult = effective_backbone_lr_mult(c);
  return oc;
}

ScheduleSpec schedule_spec(const TrainConfig& c, int64_t steps_per_epoch) {
  ScheduleSpec s;
  s.name = c.schedule;
  s.base_lr = 1.0;  // the schedule gives a factor; each group has its own peak
  s.total_steps = steps_per_epoch * c.epochs;
  s.warmup_steps = static_cast<int64_t>(c.warmup_epochs * steps_per_epoch);
  s.final_lr_ratio = c.final_lr_ratio;
  s.step_every = std::max<int64_t>(1, static_cast<int64_t>(c.step_epochs * steps_per_epoch));
  s.step_gamma = c.step_gamma;
  s.onecycle_pct = c.onecycle_pct;
  return s;
}

}  // namespace ferkit
