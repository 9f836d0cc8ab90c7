// The training run as a short story: set up, then per epoch train, validate, select and maybe
// stop, checkpoint; then finish (SWA statistics, post-hoc adjustment, bundle, summary). The
// chapters' state is a Run (run_state.h); setup and finish live in run_setup.cpp and run_finish.cpp.
#include "ferkit/train/trainer.h"

#include <cmath>

#include <ATen/CPUGeneratorImpl.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "ferkit/train/run_state.h"
#include "ferkit/util/fs.h"

namespace ferkit {

std::atomic<bool>& stop_requested() {
  static std::atomic<bool> flag{false};
  return flag;
}

double selection_value(const Metrics& m, SelectMetric metric) {
  switch (metric) {
    case SelectMetric::kAccuracy: return m.accuracy;
    case SelectMetric::kBalancedAccuracy: return m.balanced_accuracy;
    case SelectMetric::kMacroF1: return m.macro_f1;
    case SelectMetric::kLoss: return -m.loss;
  }
  return m.accuracy;
}

namespace {

// The figures of one epoch's training pass.
struct EpochTraining {
  double loss_sum = 0.0, lr = 0.0, seconds = 0.0;
  int64_t seen = 0, correct = 0;
};

// The learning rate of every parameter group for the next optimizer step: the schedule's factor
// (times the plateau factor) times the group's peak, with a fresh ramp for backbone groups that
// thawed after --head-epochs.
double set_learning_rates(Run& r) {
  const double factor = lr_at(r.schedule, r.state.step) * r.state.plateau.factor;
  for (size_t g = 0; g < r.opt.groups.size(); ++g) {
    double ramp = 1.0;
    if (r.config.head_epochs > 0 && r.opt.groups[g].stage != "head" && r.state.step >= r.unfreeze_step)
      ramp = std::min(1.0, static_cast<double>(r.state.step - r.unfreeze_step + 1) / r.thaw_warmup);
    r.opt.set_lr(g, factor * r.optim.lr * r.opt.groups[g].lr_mult * ramp);
  }
  return factor;
}

// One optimizer step's share of a batch: forward, loss, backward; the step itself after the last
// micro-batch of --accum-steps (gradients averaged over the workers first).
// The model sees the batch at `side` (progressive resizing); teachers always at full size.
void train_batch(Run& r, const Batch& batch, int64_t epoch, int64_t batch_number, bool last_of_step, int side, EpochTraining& out) {
  const int accum = r.config.accum_steps;
  const torch::Tensor images = batch.images.to(r.device).contiguous(r.memory_format);
  const torch::Tensor logits = r.model->forward(resize_training_batch(images, side));  // (B, 8)
  torch::Tensor targets = batch.targets.to(r.device);
  if (r.teachers) targets = r.teachers->targets(images, targets);
  const torch::Tensor loss = (*r.loss)(logits, targets, epoch);
  if (r.workers && last_of_step) r.workers->arm();
  (accum > 1 ? loss / static_cast<double>(accum) : loss).backward();
  if (r.workers && last_of_step) r.workers->finish();  // every worker now holds the global batch's mean gradient
  if (last_of_step) {
    if (r.config.clip_grad > 0) torch::nn::utils::clip_grad_norm_(r.model->parameters(), r.config.clip_grad);
    r.opt.optimizer->step();
    r.opt.optimizer->zero_grad();
    ++r.state.step;
    if (r.lookahead) r.lookahead->step(r.model);
    if (r.ema) r.ema->update(r.model);
  }
  const int64_t b = batch.images.size(0);
  const double l = loss.item<double>();
  if (!std::isfinite(l))
    throw Error(fmt::format("training diverged at epoch {} batch {} (loss {}); lower --lr", epoch + 1, batch_number, l));
  out.loss_sum += l * b;
  out.seen += b;
  out.correct += (logits.argmax(1).to(torch::kCPU) == batch.labels).sum().item<int64_t>();
}

EpochTraining train_epoch(Run& r, int64_t epoch) {
  const auto t_epoch = Clock::now();
  const TrainConfig& c = r.config;
  if (c.head_epochs > 0 && epoch == c.head_epochs) {
    apply_freeze(r, epoch);
    spdlog::info("epoch {}: backbone unfrozen {} (fresh warm-up over {} steps)", epoch + 1,
                 r.freeze_stage.empty() ? "entirely" : "after " + r.freeze_stage, r.thaw_warmup);
  }
  if (r.workers) {  // over the parameters trainable this epoch, the same list on every worker
    std::vector<at::Tensor> trainable;
    for (const auto& p : r.model->parameters())
      if (p.requires_grad()) trainable.push_back(p);
    r.workers->track_gradients(trainable);
  }
  r.loader->set_mixing(c.mix_off_epoch == 0 || epoch + 1 < c.mix_off_epoch);
  r.loader->start_epoch(epoch);
  const int side = training_side_at(r.resize_stages, epoch, c.input_size);
  if (side != c.input_size && r.lead) spdlog::info("epoch {}: training at {}x{} (progressive resizing)", epoch + 1, side, side);
  r.model->train();
  if (r.lookahead) r.lookahead->restart(r.model);
  if (r.lead) r.progress->start_epoch(epoch);
  EpochTraining out;
  double allreduce_wait = 0.0;
  int64_t batch_index = 0;
  r.opt.optimizer->zero_grad();
  while (auto batch = r.loader->next()) {
    if (stop_requested() || (r.stop && r.stop->load()))
      throw Interrupted(fmt::format("interrupted in epoch {}; {} holds epoch {} (continue with --resume)", epoch + 1,
                                    r.folder.last_checkpoint(), r.state.epoch));
    const bool first_of_step = batch_index % c.accum_steps == 0;
    const bool last_of_step = (batch_index + 1) % c.accum_steps == 0 || batch_index + 1 == r.batches_per_epoch;
    if (first_of_step) out.lr = set_learning_rates(r);
    train_batch(r, *batch, epoch, batch_index + 1, last_of_step, side, out);
    if (r.workers && last_of_step) allreduce_wait += r.workers->last_wait_seconds();
    ++batch_index;
    if (r.lead)
      r.progress->step(batch_index, out.loss_sum / out.seen, out.lr * r.optim.lr,
                       batch->images.size(0) * (r.workers ? r.workers->world_size() : 1));
    if (r.on_step) r.on_step({epoch + 1, c.epochs, batch_index, r.batches_per_epoch, out.loss_sum / out.seen, out.lr * r.optim.lr});
  }
  if (r.lead) r.progress->end_epoch();
  if (r.lookahead) r.lookahead->sync(r.model);  // the epoch ends on slow weights: nothing extra to checkpoint
  if (r.workers) {
    // The epoch's figures over all workers; rank 0's BatchNorm statistics for everyone's
    // validation and checkpoints (as DistributedDataParallel's broadcast_buffers does).
    const auto sums = r.workers->allreduce_sum({out.loss_sum, static_cast<double>(out.seen), static_cast<double>(out.correct)});
    out.loss_sum = sums[0];
    out.seen = static_cast<int64_t>(sums[1]);
    out.correct = static_cast<int64_t>(sums[2]);
    std::vector<at::Tensor> buffers = r.model->buffers();
    for (auto& named : r.averaged)
      for (const auto& b : (*named.second)->buffers()) buffers.push_back(b);
    r.workers->broadcast(buffers);
    spdlog::info("epoch {}: {:.1f} s of the epoch waiting for gradient allreduce ({} buckets, {:.1f} MB per step)", epoch + 1,
                 allreduce_wait, r.workers->gradient_buckets(), r.workers->gradient_bytes() / 1e6);
  }
  out.seconds = seconds_since(t_epoch);
  r.train_images += out.seen;
  r.train_seconds += out.seconds;
  return out;
}

EpochValidation validate(Run& r) {
  EpochValidation v;
  v.raw = evaluate_split(r.model, *r.val_split, r.pre, r.epoch_eval_options);
  if (r.ema) v.ema = evaluate_split(r.ema->model(), *r.val_split, r.pre, r.epoch_eval_options);
  if (r.select_split != r.val_split) {
    v.select_raw = evaluate_split(r.model, *r.select_split, r.pre, r.epoch_eval_options);
    if (r.ema) v.select_ema = evaluate_split(r.ema->model(), *r.select_split, r.pre, r.epoch_eval_options);
  }
  return v;
}

// Keeps the best weights so far (raw or EMA, by --select-metric; with select_on last, the epoch's own,
// EMA when on) in best.pt, steps the plateau schedule, and decides early stopping on a smoothed
// metric (one lucky or unlucky epoch decides nothing). Every worker decides alike: they all saw
// the same gathered validation.
void select_and_stop(Run& r, int64_t epoch, const EpochValidation& v) {
  const TrainConfig& c = r.config;
  CheckpointState& s = r.state;
  const double score = selection_value(v.chooser_raw(), c.select_metric);
  if (schedule_named(c.schedule).decays_on_plateau) s.plateau.on_epoch(score, c.plateau_patience, c.step_gamma);
  const auto& ema = v.chooser_ema();
  const bool ema_better = ema && selection_value(*ema, c.select_metric) > score;
  const double candidate = ema_better ? selection_value(*ema, c.select_metric) : score;
  s.epoch = epoch + 1;
  // select_on last: every epoch's EMA weights (raw without EMA) replace the kept ones, decided before
  // training; otherwise the better of raw and EMA, when it beats the best so far.
  const bool last = c.select_on.last;
  const bool keep_ema = last ? static_cast<bool>(ema) : ema_better;
  const double kept = keep_ema ? selection_value(*ema, c.select_metric) : score;
  if (last || kept > s.best_metric) {
    s.best_metric = kept;
    s.best_epoch = epoch + 1;
    s.best_weights = keep_ema ? "ema" : "raw";
    if (r.lead) save_checkpoint(r.folder.best_checkpoint(), keep_ema ? r.ema->model() : r.model, *r.opt.optimizer, s);
  }
  s.smoothed_metric = s.epoch == 1 ? candidate : c.early_stop_smoothing * s.smoothed_metric + (1 - c.early_stop_smoothing) * candidate;
  if (s.smoothed_metric > s.best_smoothed + 1e-4) {
    s.best_smoothed = s.smoothed_metric;
    s.epochs_without_improvement = 0;
  } else {
    ++s.epochs_without_improvement;
  }
  r.stopped_early = c.early_stop > 0 && s.epochs_without_improvement >= c.early_stop;
}

// The epoch's record in metrics.csv and the checkpoint to resume from.
void record_epoch(Run& r, int64_t epoch, const EpochTraining& t, const EpochValidation& v, Clock::time_point t_epoch) {
  EpochRecord rec;
  rec.epoch = epoch + 1;
  rec.lr = t.lr * r.optim.lr;
  rec.train_loss = t.loss_sum / t.seen;
  rec.train_acc = static_cast<double>(t.correct) / t.seen;
  rec.val = figures(v.raw);
  if (v.ema) rec.ema = figures(*v.ema);
  if (v.select_raw) rec.select = figures(*v.select_raw);
  if (v.select_ema) rec.select_ema = figures(*v.select_ema);
  rec.seconds = seconds_since(t_epoch);
  r.history.push_back(rec);
  r.state.history_json = history_to_json(r.history);
  r.state.rng_state = at::detail::getDefaultCPUGenerator().get_state();
  if (r.ema) r.state.ema_updates = r.ema->updates();
  if (r.swa) r.state.swa_count = r.swa->count();
  if (r.lead) {
    save_checkpoint(r.folder.last_checkpoint(), r.model, *r.opt.optimizer, r.state, r.averaged);
    atomic_write_text(r.folder.metrics(), metrics_csv(r.history));
  }
  spdlog::info("epoch {}/{}: train loss {:.4f} acc {:.2f}% | val loss {:.4f} acc {:.2f}% balanced {:.2f}% macro-F1 {:.2f}%{} "
               "| {:.0f} img/s, {:.1f} s",
               epoch + 1, r.config.epochs, rec.train_loss, 100 * rec.train_acc, v.raw.loss, 100 * v.raw.accuracy,
               100 * v.raw.balanced_accuracy, 100 * v.raw.macro_f1,
               v.ema ? fmt::format(" | EMA acc {:.2f}% balanced {:.2f}%", 100 * v.ema->accuracy, 100 * v.ema->balanced_accuracy) : "",
               t.seen / t.seconds, rec.seconds);
  if (v.select_raw)
    spdlog::info("epoch {}/{}: {} (chooses the epoch) acc {:.2f}% balanced {:.2f}%{}", epoch + 1, r.config.epochs, kHoldoutSplit,
                 100 * v.select_raw->accuracy, 100 * v.select_raw->balanced_accuracy,
                 v.select_ema ? fmt::format(" | EMA acc {:.2f}% balanced {:.2f}%", 100 * v.select_ema->accuracy,
                                            100 * v.select_ema->balanced_accuracy)
                              : "");
}

}  // namespace

TrainSummary run_training(TrainConfig config, const TrainOptions& options) {
  std::unique_ptr<Run> run = setup_run(std::move(config), options);
  Run& r = *run;
  for (int64_t epoch = r.state.epoch; epoch < r.config.epochs && !r.stopped_early; ++epoch) {
    const auto t_epoch = Clock::now();
    const EpochTraining trained = train_epoch(r, epoch);
    const EpochValidation validated = validate(r);
    if (r.swa && epoch >= r.config.epochs - r.config.swa_epochs) r.swa->add(r.model);
    select_and_stop(r, epoch, validated);
    record_epoch(r, epoch, trained, validated, t_epoch);
    if (options.on_epoch_end) options.on_epoch_end(epoch + 1);
    if (r.on_step) {
      const EpochRecord& rec = r.history.back();
      r.on_step({epoch + 1, r.config.epochs, r.batches_per_epoch, r.batches_per_epoch, rec.train_loss, rec.lr, &rec});
    }
    if (r.stopped_early)
      spdlog::info("early stop: the smoothed {} has not improved for {} epochs", select_metric_name(r.config.select_metric),
                   r.config.early_stop);
  }
  if (r.workers) r.workers->stop_tracking();
  return finish_run(r);
}

}  // namespace ferkit
