// What a TrainConfig resolves to for each stage of a run: the specs that data/, models/ and
// train/ take. The trainer, the tests and the benchmarks all build their pieces through these, so a
// config key means the same thing everywhere.
#pragma once
#include <cstdint>

#include "ferkit/data/dataset.h"
#include "ferkit/data/loader.h"
#include "ferkit/data/preprocess.h"
#include "ferkit/models/model_spec.h"
#include "ferkit/train/config.h"
#include "ferkit/train/schedule.h"

namespace ferkit {

// The data folder's reading options (the train and validation splits only).
LoadOptions load_options(const TrainConfig& config, int threads);
// The model as configured: backbone (width 0: the backbone's default), head, cut, BatchNorm policy.
ModelSpec model_spec(const TrainConfig& config);
// The model input: size, channels and the normalisation in effect (effective_normalize).
Preprocess preprocess_of(const TrainConfig& config);
// The training batches of one worker: batch_size / world images from its shard of every epoch.
// `train_images` is the number of labelled training images (a tiny last batch is dropped when
// there is more than one batch: it only adds noise to BatchNorm).
LoaderConfig loader_config(const TrainConfig& config, int64_t train_images, int rank, int world);
// The optimizer with the backbone learning-rate multiplier in effect.
OptimizerConfig optimizer_config(const TrainConfig& config);
// The schedule as a factor of each group's peak learning rate (base_lr 1), in optimizer steps.
ScheduleSpec schedule_spec(const TrainConfig& config, int64_t steps_per_epoch);

}  // namespace ferkit
