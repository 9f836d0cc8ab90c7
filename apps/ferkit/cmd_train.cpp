// `ferkit train`: every config key is a flag (--key value). Settings are layered: the recipe
// (--recipe, default stable), then a YAML file (--config), then the flags. --resume starts from
// the run folder's own config.yaml instead and continues from its last checkpoint.
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <map>

#include <spdlog/spdlog.h>

#include "commands.h"
#include "ferkit/dist/data_parallel_c10d.h"
#include "ferkit/dist/env.h"
#include "ferkit/report/train_and_report.h"
#include "ferkit/run/run_folder.h"
#include "ferkit/train/recipes.h"
#include "ferkit/train/train_request.h"

namespace ferkit::cli {

namespace {
// The first Ctrl-C stops training at the next step (the last checkpoint stays valid); a second
// one ends the process at once.
extern "C" void on_sigint(int) {
  if (stop_requested().exchange(true)) std::_Exit(130);
}
// Every config key as a flag (--key value, or --key for a switch), in its section of --help, with
// the default recipe's value shown; the values given are collected by key.
void add_config_key_flags(CLI::App* cmd, const std::shared_ptr<std::map<std::string, std::string>>& values) {
  TrainConfig defaults;  // shown in --help as the default recipe sets them
  apply_recipe(defaults, "stable");
  for (const auto& f : config_fields(defaults)) {
    if (f.key == "threads" || f.key == "recipe") continue;  // the global --threads; --recipe
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
}

}  // namespace

void add_train_command(CLI::App& app, GlobalOptions& global) {
  auto* cmd = app.add_subcommand("train", "train a classifier; writes a run folder (config, metrics, checkpoints, model)");
  auto config_file = std::make_shared<std::string>();
  auto values = std::make_shared<std::map<std::string, std::string>>();
  auto recipe = std::make_shared<std::string>("stable");
  auto resume = std::make_shared<bool>(false);
  cmd->add_option("--config", *config_file, "YAML file of config keys (flags given here override it)");
  std::string recipe_help = "starting settings: a recipe name (";
  for (const auto& n : recipe_names()) recipe_help += n + (n == recipe_names().back() ? "" : ", ");
  cmd->add_option("--recipe", *recipe, recipe_help + ") or a YAML file; --config and flags override it")
      ->default_str("stable");
  cmd->add_flag("--resume", *resume, "continue the run in --out from checkpoints/last.pt, with its config.yaml");
  auto overwrite = std::make_shared<bool>(false);
  cmd->add_flag("--overwrite", *overwrite, "replace the run that --out holds (without it, a folder with a run is refused)");
  auto distributed = std::make_shared<bool>(false);
  cmd->add_flag("--distributed", *distributed,
                "run as one data-parallel worker of torchrun's environment (RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT; "
                "`ferkit launch` sets it); implied when WORLD_SIZE > 1");
  add_config_key_flags(cmd, values);
  set_action(cmd, [config_file, values, recipe, resume, overwrite, distributed, &global]() {
    const DistEnv dist = dist_env_from_environment();
    FERKIT_CHECK(!*distributed || std::getenv("WORLD_SIZE"),
                 "--distributed: WORLD_SIZE is not set; start the workers with `ferkit launch --nproc N -- train ...` "
                 "or torchrun");
    TrainRequest request;
    request.recipe = *recipe;
    request.config_file = *config_file;
    request.values = *values;
    request.resume = *resume;
    request.threads = global.threads;
    const TrainConfig config = resolve_train_config(request);
    TrainOptions options;
    options.resume = *resume;
    options.overwrite = *overwrite;
    options.local_rank = dist.local_rank;
    options.connect_workers = [&dist, &config]() { return connect_workers(dist, config); };
    std::signal(SIGINT, on_sigint);
    const TrainSummary s = train_and_report(config, options);
    std::signal(SIGINT, SIG_DFL);
    if (!s.lead) return;
    spdlog::info("done in {:.1f} s: best {} accuracy {:.2f}% (balanced {:.2f}%) at epoch {} ({} weights); model {}", s.seconds,
                 config.val_split, 100 * s.best_val.accuracy, 100 * s.best_val.balanced_accuracy, s.best_epoch,
                 s.best_weights, s.bundle_path);
  });
}

FERKIT_COMMAND(40, add_train_command);

}  // namespace ferkit::cli
