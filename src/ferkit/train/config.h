// The training configuration: one plain struct with working defaults. Every field has a key,
// so it can be set from a YAML file (--config) or the command line (--key value), and the
// resolved config is written to RUN/config.yaml, from which the run can be repeated.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "ferkit/data/augment.h"
#include "ferkit/data/holdout.h"
#include "ferkit/data/label_mode.h"
#include "ferkit/train/distill_config.h"
#include "ferkit/train/loss.h"

namespace c10 {
enum class MemoryFormat : int8_t;  // c10/core/MemoryFormat.h
}  // namespace c10

namespace ferkit {

// Typed options: parsed once where the config is set (a bad value is an error naming the key
// there), written back as the same words to config.yaml.

// The metric that picks the best checkpoint and drives early stopping and plateau decay.
enum class SelectMetric { kAccuracy, kBalancedAccuracy, kMacroF1, kLoss };
SelectMetric parse_select_metric(const std::string& name);  // throws std::invalid_argument
std::string select_metric_name(SelectMetric metric);

// Post-hoc logit adjustment: none, auto (tau chosen on the selection split, select_on) or a fixed tau >= 0.
struct PosthocTau {
  enum class Mode { kNone, kAuto, kFixed } mode = Mode::kNone;
  double tau = 0.0;  // kFixed
  bool enabled() const { return mode != Mode::kNone; }
};
PosthocTau parse_posthoc_tau(const std::string& text);  // throws std::invalid_argument
std::string posthoc_tau_text(const PosthocTau& p);

// Where training runs: the CPU, or a CUDA device (index -1: cuda:LOCAL_RANK of the worker).
struct DeviceSpec {
  bool cuda = false;
  int index = -1;
};
DeviceSpec parse_device(const std::string& text);  // throws std::invalid_argument
std::string device_text(const DeviceSpec& d);

// Optimizer settings (train/optimizer.h builds the optimizer from them).
struct OptimizerConfig {
  std::string name = "sgd";     // sgd (Nesterov momentum) | adam | adamw
  double lr = 0.05;             // the head's peak learning rate
  double momentum = 0.9;        // sgd
  double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;  // adam, adamw
  double weight_decay = 5e-4;   // L2 for sgd and adam; decoupled for adamw
  double backbone_lr_mult = -1.0; // the last backbone stage's learning rate relative to the head's
                                  // (< 0: auto, 0.1 with --weights, 1 without)
  double layer_decay = 1.0;       // each earlier stage: times this again
  double norm_bias_lr_mult = 1.0; // BatchNorm biases: their group's rate times this (airbench: larger)
};

std::vector<std::string> optimizer_names();
void validate_optimizer(const OptimizerConfig& config);  // throws Error on a bad name or value

struct TrainConfig {
  // data
  std::string data;                    // data folder (required)
  std::string layout = "auto";
  LabelMode label_mode = LabelMode::kMajority;  // of the training split; validation is always majority
  int image_size = 48;
  bool resize = false;
  bool skip_bad = false;
  std::string train_split = "train";
  std::string val_split = "valid";
  // model
  std::string backbone = "small_cnn";
  double width = 0.0;                  // backbone channel multiplier (0: the backbone's default)
  int depth = 0;                       // blocks per stage (small_cnn: convolutions in stages 2-4; 0: the default)
  std::string weights = "";            // pretrained weights file
  bool allow_partial = false;
  std::string cut_after = "";          // truncate the backbone after this stage
  std::string freeze_until = "";       // freeze backbone stages up to and including this one
  std::string bn_policy = "frozen";    // frozen | train (BatchNorm of frozen stages)
  std::string head = "";               // hidden sizes and dropout, e.g. "256,dropout=0.3"
  double bn_momentum = 0.0;            // BatchNorm running-statistics momentum, PyTorch convention (0: the architecture's own)
  std::string init = "";               // initialisations by name, in order (train/init.h): dirac, whiten
  int input_size = 48;
  std::string progressive_resize = "";  // smaller training sides first, "SIZE:EPOCHS,..." (train/progressive.h)
  int channels = 1;
  std::string normalize = "auto";      // auto: what --weights expect (keras, imagenet), else none
  // optimisation
  OptimizerConfig optim;               // optimizer, lr, momentum, betas, weight decay, lr multipliers
  int epochs = 12;
  int64_t batch_size = 64;
  std::string schedule = "cosine";     // constant | step | cosine | onecycle | plateau
  double warmup_epochs = 1.0;
  double final_lr_ratio = 0.0;         // cosine: last lr as a fraction of the peak
  double step_epochs = 4.0;            // step: decay every this many epochs
  double step_gamma = 0.1;             // step and plateau: the decay factor
  double onecycle_pct = 0.3;           // onecycle: fraction of the run spent rising
  int plateau_patience = 2;            // plateau: epochs without improvement before a decay
  double clip_grad = 0.0;              // max gradient norm (0: off)
  int accum_steps = 1;                 // batches per optimizer step
  int head_epochs = 0;                 // train only the head for this many epochs first
  // loss
  LossConfig loss;
  PosthocTau posthoc_tau;              // post-hoc logit adjustment: none, auto (chosen on the selection split) or a number
  DistillConfig distill;               // --teacher: soft targets from trained bundles (train/distill.h)
  double posthoc_max_acc_drop = 0.01;  // auto: the best balanced accuracy among taus that lose at most this accuracy
  std::string calibrate = "temperature";  // probabilities calibrated on the selection split: temperature | none
  // stabilisers
  double ema_decay = 0.0;              // EMA of weights (0: off), e.g. 0.999
  int lookahead_steps = 0;             // Lookahead: slow weights synced every this many steps (0: off)
  double lookahead_alpha = 0.5;        // Lookahead: how far the slow weights move towards the fast ones
  int swa_epochs = 0;                  // SWA over the last this many epochs (0: off)
  int mix_off_epoch = 0;               // mixup/cutmix stop from this epoch on (0: never)
  int early_stop = 0;                  // stop after this many epochs without improvement (0: off)
  double early_stop_smoothing = 0.5;   // weight of the history in the smoothed metric
  SelectMetric select_metric = SelectMetric::kAccuracy;  // best checkpoint by: accuracy, balanced_accuracy, macro_f1, loss
  SelectOn select_on;                  // where the epoch, tau and calibration are chosen: valid | holdout:FRACTION | last
  // data loading and augmentation
  std::string sampler = "uniform";
  int workers = 2;
  AugmentConfig augment;
  // run
  uint64_t seed = 1;
  int threads = 0;                     // <= 0: all cores
  DeviceSpec device;                   // cpu | cuda | cuda:N (a CUDA LibTorch; with workers, cuda means cuda:LOCAL_RANK)
  std::string dist_backend = "auto";   // data-parallel runs: auto (gloo on cpu, nccl on cuda) | gloo | nccl
  std::string memory_format = "contiguous";  // training tensors: contiguous (NCHW) | channels_last (NHWC)
  double dist_timeout = 300;           // seconds a worker waits for the others before failing
  std::string out;                     // run folder (required)
  std::string recipe = "";             // the recipe the run started from (informational)
  // Where each key read from a YAML file was set ("FILE:LINE"): validation errors name it.
  std::map<std::string, std::string> origin;
};

// The backbone learning-rate multiplier in effect: backbone_lr_mult < 0 means 0.1 when training
// from pretrained weights (fine-tuning) and 1 otherwise.
double effective_backbone_lr_mult(const TrainConfig& config);
// The normalisation in effect: "auto" is what the backbone's pretrained weights expect (its
// registry entry: keras for keras_mobilenet_v2, imagenet for the others) with --weights, none without.
std::string effective_normalize(const TrainConfig& config);

// One settable key of TrainConfig.
struct ConfigField {
  std::string key;      // snake_case, as in config.yaml; the CLI flag is --key with dashes
  std::string section;  // for the written file
  std::string help;
  std::function<std::string()> get;
  std::function<void(const std::string&)> set;  // throws std::invalid_argument on a bad value
  bool is_flag = false;                          // a bool: `--key` alone sets it (`--key=false` clears)
};

// The fields of `config`, bound to it.
std::vector<ConfigField> config_fields(TrainConfig& config);

// Sets one key; throws Error naming the key and the bad value (and `where`, e.g. file:line).
void set_config_value(TrainConfig& config, const std::string& key, const std::string& value, const std::string& where);

// Reads a YAML mapping of key: value into config; unknown keys and bad values are errors naming
// the file and line.
void apply_config_yaml(TrainConfig& config, const std::string& path);
// The same from YAML text; `source` names it in errors.
void apply_config_yaml_text(TrainConfig& config, const std::string& text, const std::string& source);

// The resolved config as YAML text (readable back by apply_config_yaml).
std::string config_to_yaml(TrainConfig& config);

// Throws Error on values that cannot work (names checked against the registries).
void validate_config(const TrainConfig& config);

// The data-parallel backend names (dist_backend): auto and the backends of dist/communicator.h,
// each with its description; and the backend a config runs on (auto resolved by its device).
const std::map<std::string, std::string>& dist_backend_choices();
std::string dist_backend_for(const TrainConfig& config);  // throws Error for an unknown name

// The tensor layout training runs in, by name (memory_format: contiguous, channels_last);
// throws Error naming the known ones.
c10::MemoryFormat parse_memory_format(const std::string& name);

}  // namespace ferkit
