#include "ferkit/train/config.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <map>
#include <sstream>

#include <c10/core/MemoryFormat.h>
#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "ferkit/data/label_mode.h"
#include "ferkit/data/sampler.h"
#include "ferkit/models/backbone.h"
#include "ferkit/models/model.h"
#include "ferkit/train/init.h"
#include "ferkit/data/preprocess.h"
#include "ferkit/train/calibration.h"
#include "ferkit/train/progressive.h"
#include "ferkit/train/schedule.h"
#include "ferkit/util/error.h"
#include "ferkit/util/registry.h"

namespace ferkit {

namespace {

std::string to_text(const std::string& v) { return v; }
std::string to_text(LabelMode v) { return label_mode_name(v); }
std::string to_text(SelectMetric v) { return select_metric_name(v); }
std::string to_text(const PosthocTau& v) { return posthoc_tau_text(v); }
std::string to_text(const SelectOn& v) { return select_on_text(v); }
std::string to_text(const DeviceSpec& v) { return device_text(v); }
std::string to_text(bool v) { return v ? "true" : "false"; }
template <typename T>
std::string to_text(T v) {
  if constexpr (std::is_floating_point_v<T>) {
    return fmt::format("{}", v);  // shortest form that reads back exactly
  } else {
    return std::to_string(v);
  }
}

void from_text(const std::string& s, std::string& v) { v = s; }
void from_text(const std::string& s, LabelMode& v) { v = parse_label_mode(s); }
void from_text(const std::string& s, SelectMetric& v) { v = parse_select_metric(s); }
void from_text(const std::string& s, PosthocTau& v) { v = parse_posthoc_tau(s); }
void from_text(const std::string& s, SelectOn& v) { v = parse_select_on(s); }
void from_text(const std::string& s, DeviceSpec& v) { v = parse_device(s); }
void from_text(const std::string& s, bool& v) {
  if (s == "true" || s == "1" || s == "yes" || s == "on") v = true;
  else if (s == "false" || s == "0" || s == "no" || s == "off") v = false;
  else throw std::invalid_argument("expected true or false");
}
template <typename T>
void from_text(const std::string& s, T& v) {
  size_t used = 0;
  if constexpr (std::is_floating_point_v<T>) {
    v = static_cast<T>(std::stod(s, &used));
  } else if constexpr (std::is_unsigned_v<T>) {
    if (!s.empty() && s[0] == '-') throw std::invalid_argument("expected a non-negative integer");
    v = static_cast<T>(std::stoull(s, &used));
  } else {
    v = static_cast<T>(std::stoll(s, &used));
  }
  if (used != s.size()) throw std::invalid_argument("trailing characters");
}

template <typename T>
ConfigField field(const char* key, const char* section, const char* help, T& ref) {
  return {key, section, help, [&ref] { return to_text(ref); }, [&ref](const std::string& s) { from_text(s, ref); },
          std::is_same_v<T, bool>};
}

std::string normalise_key(std::string key) {
  for (char& c : key)
    if (c == '-') c = '_';
  return key;
}

}  // namespace

SelectMetric parse_select_metric(const std::string& name) {
  static const std::map<std::string, SelectMetric> metrics = {{"accuracy", SelectMetric::kAccuracy},
                                                              {"balanced_accuracy", SelectMetric::kBalancedAccuracy},
                                                              {"macro_f1", SelectMetric::kMacroF1},
                                                              {"loss", SelectMetric::kLoss}};
  try {
    return registry_lookup(metrics, name, "select_metric");
  } catch (const Error& e) {
    throw std::invalid_argument(e.what());  // a config value's error: named with its key, file and line
  }
}

std::string select_metric_name(SelectMetric m) {
  switch (m) {
    case SelectMetric::kAccuracy: return "accuracy";
    case SelectMetric::kBalancedAccuracy: return "balanced_accuracy";
    case SelectMetric::kMacroF1: return "macro_f1";
    case SelectMetric::kLoss: return "loss";
  }
  return "accuracy";
}

PosthocTau parse_posthoc_tau(const std::string& text) {
  PosthocTau p;
  if (text == "none") return p;
  if (text == "auto") {
    p.mode = PosthocTau::Mode::kAuto;
    return p;
  }
  size_t used = 0;
  try {
    p.tau = std::stod(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (text.empty() || used != text.size() || !(p.tau >= 0))
    throw std::invalid_argument("posthoc_tau must be none, auto or a number >= 0");
  p.mode = PosthocTau::Mode::kFixed;
  return p;
}

std::string posthoc_tau_text(const PosthocTau& p) {
  switch (p.mode) {
    case PosthocTau::Mode::kNone: return "none";
    case PosthocTau::Mode::kAuto: return "auto";
    case PosthocTau::Mode::kFixed: return fmt::format("{}", p.tau);
  }
  return "none";
}

DeviceSpec parse_device(const std::string& text) {
  DeviceSpec d;
  if (text == "cpu") return d;
  d.cuda = true;
  if (text == "cuda") return d;
  if (text.rfind("cuda:", 0) == 0 && text.size() > 5 && text.size() < 9 &&
      text.find_first_not_of("0123456789", 5) == std::string::npos) {
    d.index = std::stoi(text.substr(5));
    return d;
  }
  throw std::invalid_argument("device must be cpu, cuda or cuda:N");
}

std::string device_text(const DeviceSpec& d) {
  if (!d.cuda) return "cpu";
  return d.index < 0 ? "cuda" : fmt::format("cuda:{}", d.index);
}

namespace {

std::vector<ConfigField> data_fields(TrainConfig& c) {
  return {
      field("data", "data", "data folder", c.data),
      field("layout", "data", "auto, ferplus, fer2013-csv, class-folders", c.layout),
      field("label_mode", "data", "training targets: majority, probability, crossentropy, multi-target", c.label_mode),
      field("image_size", "data", "side of the stored images", c.image_size),
      field("resize", "data", "resize images of another size", c.resize),
      field("skip_bad", "data", "skip bad rows and images with a warning", c.skip_bad),
      field("train_split", "data", "split to train on", c.train_split),
      field("val_split", "data", "split to validate on (majority labels)", c.val_split),
  };
}

std::vector<ConfigField> model_fields(TrainConfig& c) {
  return {
      field("backbone", "model", "backbone name", c.backbone),
      field("width", "model", "backbone channel multiplier (0: the backbone's default)", c.width),
      field("depth", "model", "blocks per stage where the backbone has the setting (small_cnn: convolutions in stages 2-4, "
                              "default 2); 0: the backbone's default", c.depth),
      field("weights", "model", "starting weights: torch.save state dict, TF.js folder, face-api (face_resnet), ferkit bundle or checkpoint", c.weights),
      field("allow_partial", "model", "load the tensors of --weights that match, ignore the rest", c.allow_partial),
      field("cut_after", "model", "truncate the backbone after this stage (see stage names in the docs)", c.cut_after),
      field("freeze_until", "model", "freeze backbone stages up to and including this one", c.freeze_until),
      field("bn_policy", "model", "BatchNorm of frozen stages: frozen (inference mode) or train (statistics update)", c.bn_policy),
      field("head", "model", "head: hidden sizes and dropout, e.g. 256,dropout=0.3", c.head),
      field("bn_momentum", "model", "BatchNorm statistics momentum, PyTorch convention (0: the architecture's; Keras MobileNetV2's is 0.001)", c.bn_momentum),
      field("input_size", "model", "model input side", c.input_size),
      field("progressive_resize", "model", "progressive resizing: the first epochs train at smaller sides, SIZE:EPOCHS in order "
                                           "(e.g. 32:4,40:4), the rest at input_size; none by default", c.progressive_resize),
      field("channels", "model", "input channels: 1 (gray) or 3 (gray replicated)", c.channels),
      field("init", "model", "initialisations in order (after --weights): dirac (3x3 convolutions start as the identity), "
                             "whiten (first convolution = patch-whitening filters of the training images); none by default", c.init),
      field("normalize", "model", "auto (what the weights expect), none, imagenet, keras, face_api", c.normalize),
  };
}

std::vector<ConfigField> optim_fields(TrainConfig& c) {
  OptimizerConfig& o = c.optim;
  return {
      field("optimizer", "optim", "sgd (Nesterov), adam, adamw", o.name),
      field("lr", "optim", "peak learning rate of the head", o.lr),
      field("momentum", "optim", "SGD momentum", o.momentum),
      field("beta1", "optim", "Adam/AdamW beta1", o.beta1),
      field("beta2", "optim", "Adam/AdamW beta2", o.beta2),
      field("weight_decay", "optim", "weight decay (not on BatchNorm and biases); decoupled with adamw", o.weight_decay),
      field("backbone_lr_mult", "optim", "backbone learning rate as a multiple of the head's (-1: 0.1 with --weights, else 1)", o.backbone_lr_mult),
      field("layer_decay", "optim", "each earlier backbone stage gets this factor more", o.layer_decay),
      field("norm_bias_lr_mult", "optim", "BatchNorm biases learn at this multiple of their stage's rate (airbench: a larger rate)", o.norm_bias_lr_mult),
      field("epochs", "optim", "training epochs", c.epochs),
      field("batch_size", "optim", "images per batch", c.batch_size),
      field("schedule", "optim", "learning-rate schedule: constant, step, cosine, onecycle, plateau", c.schedule),
      field("warmup_epochs", "optim", "linear warm-up length in epochs (not onecycle)", c.warmup_epochs),
      field("final_lr_ratio", "optim", "cosine: final learning rate as a fraction of the peak", c.final_lr_ratio),
      field("step_epochs", "optim", "step: decay every this many epochs", c.step_epochs),
      field("step_gamma", "optim", "step, plateau: decay factor", c.step_gamma),
      field("onecycle_pct", "optim", "onecycle: fraction of the run spent rising", c.onecycle_pct),
      field("plateau_patience", "optim", "plateau: epochs without improvement before a decay", c.plateau_patience),
      field("clip_grad", "optim", "clip the gradient norm to this (0: off)", c.clip_grad),
      field("accum_steps", "optim", "batches accumulated per optimizer step", c.accum_steps),
      field("head_epochs", "optim", "train only the head for this many epochs, then unfreeze with a fresh warm-up", c.head_epochs),
  };
}

std::vector<ConfigField> loss_fields(TrainConfig& c) {
  LossConfig& l = c.loss;
  return {
      field("loss", "loss", "ce, weighted_ce, focal, cb, balanced_softmax, logit_adjusted, ldam", l.name),
      field("label_smoothing", "loss", "label smoothing epsilon", l.label_smoothing),
      field("focal_gamma", "loss", "focal: gamma", l.focal_gamma),
      field("cb_beta", "loss", "cb and drw: beta of the effective number of samples", l.cb_beta),
      field("la_tau", "loss", "logit_adjusted: tau", l.la_tau),
      field("ldam_margin", "loss", "ldam: margin of the rarest class", l.ldam_margin),
      field("ldam_scale", "loss", "ldam: logit scale", l.ldam_scale),
      field("drw_epoch", "loss", "deferred re-weighting (class-balanced) from this epoch (0: off)", l.drw_epoch),
      field("teacher", "loss", "distillation: trained runs, bundles or shipped models (comma-separated) whose soft targets are mixed in", c.distill.teachers),
      field("teacher_weight", "loss", "distillation: the teachers' share of the targets", c.distill.weight),
      field("teacher_temperature", "loss", "distillation: temperature of the teachers' probabilities", c.distill.temperature),
      field("posthoc_tau", "loss", "post-hoc logit adjustment: none, auto (chosen on the selection split, --select-on) or a number", c.posthoc_tau),
      field("calibrate", "loss", "calibrate the probabilities on the selection split (--select-on): temperature (one T "
                                 "divides the logits; predictions unchanged) or none", c.calibrate),
      field("posthoc_max_acc_drop", "loss", "posthoc_tau auto: largest accuracy loss allowed (fraction, e.g. 0.01)", c.posthoc_max_acc_drop),
  };
}

std::vector<ConfigField> stabilise_fields(TrainConfig& c) {
  return {
      field("ema_decay", "stabilise", "EMA of weights, evaluated beside the raw weights (0: off)", c.ema_decay),
      field("lookahead_steps", "stabilise", "Lookahead: every this many steps the slow weights move towards the trained ones, "
                                            "which restart from them; also at each epoch's end (0: off)", c.lookahead_steps),
      field("lookahead_alpha", "stabilise", "Lookahead: the fraction of the way the slow weights move", c.lookahead_alpha),
      field("swa_epochs", "stabilise", "SWA over the last this many epochs (0: off)", c.swa_epochs),
      field("mix_off_epoch", "stabilise", "mixup/cutmix off from this epoch (0: never)", c.mix_off_epoch),
      field("early_stop", "stabilise", "stop after this many epochs without improvement of the smoothed metric (0: off)", c.early_stop),
      field("early_stop_smoothing", "stabilise", "early stopping: weight of the history in the smoothed metric", c.early_stop_smoothing),
      field("select_metric", "stabilise", "best checkpoint by: accuracy, balanced_accuracy, macro_f1, loss", c.select_metric),
      field("select_on", "stabilise", "where the epoch, posthoc_tau and calibration are chosen: valid, holdout:FRACTION (a share "
                                      "of the training split picked by a hash of the pixels; the validation figures stay unbiased), "
                                      "or last (nothing chosen: the last epoch, EMA weights when on; no auto tau, calibration, "
                                      "early stop or plateau schedule)",
            c.select_on),
  };
}

std::vector<ConfigField> loader_fields(TrainConfig& c) {
  return {
      field("sampler", "loader", "uniform, class-balanced, sqrt", c.sampler),
      field("workers", "loader", "batch-making threads", c.workers),
  };
}

std::vector<ConfigField> augment_fields(TrainConfig& c) {
  AugmentConfig& a = c.augment;
  return {
      field("augment", "augment", "augmentations in order: flip, crop, affine, color, gamma, blur, lowres, jpeg, erase (or none)", a.ops),
      field("flip_p", "augment", "probability of a horizontal flip", a.flip_p),
      field("crop_area_min", "augment", "random resized crop: smallest area fraction", a.crop_area_min),
      field("crop_ratio_max", "augment", "random resized crop: largest aspect ratio", a.crop_ratio_max),
      field("shift", "augment", "affine: largest shift, fraction of the side", a.shift),
      field("rotate_deg", "augment", "affine: largest rotation in degrees", a.rotate_deg),
      field("scale", "augment", "affine: largest zoom change", a.scale),
      field("brightness", "augment", "color: largest brightness change", a.brightness),
      field("contrast", "augment", "color: largest contrast change", a.contrast),
      field("erase_p", "augment", "probability of random erasing", a.erase_p),
      field("erase_area_max", "augment", "largest erased area fraction", a.erase_area_max),
      field("gamma", "augment", "gamma: exponent drawn from [1/gamma, gamma]", a.gamma),
      field("blur_p", "augment", "blur: probability of a Gaussian blur", a.blur_p),
      field("blur_sigma", "augment", "blur: largest sigma, pixels of a 48-pixel face", a.blur_sigma),
      field("lowres_p", "augment", "lowres: probability of a round trip through a smaller side", a.lowres_p),
      field("lowres_factor", "augment", "lowres: largest shrink factor", a.lowres_factor),
      field("jpeg_p", "augment", "jpeg: probability of a JPEG round trip", a.jpeg_p),
      field("jpeg_quality_min", "augment", "jpeg: lowest quality (up to 95)", a.jpeg_quality_min),
      field("mixup_alpha", "augment", "mixup Beta alpha (0: off)", a.mixup_alpha),
      field("cutmix_alpha", "augment", "cutmix Beta alpha (0: off)", a.cutmix_alpha),
      field("mix_p", "augment", "probability that a batch is mixed", a.mix_p),
  };
}

std::vector<ConfigField> run_fields(TrainConfig& c) {
  return {
      field("seed", "run", "random seed", c.seed),
      field("threads", "run", "compute threads (0: all cores)", c.threads),
      field("device", "run", "cpu, cuda or cuda:N (needs a CUDA LibTorch; with several workers cuda is cuda:LOCAL_RANK)", c.device),
      field("dist_backend", "run", "data-parallel runs: auto (gloo on cpu, nccl on cuda), gloo, nccl", c.dist_backend),
      field("memory_format", "run", "tensor layout of training: contiguous (NCHW) or channels_last (NHWC: oneDNN's "
                                    "convolutions without reorders; `ferkit_bench step memory-format` measures the ratio)", c.memory_format),
      field("dist_timeout", "run", "data-parallel runs: seconds to wait for the other workers before failing", c.dist_timeout),
      field("out", "run", "run folder", c.out),
      field("recipe", "run", "the recipe this config started from (set by --recipe)", c.recipe),
  };
}

}  // namespace

// The field table, section by section (the order of config.yaml and of `ferkit train --help`).
std::vector<ConfigField> config_fields(TrainConfig& c) {
  std::vector<ConfigField> all;
  for (auto* section : {&data_fields, &model_fields, &optim_fields, &loss_fields, &stabilise_fields, &loader_fields, &augment_fields, &run_fields})
    for (auto& f : (*section)(c)) all.push_back(std::move(f));
  return all;
}

double effective_backbone_lr_mult(const TrainConfig& c) {
  if (c.optim.backbone_lr_mult >= 0) return c.optim.backbone_lr_mult;
  return c.weights.empty() ? 1.0 : 0.1;
}

std::string effective_normalize(const TrainConfig& c) {
  if (c.normalize != "auto") return c.normalize;
  if (c.weights.empty()) return "none";
  return backbone_defaults(c.backbone).pretrained_normalize;
}

void set_config_value(TrainConfig& config, const std::string& key, const std::string& value, const std::string& where) {
  const std::string k = normalise_key(key);
  config.origin.erase(k);  // a later value (the command line over the file) is its own origin
  for (auto& f : config_fields(config)) {
    if (f.key != k) continue;
    try {
      f.set(value);
    } catch (const std::exception& e) {
      throw Error(where + ": bad value '" + value + "' for " + k + " (" + e.what() + ")");
    }
    return;
  }
  throw Error(where + ": unknown config key '" + key + "' (see `ferkit train --help` for the keys)");
}

void apply_config_yaml(TrainConfig& config, const std::string& path) {
  std::ifstream in(path);
  if (!in) throw Error(path + ": cannot open config file");
  std::stringstream text;
  text << in.rdbuf();
  apply_config_yaml_text(config, text.str(), path);
}

namespace {
// The offset of the first byte that YAML text cannot hold (a control character other than tab,
// LF, CR; a malformed UTF-8 sequence), or npos.
size_t first_non_yaml_byte(const std::string& text) {
  for (size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f) return i;
      ++i;
      continue;
    }
    const int n = c >= 0xc2 && c <= 0xdf ? 1 : c >= 0xe0 && c <= 0xef ? 2 : c >= 0xf0 && c <= 0xf4 ? 3 : -1;
    if (n < 0 || i + n >= text.size()) return i;
    for (int k = 1; k <= n; ++k)
      if ((static_cast<unsigned char>(text[i + k]) & 0xc0) != 0x80) return i;
    i += n + 1;
  }
  return std::string::npos;
}
}  // namespace

// yaml-cpp 0.7 loops forever on some documents ("," alone, "&r:,": found by fuzz/). A config
// file is flat "key: value" lines, so anything else is refused, with its line, before yaml-cpp
// sees it: lines that are not a key and a colon (comments, blank lines and document markers
// aside), and values that start YAML's anchors, aliases, tags, block scalars or flow collections.
static void check_flat_yaml_lines(const std::string& text, const std::string& path) {
  long line = 0;
  for (size_t start = 0; start <= text.size(); ) {
    ++line;
    const size_t end = std::min(text.find('\n', start), text.size());
    std::string l = text.substr(start, end - start);
    start = end + 1;
    if (line == 1 && l.rfind("\xef\xbb\xbf", 0) == 0) l = l.substr(3);  // a UTF-8 byte-order mark
    if (!l.empty() && l.back() == '\r') l.pop_back();
    const size_t first = l.find_first_not_of(" \t");
    if (first == std::string::npos || l[first] == '#' || l == "---" || l == "...") continue;
    size_t k = first;
    while (k < l.size() && (std::isalnum(static_cast<unsigned char>(l[k])) || l[k] == '_' || l[k] == '-' || l[k] == '.')) ++k;
    const size_t colon = l.find_first_not_of(" \t", k);
    if (first != 0 || k == first || colon == std::string::npos || l[colon] != ':' ||
        (colon + 1 < l.size() && l[colon + 1] != ' ' && l[colon + 1] != '\t'))
      throw InputError(path, line, "not a 'key: value' line (a config file is flat key: value lines, YAML)");
    const size_t value = l.find_first_not_of(" \t", colon + 1);
    if (value != std::string::npos && std::string("&*!|>[{@`%,").find(l[value]) != std::string::npos)
      throw InputError(path, line, fmt::format("the value of '{}' starts with '{}': YAML anchors, aliases, tags, block "
                                                "scalars and flow collections are not read in a config file", l.substr(0, k), l[value]));
  }
}

void apply_config_yaml_text(TrainConfig& config, const std::string& text, const std::string& path) {
  // yaml-cpp 0.7 loops forever on some inputs with control characters (a NUL, a \x03) or bytes
  // that are not UTF-8 (found by fuzz/); YAML is UTF-8 text with no control characters but tab,
  // line feed and carriage return.
  if (const size_t bad = first_non_yaml_byte(text); bad != std::string::npos)
    throw InputError(path, 1 + static_cast<long>(std::count(text.begin(), text.begin() + bad, '\n')),
                     fmt::format("byte 0x{:02x} is {}: a config file is UTF-8 text (YAML)", static_cast<unsigned char>(text[bad]),
                                 static_cast<unsigned char>(text[bad]) < 0x80 ? "a control character" : "not UTF-8"));
  check_flat_yaml_lines(text, path);
  std::vector<YAML::Node> documents;
  try {
    documents = YAML::LoadAll(text);
  } catch (const YAML::Exception& e) {
    throw InputError(path, e.mark.line + 1, "YAML syntax error: " + e.msg);
  }
  if (documents.size() > 1)
    throw InputError(path, documents[1].Mark().line + 1, "a second YAML document: a config file is one mapping of key: value");
  const YAML::Node root = documents.empty() ? YAML::Node() : documents[0];
  if (root.IsNull()) return;
  if (!root.IsMap()) throw InputError(path, 1, "a config file must be a mapping of key: value");
  std::map<std::string, long> seen;  // key -> line: a key given twice is a mistake, not "the last wins"
  for (const auto& kv : root) {
    const long line = kv.first.Mark().line + 1;
    const std::string key = kv.first.as<std::string>();
    const auto [first, fresh] = seen.emplace(normalise_key(key), line);
    if (!fresh) throw InputError(path, line, "'" + key + "' is given twice (first on line " + std::to_string(first->second) + ")");
    if (!kv.second.IsScalar()) throw InputError(path, line, "value of '" + key + "' must be a single value");
    set_config_value(config, key, kv.second.as<std::string>(), path + ":" + std::to_string(line));
    config.origin[normalise_key(key)] = path + ":" + std::to_string(line);
  }
}

std::string config_to_yaml(TrainConfig& config) {
  std::string out = "# ferkit training config (resolved). Repeat the run with: ferkit train --config THIS_FILE\n";
  std::string section;
  for (const auto& f : config_fields(config)) {
    if (f.section != section) {
      section = f.section;
      out += "\n# " + section + "\n";
    }
    YAML::Emitter e;
    e << YAML::BeginMap << YAML::Key << f.key << YAML::Value << f.get() << YAML::EndMap;
    out += fmt::format("{:<40} # {}\n", e.c_str(), f.help);
  }
  return out;
}

namespace {

void check_config_values(const TrainConfig& c) {
  FERKIT_CHECK(!c.data.empty(), "no data folder: pass --data DIR");
  FERKIT_CHECK(!c.out.empty(), "no run folder: pass --out RUN");
  FERKIT_CHECK(c.epochs >= 1, "epochs must be >= 1");
  FERKIT_CHECK(c.batch_size >= 1, "batch_size must be >= 1");
  OptimizerConfig o = c.optim;
  o.backbone_lr_mult = effective_backbone_lr_mult(c);
  validate_optimizer(o);
  schedule_named(c.schedule);  // throws, listing the known schedules
  FERKIT_CHECK(c.warmup_epochs >= 0, "warmup_epochs must be >= 0");
  FERKIT_CHECK(c.step_epochs > 0 && c.step_gamma > 0 && c.step_gamma <= 1, "step_epochs must be > 0 and step_gamma in (0, 1]");
  FERKIT_CHECK(c.onecycle_pct > 0 && c.onecycle_pct < 1, "onecycle_pct must be in (0, 1)");
  FERKIT_CHECK(c.plateau_patience >= 0, "plateau_patience must be >= 0");
  FERKIT_CHECK(c.clip_grad >= 0, "clip_grad must be >= 0");
  FERKIT_CHECK(c.accum_steps >= 1, "accum_steps must be >= 1");
  FERKIT_CHECK(c.head_epochs >= 0 && c.head_epochs < c.epochs, "head_epochs must be in [0, epochs)");
  validate_loss(c.loss);
  FERKIT_CHECK(c.distill.weight >= 0 && c.distill.weight <= 1, "teacher_weight must be in [0, 1]");
  FERKIT_CHECK(c.distill.temperature > 0, "teacher_temperature must be > 0");
  FERKIT_CHECK(c.posthoc_max_acc_drop >= 0 && c.posthoc_max_acc_drop <= 1, "posthoc_max_acc_drop must be in [0, 1]");
  parse_calibration(c.calibrate);  // Error listing the known names
  FERKIT_CHECK(c.ema_decay >= 0 && c.ema_decay < 1, "ema_decay must be in [0, 1)");
  FERKIT_CHECK(c.swa_epochs >= 0 && c.swa_epochs <= c.epochs, "swa_epochs must be in [0, epochs]");
  FERKIT_CHECK(c.mix_off_epoch >= 0 && c.early_stop >= 0, "mix_off_epoch and early_stop must be >= 0");
  FERKIT_CHECK(c.early_stop_smoothing >= 0 && c.early_stop_smoothing < 1, "early_stop_smoothing must be in [0, 1)");
  if (c.select_on.last) {  // each of these chooses on a split, and last has none
    const std::string held = "; to choose on a held-back share instead: select_on holdout:0.1";
    FERKIT_CHECK(c.posthoc_tau.mode != PosthocTau::Mode::kAuto,
                 "select_on last chooses nothing: posthoc_tau auto has no split to be chosen on (give a number or none" + held + ")");
    FERKIT_CHECK(parse_calibration(c.calibrate) == Calibration::kNone,
                 "select_on last chooses nothing: calibrate temperature has no split to be fitted on (--calibrate none" + held + ")");
    FERKIT_CHECK(c.early_stop == 0, "select_on last chooses nothing: early_stop watches a split (early_stop 0" + held + ")");
    FERKIT_CHECK(!schedule_named(c.schedule).decays_on_plateau,
                 "select_on last chooses nothing: schedule plateau watches a split (another schedule" + held + ")");
  }
  const auto samplers = sampler_names();
  FERKIT_CHECK(std::find(samplers.begin(), samplers.end(), c.sampler) != samplers.end(),
               "unknown sampler '" + c.sampler + "'");
  const auto backbones = backbone_names();
  FERKIT_CHECK(std::find(backbones.begin(), backbones.end(), c.backbone) != backbones.end(),
               "unknown backbone '" + c.backbone + "'");
  parse_head_spec(c.head);
  bn_policy_keeps_statistics(c.bn_policy);  // Error listing the policies
  FERKIT_CHECK(c.bn_momentum >= 0 && c.bn_momentum <= 1, "bn_momentum must be in [0, 1]");
  if (c.normalize != "auto") normalization(c.normalize);  // Error listing the known names
  {
    const int min_input = backbone_min_input(c.backbone, c.cut_after);
    FERKIT_CHECK(c.input_size >= min_input, "backbone " + c.backbone + (c.cut_after.empty() ? "" : " cut after " + c.cut_after) +
                                                " needs input_size >= " + std::to_string(min_input) + ", got " +
                                                std::to_string(c.input_size) + " (a smaller input needs an earlier cut_after)");
  }
  validate_augment(c.augment);
  validate_init(c.init);
  try {
    validate_progressive_resize(parse_progressive_resize(c.progressive_resize), c.input_size, c.epochs,
                                backbone_min_input(c.backbone, c.cut_after));
  } catch (const std::invalid_argument& e) {
    throw Error(std::string("progressive_resize: ") + e.what());
  }
  FERKIT_CHECK(c.lookahead_steps >= 0, "lookahead_steps must be >= 0");
  FERKIT_CHECK(c.lookahead_alpha > 0 && c.lookahead_alpha <= 1, "lookahead_alpha must be in (0, 1]");
  dist_backend_for(c);  // a known name
  parse_memory_format(c.memory_format);
  FERKIT_CHECK(c.dist_timeout > 0, "dist_timeout must be > 0 seconds");
}

}  // namespace

// A value from a YAML file that fails validation is named with its file and line: the message
// names the key (as a whole word), and the key's origin says where it was set.
void validate_config(const TrainConfig& c) {
  try {
    check_config_values(c);
  } catch (const Error& e) {
    const std::string m = e.what();
    auto is_word = [&](char ch) { return std::isalnum(static_cast<unsigned char>(ch)) || ch == '_'; };
    size_t best = std::string::npos;
    std::string where;
    for (const auto& [key, at] : c.origin) {
      for (size_t p = m.find(key); p != std::string::npos; p = m.find(key, p + 1)) {
        const bool whole = (p == 0 || !is_word(m[p - 1])) && (p + key.size() == m.size() || !is_word(m[p + key.size()]));
        if (whole && p < best) best = p, where = at;
        if (whole) break;
      }
    }
    if (where.empty()) throw;
    throw Error(where + ": " + m);
  }
}

const std::map<std::string, std::string>& dist_backend_choices() {
  // The backends of dist/communicator.h by name (tests/dist check the two agree), and auto.
  static const std::map<std::string, std::string> names = {
      {"auto", "gloo on cpu, nccl on cuda"}, {"gloo", "Gloo (CPU tensors)"}, {"nccl", "NCCL (CUDA tensors)"}};
  return names;
}

std::string dist_backend_for(const TrainConfig& c) {
  registry_lookup(dist_backend_choices(), c.dist_backend, "dist_backend");
  if (c.dist_backend != "auto") return c.dist_backend;
  return c.device.cuda ? "nccl" : "gloo";
}

c10::MemoryFormat parse_memory_format(const std::string& name) {
  static const std::map<std::string, c10::MemoryFormat> formats = {{"contiguous", c10::MemoryFormat::Contiguous},
                                                                   {"channels_last", c10::MemoryFormat::ChannelsLast}};
  return registry_lookup(formats, name, "memory_format");
}

}  // namespace ferkit
