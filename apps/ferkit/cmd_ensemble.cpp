// `ferkit ensemble RUN... --out BUNDLE [--data DIR]`: trained models as one bundle that averages
// their class probabilities; predict, serve, export, eval and --teacher take it as one model.
#include <filesystem>

#include <spdlog/spdlog.h>

#include <fmt/format.h>

#include "commands.h"
#include "ferkit/api/evaluate_model.h"
#include "ferkit/data/label_mode.h"
#include "ferkit/eval/evaluator.h"
#include "ferkit/models/ensemble.h"
#include "ferkit/run/run_folder.h"
#include "ferkit/train/config.h"
#include "ferkit/train/loss.h"
#include "ferkit/train/posthoc.h"
#include "ferkit/util/error.h"
#include "ferkit/util/fs.h"

namespace ferkit::cli {
namespace {

// --posthoc-tau for an ensemble: its own logit adjustment, -tau * log(training prior), chosen on
// --split as a training run chooses its own (train/posthoc.h). Returns tau.
double adjust_ensemble(LoadedBundle& ensemble, const std::string& data, const std::string& split, const PosthocTau& p,
                       double max_acc_drop, LoadOptions load, int threads) {
  const int stored = stored_image_size(ensemble.info);
  if (load.image_size != stored && !load.resize) load.image_size = stored;
  load.threads = threads;
  load.splits = {"train", split};
  const Dataset ds = load_dataset(data, load);
  const LabelMode mode = parse_label_mode(ensemble.info.extra.value("label_mode", "majority"));
  const auto counts = label_split(ds.split("train"), mode).class_counts();
  return adjust_for_prior(ensemble.model, ds.split(split), log_prior(std::vector<int64_t>(counts.begin(), counts.end())), p,
                          max_acc_drop, ensemble.info.preprocess)
      .tau;
}

}  // namespace

void add_ensemble_command(CLI::App& app, GlobalOptions& global) {
  struct Args {
    std::vector<std::string> models;
    std::string out, data, split = "valid", posthoc_tau = "none";
    double max_acc_drop = 0.01;
    bool drop_member_adjustment = false;
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
  cmd->add_option("--posthoc-tau", args->posthoc_tau,
                  "the ensemble's own post-hoc logit adjustment, -tau log(training prior): none, auto (chosen on --split "
                  "for the best balanced accuracy) or a number; needs --data")
      ->capture_default_str();
  cmd->add_option("--posthoc-max-acc-drop", args->max_acc_drop, "--posthoc-tau auto: largest accuracy loss allowed (fraction)")
      ->capture_default_str();
  cmd->add_flag("--drop-member-adjustment", args->drop_member_adjustment,
               "average the members' probabilities without their own post-hoc logit adjustments (e.g. runs trained with "
               "--posthoc-tau), so that --posthoc-tau adjusts the plain mean");
  add_load_flags(*cmd, args->load);
  set_action(cmd, [args, cmd, &global]() {
    std::vector<EnsembleMember> members;
    std::vector<std::string> inputs;
    for (const auto& m : args->models) {
      members.push_back({m, bundle_path_of(m)});
      inputs.push_back(members.back().path);
    }
    if (!args->data.empty()) inputs.push_back(args->data);
    check_output_file(args->out, inputs, "--out");
    PosthocTau tau;
    try {
      tau = parse_posthoc_tau(args->posthoc_tau);
    } catch (const std::invalid_argument&) {
      throw Error("--posthoc-tau must be none, auto or a number >= 0, not '" + args->posthoc_tau + "'");
    }
    FERKIT_CHECK(!tau.enabled() || !args->data.empty(), "--posthoc-tau needs --data (the tau is chosen on its --split)");
    LoadedBundle ensemble = make_ensemble(members, args->drop_member_adjustment);
    if (tau.enabled()) {
      const double t = adjust_ensemble(ensemble, args->data, args->split, tau, args->max_acc_drop, args->load, global.threads);
      ensemble.info.extra["posthoc_tau"] = t;
      spdlog::info("post-hoc logit adjustment tau {:.1f}{} (chosen on {}: judge it on another split)", t,
                   tau.mode == PosthocTau::Mode::kAuto ? " (auto)" : "", args->split);
    }
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
