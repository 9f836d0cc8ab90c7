// The first chapter of a training run: the config validated and written, the device and the
// other workers, the data (with the cheap audit), the model (weights, BatchNorm momentum,
// freezing), the optimizer, loss, schedule and weight averages, and the state of a resumed run.
#include <filesystem>

#include <ATen/CPUGeneratorImpl.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include "ferkit/data/audit.h"
#include "ferkit/data/classes.h"
#include "ferkit/models/pretrained.h"
#include "ferkit/run/run_audit.h"
#include "ferkit/train/config_specs.h"
#include "ferkit/train/init.h"
#include "ferkit/train/run_state.h"
#include "ferkit/util/fs.h"
#include "ferkit/util/threads.h"

namespace ferkit {
namespace {

// The device of this worker: cuda means cuda:LOCAL_RANK in a data-parallel run.
torch::Device resolve_device(const DeviceSpec& d, int local_rank) {
  if (!d.cuda) return torch::Device(torch::kCPU);
  FERKIT_CHECK(torch::cuda::is_available(),
               "--device " + device_text(d) + ": this LibTorch has no CUDA or sees no GPU (Debian's libtorch is CPU-only; "
               "build with -DTorch_DIR=<a CUDA LibTorch>/share/cmake/Torch, see docs/scale-out.md: GPUs)");
  const int index = d.index < 0 ? local_rank : d.index;
  FERKIT_CHECK(index < static_cast<int>(torch::cuda::device_count()),
               fmt::format("--device {}: only {} CUDA devices", device_text(d), torch::cuda::device_count()));
  return torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(index));
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

// --select-on holdout:F: the training split loses a held-back share, which becomes a split of its
// own (so the cheap audit below also looks for its copies in the other splits).
void hold_out_selection_split(Dataset& dataset, const TrainConfig& c) {
  FERKIT_CHECK(!dataset.has_split(kHoldoutSplit), c.data + ": has a split named '" + kHoldoutSplit +
                                                      "' already; --select-on holdout would replace it");
  dataset.split(c.train_split);  // throws, listing the splits, when there is none of that name
  for (auto& split : dataset.splits) {
    if (split.name != c.train_split) continue;
    auto [kept, held] = hold_out(split, c.select_on.holdout, kHoldoutSplit);
    split = std::move(kept);
    dataset.splits.push_back(std::move(held));  // invalidates `split`: leave now
    return;
  }
}

void load_data(Run& r) {
  const TrainConfig& c = r.config;
  const auto t_load = Clock::now();
  r.dataset = load_dataset(c.data, load_options(c, r.threads));
  if (c.select_on.uses_holdout()) hold_out_selection_split(r.dataset, c);
  r.train_split = &r.dataset.split(c.train_split);
  r.val_split = &r.dataset.split(c.val_split);
  r.select_split = c.select_on.uses_holdout() ? &r.dataset.split(kHoldoutSplit) : r.val_split;
  r.train_labels = label_split(*r.train_split, c.label_mode);
  FERKIT_CHECK(r.train_labels.size() > 0, c.data + ": the " + c.train_split + " split has no images with a " +
                                              label_mode_name(c.label_mode) + " label");
  const auto counts = r.train_labels.class_counts();
  r.class_counts.assign(counts.begin(), counts.end());
  spdlog::info("data {} ({}): {} train images ({} kept, {} mode), {} {} images, loaded in {:.1f} s", c.data,
               layout_name(r.dataset.layout), r.train_split->size(), r.train_labels.size(), label_mode_name(c.label_mode),
               r.val_split->size(), c.val_split, seconds_since(t_load));
  if (c.select_on.uses_holdout())
    spdlog::info("select on {}: {} images of the {} split held back (by a hash of their pixels) to choose the epoch, tau and "
                 "calibration; the {} figures are not chosen on", select_on_text(c.select_on), r.select_split->size(),
                 c.train_split, c.val_split);
  if (c.select_on.last)
    spdlog::info("select on last: the model is the last epoch's {}, decided before training; the {} figures are not chosen on",
                 c.swa_epochs > 0 ? "SWA average" : c.ema_decay > 0 ? "EMA weights" : "raw weights", c.val_split);
  // The cheap audit (exact copies across and within the splits, the noise floor of the
  // validation split): what the user should know before trusting the figures of this run.
  if (r.lead) {
    AuditOptions quick;
    quick.near_duplicates = false;
    const AuditResult audit = audit_result_from_json(audit_dataset(r.dataset, quick));
    r.audit_warnings = audit.warnings;
    for (const auto& w : r.audit_warnings) spdlog::warn("data: {}", w);
    keep_audit_with_run(r.folder, r.dataset, audit);
  }
  r.pre = preprocess_of(c);
  r.loader_config = loader_config(c, r.train_labels.size(), r.workers ? r.workers->rank() : 0, r.workers ? r.workers->world_size() : 1);
  r.loader = std::make_unique<BatchLoader>(*r.train_split, r.train_labels, r.loader_config, c.augment, r.pre);
}

void build_model(Run& r) {
  const TrainConfig& c = r.config;
  r.model = FerModel(model_spec(c));
  if (!c.weights.empty() && !r.resume) {
    const WeightsReport w = load_pretrained(r.model, c.weights, c.allow_partial);
    spdlog::info("weights {}: {} tensors loaded, {} missing, {} unexpected, {} mis-shaped{}", c.weights, w.loaded.size(),
                 w.missing.size(), w.unexpected.size(), w.mismatched.size(),
                 w.skipped_classifier.empty() ? "" : "; the file's classifier does not fit the head and was left out");
  }
  // After the weights (an initialisation may build on them), before any worker copies rank 0's;
  // a resumed run's weights come from its checkpoint.
  if (!c.init.empty() && !r.resume)
    for (const auto& line : apply_init(r.model, c.init, r.train_split->images, r.pre)) spdlog::info("init {}", line);
  // Keras's MobileNetV2 keeps BatchNorm statistics with momentum 0.999 (0.001 here): over ~1000
  // steps, so while fine-tuning changes the weights quickly the statistics lag behind them and
  // the validation figures of the raw weights swing. --bn-momentum sets a shorter memory.
  if (c.bn_momentum > 0)
    for (const auto& m : r.model->modules(false))
      if (auto* bn = m->as<torch::nn::BatchNorm2d>()) bn->options.momentum(c.bn_momentum);
  // Freezing comes after loading: it is about trained weights.
  r.freeze_stage = resolve_stage(r.model, c.freeze_until);
  r.whole_backbone = r.model->backbone()->stage_names().back();
  apply_freeze(r, 0);
  r.model->to(r.device);
  // channels_last: the convolutions' weights (and each batch, train_batch) in NHWC, so that
  // oneDNN's convolutions run without reordering them at every step. Before the optimizer and
  // the weight averages are made: they keep the layout of what they were made from.
  r.memory_format = parse_memory_format(c.memory_format);
  if (r.memory_format != at::MemoryFormat::Contiguous) {
    torch::NoGradGuard no_grad;
    for (auto& p : r.model->parameters())
      if (p.dim() == 4) p.set_data(p.contiguous(r.memory_format));
  }
  // Every worker starts from rank 0's weights (its random initialisation or its loaded file).
  if (r.workers) {
    std::vector<at::Tensor> state = r.model->parameters();
    for (const auto& b : r.model->buffers()) state.push_back(b);
    r.workers->broadcast(state);
  }
  int64_t n_params = 0;
  for (const auto& p : r.model->parameters()) n_params += p.numel();
  r.optim = optimizer_config(c);
  spdlog::info("model {} (width {}{}), {:.2f} M parameters, input {}x{}x{} ({}), {} threads; {} lr {} (backbone x{}), loss {}",
               c.backbone, c.width > 0 ? fmt::format("{}", c.width) : std::string("default"),
               c.depth > 0 ? fmt::format(", depth {}", c.depth) : std::string(), n_params / 1e6, c.channels,
               c.input_size, c.input_size, r.pre.normalize, r.threads, r.optim.name, r.optim.lr, r.optim.backbone_lr_mult, c.loss.name);
}

void build_optimisation(Run& r) {
  const TrainConfig& c = r.config;
  r.opt = make_optimizer(r.model, r.optim);
  r.loss = make_loss(c.loss, r.class_counts);
  if (!c.distill.teachers.empty()) {
    std::vector<std::string> classes;
    for (int k = 0; k < kNumEmotions; ++k) classes.push_back(emotion_name(k));
    r.teachers = std::make_unique<Teachers>(c.distill, r.pre, c.image_size, classes);
    if (r.lead)
      spdlog::info("distillation: {} teacher(s) ({}), weight {}, temperature {}", r.teachers->sources().size(),
                   fmt::format("{}", fmt::join(r.teachers->sources(), ", ")), c.distill.weight, c.distill.temperature);
  }
  r.loader->start_epoch(0);
  r.batches_per_epoch = r.loader->num_batches();
  r.steps_per_epoch = (r.batches_per_epoch + c.accum_steps - 1) / c.accum_steps;
  r.schedule = schedule_spec(c, r.steps_per_epoch);
  r.unfreeze_step = c.head_epochs * r.steps_per_epoch;
  r.thaw_warmup = std::max<int64_t>(1, static_cast<int64_t>(std::max(c.warmup_epochs, 1.0) * r.steps_per_epoch));
  if (c.ema_decay > 0) r.ema = std::make_unique<WeightEma>(r.model, c.ema_decay);
  r.resize_stages = parse_progressive_resize(c.progressive_resize);
  if (c.lookahead_steps > 0) r.lookahead = std::make_unique<Lookahead>(c.lookahead_steps, c.lookahead_alpha);
  if (c.swa_epochs > 0) r.swa = std::make_unique<WeightAverage>(r.model);
  if (r.ema) r.averaged.emplace_back("ema", &r.ema->model());
  if (r.swa) r.averaged.emplace_back("swa", &r.swa->model());
}

void resume_state(Run& r) {
  r.state.config_yaml = r.config_yaml;
  if (!r.resume) return;
  r.state = load_checkpoint(r.folder.last_checkpoint(), r.model, r.opt.optimizer.get(), r.averaged);
  r.state.config_yaml = r.config_yaml;
  r.history = history_from_json(r.state.history_json);
  if (r.state.rng_state.defined()) const_cast<at::Generator&>(at::detail::getDefaultCPUGenerator()).set_state(r.state.rng_state);
  if (r.ema) r.ema->set_updates(r.state.ema_updates);
  if (r.swa) r.swa->set_count(r.state.swa_count);
  apply_freeze(r, r.state.epoch);
  if (r.state.epoch >= r.config.epochs)
    spdlog::info("{} has all {} epochs: redoing its final steps (SWA, post-hoc adjustment, bundle, summary); "
                 "raise --epochs to train on", r.config.out, r.state.epoch);
  else
    spdlog::info("resuming {} after epoch {} (step {})", r.config.out, r.state.epoch, r.state.step);
}

void set_up_evaluation(Run& r) {
  r.eval_options.workers = std::max(1, r.config.workers);
  r.eval_options.metrics.bootstrap = 0;  // per-epoch figures need no intervals; the final ones get them
  r.epoch_eval_options = r.eval_options;  // validation during the epochs: sharded among the workers
  if (r.workers) {
    r.epoch_eval_options.shard_rank = r.workers->rank();
    r.epoch_eval_options.shard_count = r.workers->world_size();
    DataParallel* w = r.workers.get();
    r.epoch_eval_options.gather = [w](const at::Tensor& local, int64_t total) { return w->gather_interleaved(local, total); };
  }
  r.progress = std::make_unique<Progress>(r.config.epochs, r.batches_per_epoch, r.state.epoch);
}

// Workers other than rank 0 log warnings and errors only: one voice per run.
void quiet_unless_lead(bool lead) {
  if (!lead) spdlog::set_level(std::max(spdlog::get_level(), spdlog::level::warn));
}

}  // namespace

// During --head-epochs the whole backbone is frozen; then it thaws down to --freeze-until.
void apply_freeze(Run& r, int64_t epoch) { r.model->freeze_until(epoch < r.config.head_epochs ? r.whole_backbone : r.freeze_stage); }

// Before any work: a folder that holds a run is continued (--resume) or replaced (--overwrite),
// never written over silently.
static void claim_run_folder(const RunFolder& folder, const TrainOptions& options) {
  if (options.resume || !folder.holds_run()) return;
  if (!options.overwrite)
    throw Error(folder.dir() + " holds a run (config.yaml, metrics.csv or summary.json): " +
                (std::filesystem::is_regular_file(folder.last_checkpoint())
                     ? "--resume continues it, --overwrite replaces it"
                     : "it has no checkpoint yet (stopped in its first epoch), so --overwrite starts it again"));
  spdlog::warn("--overwrite: removing the run in {}", folder.dir());
  folder.remove_run_files();
}

static void set_up_folder_data_and_model(Run& r);

std::unique_ptr<Run> setup_run(TrainConfig config, const TrainOptions& options) {
  validate_config(config);
  claim_run_folder(RunFolder(config.out), options);
  auto run = std::make_unique<Run>();
  Run& r = *run;
  r.config = std::move(config);
  r.resume = options.resume;
  r.on_step = options.on_step;
  r.stop = options.stop;
  r.folder = RunFolder(r.config.out);
  r.threads = set_threads(r.config.threads);
  r.device = resolve_device(r.config.device, options.local_rank);
  if (options.connect_workers) r.workers = options.connect_workers();
  r.lead = !r.workers || r.workers->rank() == 0;
  quiet_unless_lead(r.lead);
  if (r.workers)
    spdlog::info("data-parallel: {} workers ({}), {} images per worker and step", r.workers->world_size(), r.workers->describe(),
                 r.config.batch_size / r.workers->world_size());
  torch::manual_seed(r.config.seed);
  // A run folder this start creates is removed again if setting up fails (a missing data folder,
  // a bad image, weights that do not fit): no half-made run is left behind.
  const bool fresh_folder = r.lead && !std::filesystem::exists(r.folder.dir());
  try {
    set_up_folder_data_and_model(r);
  } catch (...) {
    std::error_code ec;
    if (fresh_folder) std::filesystem::remove_all(r.folder.dir(), ec);
    throw;
  }
  return run;
}

static void set_up_folder_data_and_model(Run& r) {
  if (r.lead) {
    r.folder.create();
    if (const int stale = r.folder.remove_stale_temp_files())
      spdlog::info("removed {} temporary files that an interrupted process left in {}", stale, r.folder.dir());
  }
  if (r.resume) FERKIT_CHECK(std::filesystem::is_regular_file(r.folder.last_checkpoint()), r.folder.last_checkpoint() + ": no checkpoint to resume from (the run stopped before its first epoch ended, or never started "
                             "here): --overwrite starts it again");
  r.config_yaml = config_to_yaml(r.config);
  if (r.lead) atomic_write_text(r.folder.config(), r.config_yaml);
  load_data(r);
  build_model(r);
  build_optimisation(r);
  resume_state(r);
  set_up_evaluation(r);
}

}  // namespace ferkit
