// `ferkit eval`: scores a trained model (a run folder or a model bundle) on a split of a data set.
#include <iostream>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "commands.h"
#include <fmt/format.h>

#include "ferkit/eval/evaluator.h"
#include "ferkit/run/records.h"
#include "ferkit/run/run_folder.h"
#include "ferkit/util/error.h"
#include "ferkit/util/json_text.h"

namespace ferkit::cli {
void add_eval_command(CLI::App& app, GlobalOptions& global) {
  struct Args {
    std::string model, data, split = "test", tta = "none", exclude_copies_of;
    int bootstrap = 1000;
    bool json = false;
    int64_t batch_size = 256;
    LoadOptions load;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = app.add_subcommand("eval", "score a model on a split (majority labels, the FER+ protocol)");
  cmd->add_option("--model", args->model, "run folder (uses RUN/model.ferkit), model bundle or shipped model name (`ferkit models`)")->required();
  cmd->add_option("--data", args->data, "data folder")->required();
  cmd->add_option("--split", args->split, "split to score: train, valid, test")->capture_default_str();
  cmd->add_option("--batch-size", args->batch_size, "images per forward pass")->capture_default_str();
  cmd->add_option("--tta", args->tta, "test-time augmentation: none, flip, ten-crop, flip-shift")->capture_default_str();
  cmd->add_option("--bootstrap", args->bootstrap, "bootstrap resamples for the intervals of balanced accuracy and macro-F1 (0: none)")
      ->capture_default_str();
  cmd->add_option("--exclude-copies-of", args->exclude_copies_of,
                  "also score the split without its images that have an exact or near copy in this split (e.g. train): "
                  "the leakage-free figure, printed beside the other");
  cmd->add_flag("--json", args->json, "print JSON");
  add_load_flags(*cmd, args->load);
  set_action(cmd, [args, cmd, &global]() {
    FolderEvalOptions o;
    o.split = args->split;
    o.tta = args->tta;
    o.exclude_copies_of = args->exclude_copies_of;
    o.bootstrap = args->bootstrap;
    o.batch_size = args->batch_size;
    apply_load_flags(o, args->load, *cmd, global.threads);
    const EvalResult result = evaluate_on_folder(bundle_path_of(args->model), args->data, o);
    keep_eval_in_run(args->model, result);
    const nlohmann::json out = to_json(result);
    if (args->json) {
      std::cout << json_text(out, 2) << "\n";
    } else {
      std::cout << args->data << " " << args->split << " with " << result.model << "\n" << format_metrics(result.metrics);
      if (result.without_copies)
        std::cout << fmt::format("\nwithout the {} {} images that have an exact or near copy in {} (leakage-free):\n", result.excluded,
                                 args->split, result.copies_of)
                  << format_metrics(*result.without_copies);
    }
  });
}

FERKIT_COMMAND(50, add_eval_command);

}  // namespace ferkit::cli
