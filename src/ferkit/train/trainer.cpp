#include "ferkit/train/trainer.h"

#include <chrono>
#include <cmath>
#include <filesystem>

#include <ATen/CPUGeneratorImpl.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include "ferkit/data/audit.h"
#include "ferkit/data/audit_montage.h"
#include "ferkit/data/loader.h"
#include "ferkit/dist/communicator.h"
#include "ferkit/dist/grad_sync.h"
#include "ferkit/eval/evaluator.h"
#include "ferkit/models/bundle.h"
#include "ferkit/models/pretrained.h"
#include "ferkit/report/html.h"
#include "ferkit/train/averaging.h"
#include "ferkit/train/checkpoint.h"
#include "ferkit/train/history.h"
#include "ferkit/train/loss.h"
#include "ferkit/train/optimizer.h"
#include "ferkit/train/posthoc.h"
#include "ferkit/train/progress.h"
#include "ferkit/train/schedule.h"
#include "ferkit/util/fs.h"
#include "ferkit/util/threads.h"

namespace ferkit {
namespace fs = std::filesystem;

std::atomic<bool>& stop_requested() {
  static std::atomic<bool> flag{false};
  return flag;
}

namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// The selection metric, oriented so that higher is better.
double selection_value(const Metrics& m, const std::string& name) {
  if (name == "balanced_accuracy") return m.balanced_accuracy;
  if (name == "macro_f1") return m.macro_f1;
  if (name == "loss") return -m.loss;
  return m.accuracy;
}

// "--freeze-until 2" means the first two stages; a name is used as it is.
std::string resolve_stage(FerModel& model, const std::string& stage) {
  if (stage.empty() || stage.find_first_not_of("0123456789") != std::string::npos) return stage;
  const auto names = model->backbone()->stage_names();
  const int64_t n = std::stoll(stage);
  if (n == 0) return "";
  FERKIT_CHECK(n <= static_cast<int64_t>(names.size()), fmt::format("freeze_until {}: backbone {} has only {} stages", n,
                                                                    model->spec().backbone.name, names.size()));
  return names[n - 1];
}

// The device of this worker: cuda means cuda:LOCAL_RANK in a data-parallel run.
torch::Device resolve_device(const std::string& name, const DistEnv& dist) {
  if (name == "cpu") return torch::Device(torch::kCPU);
  FERKIT_CHECK(torch::cuda::is_available(),
               "--device " + name + ": this LibTorch has no CUDA or sees no GPU (Debian's libtorch is CPU-only; "
               "build with -DTorch_DIR=<a CUDA LibTorch>/share/cmake/Torch, see README: GPUs)");
  const int index = name == "cuda" ? dist.local_rank : std::stoi(name.substr(5));
  FERKIT_CHECK(index < static_cast<int>(torch::cuda::device_count()),
               fmt::format("--device {}: only {} CUDA devices", name, torch::cuda::device_count()));
  return torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(index));
}

// Workers other than rank 0 log warnings and errors only: one voice per run.
struct WorkerLogLevel {
  spdlog::level::level_enum saved = spdlog::get_level();
  explicit WorkerLogLevel(bool lead) {
    if (!lead) spdlog::set_level(std::max(saved, spdlog::level::warn));
  }
  ~WorkerLogLevel() { spdlog::set_level(saved); }
};

// Parameters, then buffers (BatchNorm statistics), of a model.
std::vector<at::Tensor> buffers_of(FerModel& m) { return m->buffers(); }
std::vector<at::Tensor> state_of(FerModel& m) {
  std::vector<at::Tensor> t = m->parameters();
  for (const auto& b : m->buffers()) t.push_back(b);
  return t;
}

}  // namespace

