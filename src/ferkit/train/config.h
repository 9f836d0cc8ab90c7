// The training configuration: one plain struct with working defaults. Every field has a key,
// so it can be set from a YAML file (--config) or the command line (--key value), and the
// resolved config is written to RUN/config.yaml, from which the run can be repeated.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "ferkit/data/augment.h"

namespace ferkit {

struct TrainConfig {
  // data
  std::string data;                    // data folder (required)
  std::string layout = "auto";
  std::string label_mode = "majority"; // of the training split; validation is always majority
  int image_size = 48;
  bool resize = false;
  bool skip_bad = false;
  std::string train_split = "train";
  std::string val_split = "valid";
  // model
  std::string backbone = "small_cnn";
  double width = 0.0;                  // backbone channel multiplier (0: the backbone's default)
  std::string weights = "";            // pretrained weights file
  bool allow_partial = false;
  std::string cut_after = "";          // truncate the backbone after this stage
  std::string freeze_until = "";       // freeze backbone stages up to and including this one
  std::string bn_policy = "frozen";    // frozen | train (BatchNorm of frozen stages)
  double backbone_lr_mult = 1.0;       // backbone learning rate relative to the head's
  double layer_decay = 1.0;            // each earlier stage: learning rate times this again
  std::string head = "";               // hidden sizes and dropout, e.g. "256,dropout=0.3"
  int input_size = 48;
  int channels = 1;
  std::string normalize = "none";
  // optimisation
  int epochs = 12;
  int64_t batch_size = 64;
  double lr = 0.05;
  double momentum = 0.9;
  double weight_decay = 5e-4;
  std::string schedule = "cosine";     // constant | cosine (with warm-up)
  double warmup_epochs = 1.0;
  // data loading and augmentation
  std::string sampler = "uniform";
  int workers = 2;
  AugmentConfig augment;
  // run
  uint64_t seed = 1;
  int threads = 0;                     // <= 0: all cores
  std::string out;                     // run folder (required)
};

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

// The resolved config as YAML text (readable back by apply_config_yaml).
std::string config_to_yaml(TrainConfig& config);

// Throws Error on values that cannot work (names checked against the registries).
void validate_config(const TrainConfig& config);

}  // namespace ferkit
