#include "ferkit/train/trainer.h"

#include <chrono>
#include <cmath>
#include <map>
#include <filesystem>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include "ferkit/data/loader.h"
#include "ferkit/eval/evaluator.h"
#include "ferkit/models/bundle.h"
#include "ferkit/models/pretrained.h"
#include "ferkit/train/checkpoint.h"
#include "ferkit/train/schedule.h"
#include "ferkit/util/error.h"
#include "ferkit/util/fs.h"
#include "ferkit/util/threads.h"

namespace ferkit {
namespace fs = std::filesystem;

torch::Tensor soft_cross_entropy(const torch::Tensor& logits, const torch::Tensor& targets) {
  return -(targets * torch::log_softmax(logits, 1)).sum(1).mean();
}

namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// Parameter groups: the head and each backbone stage with its own learning-rate multiplier
// (discriminative learning rates), each split in two because weight decay applies to the weights
// of convolutions and linear layers only: decaying BatchNorm scales and biases only fights the
// normalisation. Frozen parameters are left out.
struct ParamGroups {
  std::vector<torch::optim::OptimizerParamGroup> groups;
  std::vector<double> lr_mult;  // per group, times the scheduled learning rate
};

ParamGroups param_groups(FerModel& model, const TrainConfig& c) {
  const auto stages = model->backbone()->stage_names();
  std::map<std::pair<std::string, bool>, std::vector<torch::Tensor>> by_group;
  for (const auto& p : model->named_parameters()) {
    if (!p.value().requires_grad()) continue;
    by_group[{model->stage_of(p.key()), p.value().dim() > 1}].push_back(p.value());
  }
  ParamGroups out;
  for (auto& [key, params] : by_group) {
    const auto& [stage, decay] = key;
    double mult = 1.0;
    if (stage != "head") {
      const auto pos = std::find(stages.begin(), stages.end(), stage) - stages.begin();
      mult = c.backbone_lr_mult * std::pow(c.layer_decay, static_cast<double>(stages.size()) - 1 - pos);
    }
    auto opts = std::make_unique<torch::optim::SGDOptions>(
        torch::optim::SGDOptions(c.lr * mult).momentum(c.momentum).weight_decay(decay ? c.weight_decay : 0.0).nesterov(c.momentum > 0));
    out.groups.emplace_back(params, std::move(opts));
    out.lr_mult.push_back(mult);
  }
  return out;
}

struct EpochRow {
  int64_t epoch;
  double lr, train_loss, train_acc;
  Metrics val;
  double seconds;
};

std::string metrics_csv(const std::vector<EpochRow>& rows) {
  std::string out = "epoch,lr,train_loss,train_acc,val_loss,val_acc,val_balanced_acc,val_macro_f1,seconds\n";
  for (const auto& r : rows)
    out += fmt::format("{},{:.6g},{:.6f},{:.6f},{:.6f},{:.6f},{:.6f},{:.6f},{:.2f}\n", r.epoch, r.lr, r.train_loss,
                       r.train_acc, r.val.loss, r.val.accuracy, r.val.balanced_accuracy, r.val.macro_f1, r.seconds);
  return out;
}

}  // namespace

