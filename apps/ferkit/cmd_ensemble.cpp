// `ferkit ensemble RUN... --out BUNDLE [--data DIR]`: trained models as one bundle that averages
// their class probabilities; predict, serve, export, eval and --teacher take it as one model.
#include <spdlog/spdlog.h>

#include "commands.h"
#include "ferkit/run/run_folder.h"
#include "ferkit/train/ensemble_bundle.h"
#include "ferkit/util/error.h"

namespace ferkit::cli {

void add_ensemble_command(CLI::App& app, GlobalOptions& global) {
  struct Args {
    std::vector<std::string> models;
    std::string posthoc_tau = "none";
    LoadOptions load;
    EnsembleRequest q;
  };
  auto args = std::make_shared<Args>();
  args->q.eval.split = "valid";
  auto* cmd = app.add_subcommand("ensemble", "combine trained models into one bundle that averages their class probabilities");
  cmd->add_option("models", args->models, "two or more run folders, bundles or shipped model names, all taking the same input")
      ->required();
  cmd->add_option("--out", args->q.out, "the bundle to write (e.g. ensemble.ferkit)")->required();
  cmd->add_option("--data", args->q.data,
                  "data folder: score the ensemble on --split and keep the figures in the bundle (as a trained run's bundle does)");
  cmd->add_option("--split", args->q.eval.split, "split that --data is scored on")->capture_default_str();
  cmd->add_option("--posthoc-tau", args->posthoc_tau,
                  "the ensemble's own post-hoc logit adjustment, -tau log(training prior): none, auto (chosen on --split "
                  "for the best balanced accuracy) or a number; needs --data")
      ->capture_default_str();
  cmd->add_option("--posthoc-max-acc-drop", args->q.max_acc_drop, "--posthoc-tau auto: largest accuracy loss allowed (fraction)")
      ->capture_default_str();
  cmd->add_flag("--drop-member-adjustment", args->q.drop_member_adjustment,
               "average the members' probabilities without their own post-hoc logit adjustments (e.g. runs trained with "
               "--posthoc-tau), so that --posthoc-tau adjusts the plain mean");
  add_load_flags(*cmd, args->load);
  set_action(cmd, [args, cmd, &global]() {
    EnsembleRequest& q = args->q;
    for (const auto& m : args->models) q.members.push_back({m, bundle_path_of(m)});
    try {
      q.tau = parse_posthoc_tau(args->posthoc_tau);
    } catch (const std::invalid_argument&) {
      throw Error("--posthoc-tau must be none, auto or a number >= 0, not '" + args->posthoc_tau + "'");
    }
    apply_load_flags(q.eval, args->load, *cmd, global.threads);
    const EnsembleWritten w = write_ensemble(q);
    if (q.tau.enabled())
      spdlog::info("post-hoc logit adjustment tau {:.1f}{} (chosen on {}: judge it on another split)", w.tau,
                   q.tau.mode == PosthocTau::Mode::kAuto ? " (auto)" : "", q.eval.split);
    if (w.scored)
      spdlog::info("{} {}: accuracy {:.2f}%, balanced accuracy {:.2f}%", q.data, q.eval.split, 100 * w.scored->metrics.accuracy,
                   100 * w.scored->metrics.balanced_accuracy);
    spdlog::info("wrote {}: an ensemble of {} models", q.out, q.members.size());
  });
}

FERKIT_COMMAND(140, add_ensemble_command);

}  // namespace ferkit::cli