TrainSummary run_training(TrainConfig c, bool resume, const std::function<void(int64_t)>& on_epoch_end, const DistEnv& dist) {
  validate_config(c);
  const auto t_start = Clock::now();
  const int threads = set_threads(c.threads);
  const bool lead = dist.rank == 0;  // writes the run folder and talks
  WorkerLogLevel log_level(lead);
  const torch::Device device = resolve_device(c.device, dist);
  std::unique_ptr<Communicator> comm;
  if (dist.active()) {
    FERKIT_CHECK(c.batch_size % dist.world_size == 0,
                 fmt::format("batch_size {} does not split evenly among {} workers (it is the global batch)", c.batch_size,
                             dist.world_size));
    const std::string backend = c.dist_backend != "auto" ? c.dist_backend : device.is_cuda() ? "nccl" : "gloo";
    comm = std::make_unique<Communicator>(dist, std::chrono::milliseconds(static_cast<int64_t>(c.dist_timeout * 1000)), backend);
    spdlog::info("data-parallel: {} workers ({} backend, rendezvous {}:{}), {} images per worker and step", dist.world_size,
                 backend, dist.master_addr, dist.master_port, c.batch_size / dist.world_size);
  }
  torch::manual_seed(c.seed);
  const fs::path run(c.out);
  if (lead) fs::create_directories(run / "checkpoints");
  const std::string last_path = (run / "checkpoints" / "last.pt").string();
  const std::string best_path = (run / "checkpoints" / "best.pt").string();
  if (resume) FERKIT_CHECK(fs::is_regular_file(last_path), last_path + ": no checkpoint to resume from");
  const std::string config_yaml = config_to_yaml(c);
  if (lead) atomic_write_text((run / "config.yaml").string(), config_yaml);

  // data
  LoadOptions lo;
  lo.layout = c.layout;
  lo.image_size = c.image_size;
  lo.resize = c.resize;
  lo.skip_bad = c.skip_bad;
  lo.threads = threads;
  lo.splits = {c.train_split, c.val_split};
  const auto t_load = Clock::now();
  const Dataset ds = load_dataset(c.data, lo);
  const Split& train_split = ds.split(c.train_split);
  const Split& val_split = ds.split(c.val_split);
  const LabelledSplit train_labels = label_split(train_split, parse_label_mode(c.label_mode));
  FERKIT_CHECK(train_labels.size() > 0, c.data + ": the " + c.train_split + " split has no images with a " +
                                            c.label_mode + " label");
  const auto counts_array = train_labels.class_counts();
  const std::vector<int64_t> class_counts(counts_array.begin(), counts_array.end());
  spdlog::info("data {} ({}): {} train images ({} kept, {} mode), {} {} images, loaded in {:.1f} s", c.data,
               layout_name(ds.layout), train_split.size(), train_labels.size(), c.label_mode, val_split.size(),
               c.val_split, seconds_since(t_load));

  // The cheap audit (exact copies across and within the splits, the noise floor of the
  // validation split): what the user should know before trusting the figures of this run.
  std::vector<std::string> audit_notes;
  if (lead) {
    AuditOptions quick_audit;
    quick_audit.near_duplicates = false;
    const nlohmann::json audit = audit_dataset(ds, quick_audit);
    audit_notes = audit["warnings"].get<std::vector<std::string>>();
    for (const auto& w : audit_notes) spdlog::warn("data: {}", w);
    write_run_audit(run.string(), ds, audit);
  }

  Preprocess pre;
  pre.input_size = c.input_size;
  pre.channels = c.channels;
  pre.normalize = effective_normalize(c);
  pre.validate();

  LoaderConfig lc;
  lc.batch_size = c.batch_size / std::max(1, dist.world_size);
  lc.rank = dist.rank;
  lc.world = dist.world_size;
  lc.workers = c.workers;
  lc.sampler = c.sampler;
  lc.drop_last = train_labels.size() > c.batch_size;  // a tiny last batch only adds noise to BatchNorm
  lc.seed = c.seed;
  BatchLoader loader(train_split, train_labels, lc, c.augment, pre);

  // model
  ModelSpec spec;
  spec.backbone.name = c.backbone;
  spec.backbone.in_channels = c.channels;
  spec.backbone.width = c.width;
  spec.head = parse_head_spec(c.head);
  spec.cut_after = c.cut_after;
  spec.bn_policy = c.bn_policy;
  FerModel model(spec);
  if (!c.weights.empty() && !resume) {
    const WeightsReport w = load_pretrained(model, c.weights, c.allow_partial);
    spdlog::info("weights {}: {} tensors loaded, {} missing, {} unexpected, {} mis-shaped{}", c.weights, w.loaded.size(),
                 w.missing.size(), w.unexpected.size(), w.mismatched.size(),
                 w.skipped_classifier.empty() ? "" : "; the file's classifier does not fit the head and was left out");
  }
  // Keras's MobileNetV2 keeps BatchNorm statistics with momentum 0.999 (0.001 here): over ~1000
  // steps, so while fine-tuning changes the weights quickly the statistics lag behind them and
  // the validation figures of the raw weights swing. --bn-momentum sets a shorter memory.
  if (c.bn_momentum > 0)
    for (const auto& m : model->modules(false))
      if (auto* bn = m->as<torch::nn::BatchNorm2d>()) bn->options.momentum(c.bn_momentum);
  // Freezing comes after loading: it is about trained weights. During --head-epochs the whole
  // backbone is frozen; then it thaws down to --freeze-until.
  const std::string freeze_stage = resolve_stage(model, c.freeze_until);
  const std::string whole_backbone = model->backbone()->stage_names().back();
  auto apply_freeze = [&](int64_t epoch) { model->freeze_until(epoch < c.head_epochs ? whole_backbone : freeze_stage); };
  apply_freeze(0);
  model->to(device);
  // Every worker starts from rank 0's weights (its random initialisation or its loaded file).
  if (comm) comm->broadcast(state_of(model));
  int64_t n_params = 0;
  for (const auto& p : model->parameters()) n_params += p.numel();
  OptimizerConfig oc = c.optim;
  oc.backbone_lr_mult = effective_backbone_lr_mult(c);
  spdlog::info("model {} (width {}), {:.2f} M parameters, input {}x{}x{} ({}), {} threads; {} lr {} (backbone x{}), loss {}",
               c.backbone, c.width > 0 ? fmt::format("{}", c.width) : std::string("default"), n_params / 1e6, c.channels,
               c.input_size, c.input_size, pre.normalize, threads, oc.name, oc.lr, oc.backbone_lr_mult, c.loss.name);

  TrainOptimizer opt = make_optimizer(model, oc);
  const std::unique_ptr<Loss> loss_fn = make_loss(c.loss, class_counts);
  loader.start_epoch(0);
  const int64_t batches_per_epoch = loader.num_batches();
  const int64_t steps_per_epoch = (batches_per_epoch + c.accum_steps - 1) / c.accum_steps;
  ScheduleSpec sched;
  sched.name = c.schedule;
  sched.base_lr = 1.0;  // the schedule gives a factor; each group has its own peak
  sched.total_steps = steps_per_epoch * c.epochs;
  sched.warmup_steps = static_cast<int64_t>(c.warmup_epochs * steps_per_epoch);
  sched.final_lr_ratio = c.final_lr_ratio;
  sched.step_every = std::max<int64_t>(1, static_cast<int64_t>(c.step_epochs * steps_per_epoch));
  sched.step_gamma = c.step_gamma;
  sched.onecycle_pct = c.onecycle_pct;
  const int64_t unfreeze_step = c.head_epochs * steps_per_epoch;
  const int64_t thaw_warmup = std::max<int64_t>(1, static_cast<int64_t>(std::max(c.warmup_epochs, 1.0) * steps_per_epoch));

  std::unique_ptr<WeightEma> ema = c.ema_decay > 0 ? std::make_unique<WeightEma>(model, c.ema_decay) : nullptr;
  std::unique_ptr<WeightAverage> swa = c.swa_epochs > 0 ? std::make_unique<WeightAverage>(model) : nullptr;
  NamedModels averaged;
  if (ema) averaged.emplace_back("ema", &ema->model());
  if (swa) averaged.emplace_back("swa", &swa->model());

  CheckpointState state;
  state.config_yaml = config_yaml;
  std::vector<EpochRow> rows;
  auto& generator = const_cast<at::Generator&>(at::detail::getDefaultCPUGenerator());
  if (resume) {
    state = load_checkpoint(last_path, model, opt.optimizer.get(), averaged);
    state.config_yaml = config_yaml;
    rows = history_from_json(state.history_json);
    if (state.rng_state.defined()) generator.set_state(state.rng_state);
    if (ema) ema->set_updates(state.ema_updates);
    if (swa) swa->set_count(state.swa_count);
    apply_freeze(state.epoch);
    if (state.epoch >= c.epochs)
      spdlog::info("{} has all {} epochs: redoing its final steps (SWA, post-hoc adjustment, bundle, summary); "
                   "raise --epochs to train on", c.out, state.epoch);
    else
      spdlog::info("resuming {} after epoch {} (step {})", c.out, state.epoch, state.step);
  }

  EvalOptions eo;
  eo.workers = std::max(1, c.workers);
  eo.metrics.bootstrap = 0;  // per-epoch figures need no intervals; the final ones get them
  EvalOptions epoch_eo = eo;  // validation during the epochs: sharded among the workers
  if (comm) {
    epoch_eo.shard_rank = comm->rank();
    epoch_eo.shard_count = comm->world_size();
    epoch_eo.gather = [&comm](const at::Tensor& local, int64_t total) { return comm->gather_interleaved(local, total); };
  }
  Progress progress(c.epochs, batches_per_epoch, state.epoch);
  std::unique_ptr<GradientSync> sync;
  double allreduce_wait_seconds = 0.0;
  double train_images = 0, train_seconds = 0;
  bool stopped_early = false;

  for (int64_t epoch = state.epoch; epoch < c.epochs && !stopped_early; ++epoch) {
    const auto t_epoch = Clock::now();
    if (c.head_epochs > 0 && epoch == c.head_epochs) {
      apply_freeze(epoch);
      spdlog::info("epoch {}: backbone unfrozen {} (fresh warm-up over {} steps)", epoch + 1,
                   freeze_stage.empty() ? "entirely" : "after " + freeze_stage, thaw_warmup);
    }
    if (comm) {  // over the parameters trainable this epoch, the same list on every worker
      sync.reset();
      std::vector<at::Tensor> trainable;
      for (const auto& p : model->parameters())
        if (p.requires_grad()) trainable.push_back(p);
      sync = std::make_unique<GradientSync>(*comm, trainable);
    }
    loader.set_mixing(c.mix_off_epoch == 0 || epoch + 1 < c.mix_off_epoch);
    loader.start_epoch(epoch);
    model->train();
    if (lead) progress.start_epoch(epoch);
    double loss_sum = 0.0, lr = 0.0;
    int64_t seen = 0, correct = 0, batch_index = 0;
    opt.optimizer->zero_grad();
    while (auto batch = loader.next()) {
      if (stop_requested())
        throw Interrupted(fmt::format("interrupted in epoch {}; {} holds epoch {} (continue with --resume)", epoch + 1,
                                      last_path, state.epoch));
      const bool first_of_step = batch_index % c.accum_steps == 0;
      const bool last_of_step = (batch_index + 1) % c.accum_steps == 0 || batch_index + 1 == batches_per_epoch;
      if (first_of_step) {
        lr = lr_at(sched, state.step) * state.plateau.factor;
        for (size_t g = 0; g < opt.groups.size(); ++g) {
          double ramp = 1.0;
          if (c.head_epochs > 0 && opt.groups[g].stage != "head" && state.step >= unfreeze_step)
            ramp = std::min(1.0, static_cast<double>(state.step - unfreeze_step + 1) / thaw_warmup);
          opt.set_lr(g, lr * oc.lr * opt.groups[g].lr_mult * ramp);
        }
      }
      const torch::Tensor logits = model->forward(batch->images.to(device));  // (B, 8)
      const torch::Tensor loss = (*loss_fn)(logits, batch->targets.to(device), epoch);
      if (sync && last_of_step) sync->arm();
      (c.accum_steps > 1 ? loss / static_cast<double>(c.accum_steps) : loss).backward();
      if (sync && last_of_step) {
        sync->finish();  // every worker now holds the mean gradient of the global batch
        allreduce_wait_seconds += sync->last_wait_seconds();
      }
      if (last_of_step) {
        if (c.clip_grad > 0) torch::nn::utils::clip_grad_norm_(model->parameters(), c.clip_grad);
        opt.optimizer->step();
        opt.optimizer->zero_grad();
        ++state.step;
        if (ema) ema->update(model);
      }
      ++batch_index;
      const int64_t b = batch->images.size(0);
      const double l = loss.item<double>();
      if (!std::isfinite(l))
        throw Error(fmt::format("training diverged at epoch {} batch {} (loss {}); lower --lr", epoch + 1, batch_index, l));
      loss_sum += l * b;
      seen += b;
      correct += (logits.argmax(1).to(torch::kCPU) == batch->labels).sum().item<int64_t>();
      if (lead) progress.step(batch_index, loss_sum / seen, lr * oc.lr, b * std::max(1, dist.world_size));
    }
    if (lead) progress.end_epoch();
    if (comm) {
      // The epoch's figures over all workers; rank 0's BatchNorm statistics for everyone's
      // validation and checkpoints (as DistributedDataParallel's broadcast_buffers does).
      const auto sums = comm->allreduce_sum({loss_sum, static_cast<double>(seen), static_cast<double>(correct)});
      loss_sum = sums[0];
      seen = static_cast<int64_t>(sums[1]);
      correct = static_cast<int64_t>(sums[2]);
      std::vector<at::Tensor> buffers = buffers_of(model);
      for (auto& named : averaged)
        for (const auto& b : buffers_of(*named.second)) buffers.push_back(b);
      comm->broadcast(buffers);
    }
    const double epoch_train_seconds = seconds_since(t_epoch);
    train_images += seen;
    train_seconds += epoch_train_seconds;

    const Metrics val = evaluate_split(model, val_split, pre, epoch_eo);
    EpochRow row;
    row.epoch = epoch + 1;
    row.lr = lr * oc.lr;
    row.train_loss = loss_sum / seen;
    row.train_acc = static_cast<double>(correct) / seen;
    row.val = figures(val);
    Metrics ema_val;
    if (ema) {
      ema_val = evaluate_split(ema->model(), val_split, pre, epoch_eo);
      row.has_ema = true;
      row.ema = figures(ema_val);
    }
    if (swa && epoch >= c.epochs - c.swa_epochs) swa->add(model);
    const double score = selection_value(val, c.select_metric);
    if (c.schedule == "plateau") state.plateau.on_epoch(score, c.plateau_patience, c.step_gamma);

    // The best weights so far, raw or EMA, by the selection metric.
    const bool ema_better = ema && selection_value(ema_val, c.select_metric) > score;
    const double candidate = ema_better ? selection_value(ema_val, c.select_metric) : score;
    state.epoch = epoch + 1;
    if (candidate > state.best_metric) {
      state.best_metric = candidate;
      state.best_epoch = epoch + 1;
      state.best_weights = ema_better ? "ema" : "raw";
      if (lead) save_checkpoint(best_path, ema_better ? ema->model() : model, *opt.optimizer, state);
    }
    // Early stopping on a smoothed metric: one lucky or unlucky epoch decides nothing.
    state.smoothed_metric = state.epoch == 1 ? candidate
                                             : c.early_stop_smoothing * state.smoothed_metric + (1 - c.early_stop_smoothing) * candidate;
    if (state.smoothed_metric > state.best_smoothed + 1e-4) {
      state.best_smoothed = state.smoothed_metric;
      state.epochs_without_improvement = 0;
    } else {
      ++state.epochs_without_improvement;
    }
    stopped_early = c.early_stop > 0 && state.epochs_without_improvement >= c.early_stop;

    row.seconds = seconds_since(t_epoch);
    rows.push_back(row);
    state.history_json = history_to_json(rows);
    state.rng_state = generator.get_state();
    if (ema) state.ema_updates = ema->updates();
    if (swa) state.swa_count = swa->count();
    if (lead) {
      save_checkpoint(last_path, model, *opt.optimizer, state, averaged);
      atomic_write_text((run / "metrics.csv").string(), metrics_csv(rows));
    }
    spdlog::info("epoch {}/{}: train loss {:.4f} acc {:.2f}% | val loss {:.4f} acc {:.2f}% balanced {:.2f}% macro-F1 {:.2f}%{} "
                 "| {:.0f} img/s, {:.1f} s",
                 epoch + 1, c.epochs, row.train_loss, 100 * row.train_acc, val.loss, 100 * val.accuracy,
                 100 * val.balanced_accuracy, 100 * val.macro_f1,
                 ema ? fmt::format(" | EMA acc {:.2f}% balanced {:.2f}%", 100 * ema_val.accuracy, 100 * ema_val.balanced_accuracy) : "",
                 seen / epoch_train_seconds, row.seconds);
    if (comm)
      spdlog::info("epoch {}: {:.1f} s of the epoch waiting for gradient allreduce ({} buckets, {:.1f} MB per step)", epoch + 1,
                   allreduce_wait_seconds, sync->buckets(), sync->bytes() / 1e6);
    allreduce_wait_seconds = 0.0;
    if (on_epoch_end) on_epoch_end(epoch + 1);
    if (stopped_early)
      spdlog::info("early stop: the smoothed {} has not improved for {} epochs", c.select_metric, c.early_stop);
  }

  sync.reset();
  if (!lead) {  // rank 0 finishes the run: SWA statistics, bundle, summary, report
    TrainSummary worker;
    worker.epochs = state.epoch;
    worker.best_epoch = state.best_epoch;
    worker.best_weights = state.best_weights;
    worker.seconds = seconds_since(t_start);
    return worker;
  }
  // SWA: the averaged weights need BatchNorm statistics of their own, from one pass over the data.
  if (swa && swa->count() > 0) {
    LoaderConfig whole = lc;  // rank 0 alone, over the whole split
    whole.rank = 0;
    whole.world = 1;
    whole.batch_size = c.batch_size;
    BatchLoader bn_loader(train_split, train_labels, whole, c.augment, pre);
    bn_loader.set_mixing(false);
    bn_loader.start_epoch(c.epochs);
    recompute_batchnorm(swa->model(), [&]() -> std::optional<at::Tensor> {
      auto b = bn_loader.next();
      if (!b) return std::nullopt;
      return b->images;
    });
    const Metrics swa_val = evaluate_split(swa->model(), val_split, pre, eo);
    spdlog::info("SWA of the last {} epochs: val acc {:.2f}% balanced {:.2f}%", swa->count(), 100 * swa_val.accuracy,
                 100 * swa_val.balanced_accuracy);
    if (selection_value(swa_val, c.select_metric) > state.best_metric) {
      state.best_metric = selection_value(swa_val, c.select_metric);
      state.best_epoch = state.epoch;
      state.best_weights = "swa";
      save_checkpoint(best_path, swa->model(), *opt.optimizer, state);
    }
  }

  // The bundle carries the best weights, with the post-hoc logit adjustment when asked for.
  FerModel best(model->spec());
  load_checkpoint(best_path, best, nullptr);
  const LabelledSplit val_labels = label_split(val_split, LabelMode::kMajority);
  const Predictions val_pred = predict_split(best, val_split, val_labels, pre, eo);
  MetricsOptions counting_only;
  counting_only.bootstrap = 0;
  const Metrics unadjusted = compute_metrics(val_pred.logits, val_pred.labels, counting_only);
  double tau = 0.0;
  nlohmann::json curve_json = nlohmann::json::array();
  if (c.posthoc_tau != "none") {
    const at::Tensor lp = log_prior(class_counts);
    const auto curve = tau_curve(val_pred, lp);
    for (const auto& point : curve) {
      nlohmann::json row = {{"tau", point.tau}, {"accuracy", point.m.accuracy}, {"balanced_accuracy", point.m.balanced_accuracy},
                            {"macro_f1", point.m.macro_f1}, {"recall", point.m.recall}};
      curve_json.push_back(row);
    }
    tau = c.posthoc_tau == "auto" ? choose_tau(curve, c.posthoc_max_acc_drop) : std::stod(c.posthoc_tau);
    best->set_logit_adjustment(-tau * lp);
  }
  // The figures of the bundle as shipped (adjustment included), with intervals and multi-target.
  EvalOptions final_eo = eo;
  final_eo.metrics.bootstrap = MetricsOptions{}.bootstrap;
  const Metrics best_val = evaluate_split(best, val_split, pre, final_eo);
  if (c.posthoc_tau != "none")
    spdlog::info("post-hoc logit adjustment tau {:.1f}{}: val acc {:.2f}% -> {:.2f}%, balanced {:.2f}% -> {:.2f}% "
                 "(tau chosen on this split: judge it on another)",
                 tau, c.posthoc_tau == "auto" ? " (chosen on validation)" : "", 100 * unadjusted.accuracy,
                 100 * best_val.accuracy, 100 * unadjusted.balanced_accuracy, 100 * best_val.balanced_accuracy);

  std::vector<double> raw_acc, ema_acc;
  for (const auto& r : rows) {
    raw_acc.push_back(r.val.accuracy);
    if (r.has_ema) ema_acc.push_back(r.ema.accuracy);
  }
  TrainSummary summary;
  summary.raw_stability = stability(raw_acc, 10);
  summary.ema_stability = stability(ema_acc, 10);

  BundleInfo info;
  info.spec = model->spec();  // as built: cut, freezing and BatchNorm policy included
  info.preprocess = pre;
  for (int k = 0; k < kNumEmotions; ++k) info.class_names.push_back(emotion_name(k));
  info.extra = {{"data", c.data},
                {"label_mode", c.label_mode},
                {"image_size", c.image_size},
                {"recipe", c.recipe},
                {"epoch", state.best_epoch},
                {"weights", state.best_weights},
                {"posthoc_tau", tau},
                {"val_split", c.val_split},
                {"val_accuracy", best_val.accuracy},
                {"val_balanced_accuracy", best_val.balanced_accuracy}};
  summary.bundle_path = (run / "model.ferkit").string();
  save_bundle(summary.bundle_path, best, info);
  summary.epochs = state.epoch;
  summary.best_epoch = state.best_epoch;
  summary.best_weights = state.best_weights;
  summary.best_val = best_val;
  summary.posthoc_tau = tau;
  summary.seconds = seconds_since(t_start);
  nlohmann::json js = {{"epochs", summary.epochs},
                       {"best_epoch", summary.best_epoch},
                       {"best_weights", summary.best_weights},
                       {"select_metric", c.select_metric},
                       {"posthoc_tau", tau},
                       {"best_val", to_json(best_val)},
                       {"stability_val_accuracy_last10", {{"raw", to_json(summary.raw_stability)}}},
                       {"seconds", summary.seconds},
                       {"train_images_per_second", train_seconds > 0 ? train_images / train_seconds : 0.0},
                       {"resumed", resume}};
  if (!curve_json.empty()) js["posthoc_curve_val"] = curve_json;
  js["class_counts_train"] = class_counts;
  js["class_counts"] = {{c.train_split + " (" + c.label_mode + ")", class_counts},
                        {c.val_split + " (majority)", label_split(val_split, LabelMode::kMajority).class_counts()}};
  js["data_warnings"] = ds.report.warnings;
  for (const auto& w : audit_notes) js["data_warnings"].push_back(w);
  if (ds.report.skipped > 0)
    js["data_warnings"].push_back(fmt::format("{} bad rows or images skipped (--skip-bad)", ds.report.skipped));
  if (ema) js["stability_val_accuracy_last10"]["ema"] = to_json(summary.ema_stability);
  atomic_write_text((run / "summary.json").string(), js.dump(2) + "\n");
  // The report is a view of the run's files; failing to draw it must not fail the run.
  try {
    spdlog::info("report: {}", write_run_report(run.string()));
  } catch (const std::exception& e) {
    spdlog::warn("the report could not be drawn: {} (try `ferkit report --run {}`)", e.what(), run.string());
  }
  spdlog::info("stability of val accuracy over the last {} epochs (points): raw sd {:.2f} (around the trend {:.2f}), "
               "largest drop {:.2f}{}",
               summary.raw_stability.epochs, 100 * summary.raw_stability.stddev, 100 * summary.raw_stability.detrended_stddev,
               100 * summary.raw_stability.largest_drop,
               ema ? fmt::format("; EMA sd {:.2f} (around the trend {:.2f}), largest drop {:.2f}", 100 * summary.ema_stability.stddev,
                                 100 * summary.ema_stability.detrended_stddev, 100 * summary.ema_stability.largest_drop)
                   : "");
  return summary;
}

}  // namespace ferkit
