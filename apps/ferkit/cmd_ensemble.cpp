// `ferkit ensemble RUN... --out BUNDLE [--data DIR]`: trained models as one bundle that averages
// their class probabilities; predict, serve, export, eval and --teacher take it as one model.
#include <filesystem>

#include <spdlog/spdlog.h>

#include <fmt/format.h>

#include "commands.h"
#include "ferkit/api/evaluate_model.h"
#include "ferkit/models/ensemble.h"
#include "ferkit/run/run_folder.h"
#include "ferkit/util/error.h"

namespace ferkit::cli {

void add_ensemble_command(CLI::App& app, GlobalOptions& global) {
  struct Args {
    std::vector<std::string> models;
    std::string out, data, split = "valid";
    LoadOptions load;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = app.add_subcommand("ensemble", "combine trained models into one bundle that averages their class probabilities");
  cmd->add_option("models", args->models, "two or more run folders, bundles or shipped model names, all taking the same input")
      ->required();
  cmd->add_option("--out", args->out, "the bundle to write (e.g. ensemble.ferkit)")->required();
  cmd->add_option("--data", args->data,
                  "data folder: score the ensemble on --split and keep the figures in the bundle (as a trained run's bundle does)");
  cmd->add_option("--split", args->split, "split that --data is scored on")->capture_default_str();
  add_load_flags(*cmd, args->load);
  set_action(cmd, [args, cmd, &global]() {
    std::vector<EnsembleMember> members;
    for (const auto& m : args->models) members.push_back({m, bundle_path_of(m)});
    LoadedBundle ensemble = make_ensemble(members);
    if (!args->data.empty()) {
      // Scored through the one evaluation `ferkit eval` runs, from a scratch copy: --out is
      // written once, whole, with its figures, or not at all.
      const std::string scratch = args->out + ".unscored";
      save_bundle(scratch, ensemble.model, ensemble.info);
      EvaluateOptions o;
      o.split = args->split;
      apply_load_flags(o, args->load, *cmd, global.threads);
      EvalResult r;
      try {
        r = evaluate_model(scratch, args->data, o);
      } catch (...) {
        std::filesystem::remove(scratch);
        throw;
      }
      std::filesystem::remove(scratch);
      ensemble.info.extra["val_split"] = args->split;
      ensemble.info.extra["val_accuracy"] = r.metrics.accuracy;
      ensemble.info.extra["val_balanced_accuracy"] = r.metrics.balanced_accuracy;
      spdlog::info("{} {}: accuracy {:.2f}%, balanced accuracy {:.2f}%", args->data, args->split, 100 * r.metrics.accuracy,
                   100 * r.metrics.balanced_accuracy);
    }
    save_bundle(args->out, ensemble.model, ensemble.info);
    spdlog::info("wrote {}: an ensemble of {} models", args->out, members.size());
  });
}

}  // namespace ferkit::cli
