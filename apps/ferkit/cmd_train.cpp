// `ferkit train`: every config key is a flag (--key value); a YAML file (--config) sets many at
// once; flags override the file.
#include <map>

#include <spdlog/spdlog.h>

#include "commands.h"
#include "ferkit/train/trainer.h"

namespace ferkit::cli {

void add_train_command(CLI::App& app, GlobalOptions& global) {
  auto* cmd = app.add_subcommand("train", "train a classifier; writes a run folder (config, metrics, checkpoints, model)");
  auto config_file = std::make_shared<std::string>();
  auto values = std::make_shared<std::map<std::string, std::string>>();
  cmd->add_option("--config", *config_file, "YAML file of config keys (flags given here override it)");
  TrainConfig defaults;
  for (const auto& f : config_fields(defaults)) {
    if (f.key == "threads") continue;  // the global --threads
    std::string flag = "--" + f.key;
    for (char& ch : flag)
      if (ch == '_') ch = '-';
    CLI::Option* opt;
    if (f.is_flag) {
      opt = cmd->add_flag_function(
          flag, [values, key = f.key](std::int64_t count) { (*values)[key] = count > 0 ? "true" : "false"; }, f.help);
    } else {
      opt = cmd->add_option_function<std::string>(
          flag, [values, key = f.key](const std::string& v) { (*values)[key] = v; }, f.help);
    }
    opt->default_str(f.get());
    opt->group(f.section);
  }
  set_action(cmd, [config_file, values, &global]() {
    TrainConfig config;
    if (!config_file->empty()) apply_config_yaml(config, *config_file);
    for (const auto& [key, value] : *values) set_config_value(config, key, value, "--" + key);
    if (global.threads > 0) config.threads = global.threads;
    const TrainSummary s = run_training(config);
    spdlog::info("done in {:.1f} s: best {} accuracy {:.2f}% (balanced {:.2f}%) at epoch {}; model {}", s.seconds,
                 config.val_split, 100 * s.best_val.accuracy, 100 * s.best_val.balanced_accuracy, s.best_epoch,
                 s.bundle_path);
  });
}

}  // namespace ferkit::cli
