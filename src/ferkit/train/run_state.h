// The state of one training run, shared by the stages of the trainer (trainer.cpp tells the
// story; run_setup.cpp and run_finish.cpp hold its first and last chapters). Internal to train/:
// it includes LibTorch, so nothing outside train/ includes it.
#pragma once
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "ferkit/data/dataset.h"
#include "ferkit/data/loader.h"
#include "ferkit/eval/evaluator.h"
#include "ferkit/models/model.h"
#include "ferkit/run/records.h"
#include "ferkit/run/run_folder.h"
#include "ferkit/train/averaging.h"
#include "ferkit/train/checkpoint.h"
#include "ferkit/train/distill.h"
#include "ferkit/train/loss.h"
#include "ferkit/train/optimizer.h"
#include "ferkit/train/progress.h"
#include "ferkit/train/progressive.h"
#include "ferkit/train/schedule.h"
#include "ferkit/train/trainer.h"

namespace ferkit {

using Clock = std::chrono::steady_clock;
inline double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

struct Run {
  TrainConfig config;
  bool resume = false;
  RunFolder folder{""};
  Clock::time_point start = Clock::now();
  int threads = 1;
  torch::Device device{torch::kCPU};
  at::MemoryFormat memory_format = at::MemoryFormat::Contiguous;  // of the weights and batches in training
  std::unique_ptr<DataParallel> workers;  // null in a single process
  bool lead = true;                       // rank 0: writes the run folder and talks
  std::string config_yaml;

  // data
  Dataset dataset;
  const Split* train_split = nullptr;
  const Split* val_split = nullptr;
  const Split* select_split = nullptr;    // chooses epoch, tau, calibration: val_split, or the held-back share (--select-on)
  LabelledSplit train_labels;
  std::vector<int64_t> class_counts;      // of the training labels
  std::vector<std::string> audit_warnings;
  Preprocess pre;
  LoaderConfig loader_config;
  std::unique_ptr<BatchLoader> loader;
  int64_t batches_per_epoch = 0, steps_per_epoch = 0;

  // model and optimisation
  FerModel model{nullptr};
  std::string freeze_stage, whole_backbone;  // --freeze-until resolved; the last backbone stage
  OptimizerConfig optim;
  TrainOptimizer opt;
  std::unique_ptr<Loss> loss;
  std::unique_ptr<Teachers> teachers;          // --teacher: distillation targets
  ScheduleSpec schedule;
  int64_t unfreeze_step = 0, thaw_warmup = 1;  // --head-epochs: when the backbone thaws, its warm-up
  std::unique_ptr<WeightEma> ema;
  std::unique_ptr<Lookahead> lookahead;        // --lookahead-steps
  std::vector<ResizeStage> resize_stages;      // --progressive-resize (empty: every epoch at input_size)
  std::unique_ptr<WeightAverage> swa;
  NamedModels averaged;                        // {"ema", ...}, {"swa", ...}: saved in checkpoints

  // progress
  CheckpointState state;                       // what last.pt holds (epoch, step, best, plateau, ...)
  std::vector<EpochRecord> history;
  EvalOptions eval_options, epoch_eval_options;  // final figures; per-epoch (sharded among workers)
  std::unique_ptr<Progress> progress;
  double train_images = 0, train_seconds = 0;
  bool stopped_early = false;
  std::function<void(const TrainStep&)> on_step;  // TrainOptions'
  const std::atomic<bool>* stop = nullptr;
};

// The validation figures of one epoch: raw weights, and the EMA's when there is one.
struct EpochValidation {
  Metrics raw;
  std::optional<Metrics> ema;
  // With --select-on holdout: the same on the held-back split, which then chooses the epoch.
  std::optional<Metrics> select_raw, select_ema;
  const Metrics& chooser_raw() const { return select_raw ? *select_raw : raw; }
  const std::optional<Metrics>& chooser_ema() const { return select_raw ? select_ema : ema; }
};

constexpr const char* kHoldoutSplit = "holdout";

// The chapters (run_setup.cpp, trainer.cpp, run_finish.cpp).
// Built in place (the loader holds references into the run), so returned by pointer.
std::unique_ptr<Run> setup_run(TrainConfig config, const TrainOptions& options);
void apply_freeze(Run& run, int64_t epoch);
TrainSummary finish_run(Run& run);
double selection_value(const Metrics& m, SelectMetric metric);  // oriented so that higher is better

}  // namespace ferkit
