// `ferkit robustness`: a model scored on a split clean and under every perturbation (framing,
// tone, blur, resolution, JPEG) at three strengths (eval/robustness.h).
#include <iostream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "ferkit/eval/robustness.h"
#include "ferkit/run/records.h"
#include "ferkit/run/run_folder.h"
#include "ferkit/util/json_text.h"
#include "ferkit/util/text.h"

namespace ferkit::cli {

void add_robustness_command(CLI::App& app, GlobalOptions& global) {
  struct Args {
    std::string model, kinds;
    std::string data;
    uint64_t seed = 1;
    bool json = false;
    LoadOptions load;
    FolderEvalOptions eval;
  };
  auto args = std::make_shared<Args>();
  args->eval.split = "valid";
  auto* cmd = app.add_subcommand("robustness", "score a model clean and under perturbed framing, tone, blur, resolution and JPEG");
  cmd->add_option("--model", args->model, "run folder, model bundle or shipped model name (default: the default shipped model)");
  cmd->add_option("--data", args->data, "data folder")->required();
  cmd->add_option("--split", args->eval.split, "split to score: train, valid, test")->capture_default_str();
  cmd->add_option("--exclude-copies-of", args->eval.exclude_copies_of,
                  "also run the benchmark without the split's images that have an exact or near copy in this split (leakage-free)");
  cmd->add_option("--kinds", args->kinds, "perturbations to run, comma-separated (default: framing,tone,blur,resolution,jpeg)");
  cmd->add_option("--seed", args->seed, "seed of the per-image random perturbation parameters")->capture_default_str();
  cmd->add_option("--batch-size", args->eval.batch_size, "images per forward pass")->capture_default_str();
  cmd->add_flag("--json", args->json, "print JSON");
  add_load_flags(*cmd, args->load);
  set_action(cmd, [args, cmd, &global]() {
    apply_load_flags(args->eval, args->load, *cmd, global.threads);
    const RobustnessReport r =
        robustness_on_folder(bundle_path_of(args->model), args->data, args->eval, split_names(args->kinds), args->seed);
    if (args->json) {
      std::cout << json_text(to_json(r), 2) << "\n";
      return;
    }
    std::cout << fmt::format("{} {} ({} images) with {}, seed {}\n", r.data, r.split, r.images, r.model, r.seed)
              << format_robustness(r.result);
    if (r.without_copies)
      std::cout << fmt::format("\nwithout the {} {} images that have an exact or near copy in {} (leakage-free):\n", r.excluded,
                               r.split, r.copies_of)
                << format_robustness(*r.without_copies);
  });
}

FERKIT_COMMAND(60, add_robustness_command);

}  // namespace ferkit::cli
