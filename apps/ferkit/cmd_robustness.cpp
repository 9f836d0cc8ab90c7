// `ferkit robustness`: a model scored on a split clean and under every perturbation (framing,
// tone, blur, resolution, JPEG) at three strengths (eval/robustness.h).
#include <algorithm>
#include <iostream>
#include <optional>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "ferkit/api/evaluate_model.h"
#include "ferkit/data/duplicates.h"
#include "ferkit/data/perturb.h"
#include "ferkit/eval/robustness.h"
#include "ferkit/util/json_text.h"

namespace ferkit::cli {

void add_robustness_command(CLI::App& app, GlobalOptions& global) {
  struct Args {
    std::string model, data, split = "valid", exclude_copies_of, kinds;
    uint64_t seed = 1;
    int64_t batch_size = 256;
    bool json = false;
    LoadOptions load;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = app.add_subcommand("robustness", "score a model clean and under perturbed framing, tone, blur, resolution and JPEG");
  cmd->add_option("--model", args->model, "run folder, model bundle or shipped model name (default: the default shipped model)");
  cmd->add_option("--data", args->data, "data folder")->required();
  cmd->add_option("--split", args->split, "split to score: train, valid, test")->capture_default_str();
  cmd->add_option("--exclude-copies-of", args->exclude_copies_of,
                  "also run the benchmark without the split's images that have an exact or near copy in this split (leakage-free)");
  cmd->add_option("--kinds", args->kinds, "perturbations to run, comma-separated (default: framing,tone,blur,resolution,jpeg)");
  cmd->add_option("--seed", args->seed, "seed of the per-image random perturbation parameters")->capture_default_str();
  cmd->add_option("--batch-size", args->batch_size, "images per forward pass")->capture_default_str();
  cmd->add_flag("--json", args->json, "print JSON");
  add_load_flags(*cmd, args->load);
  set_action(cmd, [args, cmd, &global]() {
    EvaluateOptions o;
    o.split = args->split;
    o.exclude_copies_of = args->exclude_copies_of;
    apply_load_flags(o, args->load, *cmd, global.threads);
    EvalInputs in = load_eval_inputs(args->model, args->data, o);
    std::vector<std::string> kinds;
    for (size_t start = 0; start < args->kinds.size();) {
      const size_t comma = std::min(args->kinds.find(',', start), args->kinds.size());
      if (comma > start) kinds.push_back(args->kinds.substr(start, comma - start));
      start = comma + 1;
    }
    EvalOptions eo;
    eo.batch_size = args->batch_size;
    eo.metrics.bootstrap = 0;
    const Split& split = in.dataset.split(args->split);
    const RobustnessResult all = robustness_benchmark(in.bundle.model, split, in.bundle.info.preprocess, eo, kinds, args->seed);
    std::optional<RobustnessResult> clean_only;
    int64_t excluded = 0;
    if (!args->exclude_copies_of.empty()) {
      const auto copies = rows_with_copies_in(in.dataset, args->split, args->exclude_copies_of);
      excluded = static_cast<int64_t>(copies.size());
      clean_only = robustness_benchmark(in.bundle.model, without_rows(split, copies), in.bundle.info.preprocess, eo, kinds, args->seed);
    }
    if (args->json) {
      nlohmann::json j = {{"model", in.bundle_path}, {"data", args->data}, {"split", args->split}, {"seed", args->seed},
                          {"result", to_json(all)}};
      if (clean_only) j["without_copies"] = {{"copies_of", args->exclude_copies_of}, {"excluded", excluded}, {"result", to_json(*clean_only)}};
      std::cout << json_text(j, 2) << "\n";
      return;
    }
    std::cout << fmt::format("{} {} ({} images) with {}, seed {}\n", args->data, args->split, split.size(), in.bundle_path, args->seed)
              << format_robustness(all);
    if (clean_only)
      std::cout << fmt::format("\nwithout the {} {} images that have an exact or near copy in {} (leakage-free):\n", excluded,
                               args->split, args->exclude_copies_of)
                << format_robustness(*clean_only);
  });
}

}  // namespace ferkit::cli