TrainSummary run_training(TrainConfig c) {
  validate_config(c);
  const auto t_start = Clock::now();
  const int threads = set_threads(c.threads);
  torch::manual_seed(c.seed);
  fs::create_directories(fs::path(c.out) / "checkpoints");
  const std::string config_yaml = config_to_yaml(c);
  atomic_write_text((fs::path(c.out) / "config.yaml").string(), config_yaml);

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
  spdlog::info("data {} ({}): {} train images ({} kept, {} mode), {} {} images, loaded in {:.1f} s", c.data,
               layout_name(ds.layout), train_split.size(), train_labels.size(), c.label_mode, val_split.size(),
               c.val_split, seconds_since(t_load));

  Preprocess pre;
  pre.input_size = c.input_size;
  pre.channels = c.channels;
  pre.normalize = c.normalize;
  pre.validate();

  LoaderConfig lc;
  lc.batch_size = c.batch_size;
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
  if (!c.weights.empty()) {
    const WeightsReport w = load_pretrained(model, c.weights, c.allow_partial);
    spdlog::info("weights {}: {} tensors loaded, {} missing, {} unexpected, {} mis-shaped{}", c.weights, w.loaded.size(),
                 w.missing.size(), w.unexpected.size(), w.mismatched.size(),
                 w.skipped_classifier.empty() ? "" : "; the file's classifier does not fit the head and was left out");
  }
  if (!c.freeze_until.empty()) model->freeze_until(c.freeze_until);  // after loading: freezing is about trained weights
  int64_t n_params = 0;
  for (const auto& p : model->parameters()) n_params += p.numel();
  spdlog::info("model {} (width {}), {:.2f} M parameters, input {}x{}x{}, {} threads", c.backbone,
               c.width > 0 ? fmt::format("{}", c.width) : std::string("default"),
               n_params / 1e6, c.channels, c.input_size, c.input_size, threads);

  ParamGroups groups = param_groups(model, c);
  const std::vector<double> lr_mult = groups.lr_mult;
  torch::optim::SGD optimizer(std::move(groups.groups), torch::optim::SGDOptions(c.lr));
  ScheduleSpec sched;
  sched.name = c.schedule;
  sched.base_lr = c.lr;
  loader.start_epoch(0);
  const int64_t steps_per_epoch = loader.num_batches();
  sched.total_steps = steps_per_epoch * c.epochs;
  sched.warmup_steps = static_cast<int64_t>(c.warmup_epochs * steps_per_epoch);

  const std::string last_path = (fs::path(c.out) / "checkpoints" / "last.pt").string();
  const std::string best_path = (fs::path(c.out) / "checkpoints" / "best.pt").string();
  CheckpointState state;
  state.config_yaml = config_yaml;
  std::vector<EpochRow> rows;
  Metrics best_val;
  EvalOptions eo;
  eo.workers = std::max(1, c.workers);

  for (int64_t epoch = 0; epoch < c.epochs; ++epoch) {
    const auto t_epoch = Clock::now();
    if (epoch > 0) loader.start_epoch(epoch);
    model->train();
    double loss_sum = 0.0, lr = 0.0;
    int64_t seen = 0, correct = 0, step_in_epoch = 0;
    const int64_t log_every = std::max<int64_t>(1, steps_per_epoch / 4);
    while (auto batch = loader.next()) {
      lr = lr_at(sched, state.step);
      for (size_t g = 0; g < optimizer.param_groups().size(); ++g)
        static_cast<torch::optim::SGDOptions&>(optimizer.param_groups()[g].options()).lr(lr * lr_mult[g]);
      const torch::Tensor logits = model->forward(batch->images);       // (B, 8)
      const torch::Tensor loss = soft_cross_entropy(logits, batch->targets);
      optimizer.zero_grad();
      loss.backward();
      optimizer.step();
      ++state.step;
      ++step_in_epoch;
      const int64_t b = batch->images.size(0);
      const double l = loss.item<double>();
      if (!std::isfinite(l))
        throw Error(fmt::format("training diverged at epoch {} step {} (loss {}); lower --lr", epoch + 1, step_in_epoch, l));
      loss_sum += l * b;
      seen += b;
      correct += (logits.argmax(1) == batch->labels).sum().item<int64_t>();
      if (step_in_epoch % log_every == 0 && step_in_epoch < steps_per_epoch)
        spdlog::info("epoch {}/{} step {}/{} loss {:.4f} lr {:.4g} {:.0f} img/s", epoch + 1, c.epochs, step_in_epoch,
                     steps_per_epoch, loss_sum / seen, lr, seen / seconds_since(t_epoch));
    }
    const double train_seconds = seconds_since(t_epoch);
    const Metrics val = evaluate_split(model, val_split, pre, eo);
    EpochRow row{epoch + 1, lr, loss_sum / seen, static_cast<double>(correct) / seen, val, seconds_since(t_epoch)};
    rows.push_back(row);
    state.epoch = epoch + 1;
    if (val.accuracy > state.best_metric) {
      state.best_metric = val.accuracy;
      state.best_epoch = epoch + 1;
      best_val = val;
      save_checkpoint(best_path, model, optimizer, state);
    }
    save_checkpoint(last_path, model, optimizer, state);
    atomic_write_text((fs::path(c.out) / "metrics.csv").string(), metrics_csv(rows));
    spdlog::info("epoch {}/{}: train loss {:.4f} acc {:.2f}% | val loss {:.4f} acc {:.2f}% balanced {:.2f}% macro-F1 "
                 "{:.2f}% | {:.0f} img/s, {:.1f} s",
                 epoch + 1, c.epochs, row.train_loss, 100 * row.train_acc, val.loss, 100 * val.accuracy,
                 100 * val.balanced_accuracy, 100 * val.macro_f1, seen / train_seconds, row.seconds);
  }

  // The bundle carries the weights of the best validation epoch.
  load_checkpoint(best_path, model, nullptr);
  BundleInfo info;
  info.spec = model->spec();  // as built: cut, freezing and BatchNorm policy included
  info.preprocess = pre;
  for (int k = 0; k < kNumEmotions; ++k) info.class_names.push_back(emotion_name(k));
  info.extra = {{"data", c.data},
                {"label_mode", c.label_mode},
                {"epoch", state.best_epoch},
                {"val_split", c.val_split},
                {"val_accuracy", best_val.accuracy},
                {"val_balanced_accuracy", best_val.balanced_accuracy}};
  TrainSummary summary;
  summary.bundle_path = (fs::path(c.out) / "model.ferkit").string();
  save_bundle(summary.bundle_path, model, info);
  summary.epochs = c.epochs;
  summary.best_epoch = state.best_epoch;
  summary.best_val = best_val;
  summary.seconds = seconds_since(t_start);
  return summary;
}

}  // namespace ferkit
