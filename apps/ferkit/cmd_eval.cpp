// `ferkit eval`: scores a trained model (a run folder or a model bundle) on a split of a data set.
#include <filesystem>
#include <iostream>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "commands.h"
#include <fmt/format.h>

#include "ferkit/data/duplicates.h"
#include "ferkit/eval/evaluator.h"
#include "ferkit/eval/tta.h"
#include "ferkit/models/bundle.h"
#include "ferkit/run/records.h"
#include "ferkit/run/run_folder.h"
#include "ferkit/util/error.h"
#include "ferkit/util/fs.h"
#include "ferkit/util/json_text.h"

namespace ferkit::cli {
namespace fs = std::filesystem;

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
  cmd->add_option("--tta", args->tta, "test-time augmentation: none, flip, ten-crop")->capture_default_str();
  cmd->add_option("--bootstrap", args->bootstrap, "bootstrap resamples for the intervals of balanced accuracy and macro-F1 (0: none)")
      ->capture_default_str();
  cmd->add_option("--exclude-copies-of", args->exclude_copies_of,
                  "also score the split without its images that have an exact or near copy in this split (e.g. train): "
                  "the leakage-free figure, printed beside the other");
  cmd->add_flag("--json", args->json, "print JSON");
  add_load_flags(*cmd, args->load);
  set_action(cmd, [args, cmd, &global]() {
    const bool is_run = fs::is_directory(args->model);
    const std::string bundle_path = bundle_path_of(args->model);
    LoadedBundle bundle = load_bundle(bundle_path);
    require_emotion_classes(bundle.info, bundle_path);
    check_tta_name(args->tta);
    // The model was trained on images of one stored size: the data is read at that size unless
    // --image-size says otherwise, and another size only loads when resized.
    if (bundle.info.extra.contains("image_size")) {
      const int trained = bundle.info.extra["image_size"];
      if (cmd->count("--image-size") == 0) {
        args->load.image_size = trained;
      } else if (trained != args->load.image_size && !args->load.resize) {
        throw Error(fmt::format("{}: the model was trained on {}x{} images but --image-size is {} (give --image-size {}, "
                                "or add --resize)",
                                bundle_path, trained, trained, args->load.image_size, trained));
      }
    }
    args->load.threads = global.threads;
    args->load.splits = {args->split};
    if (!args->exclude_copies_of.empty()) args->load.splits.push_back(args->exclude_copies_of);
    const Dataset ds = load_dataset(args->data, args->load);
    EvalOptions eo;
    eo.batch_size = args->batch_size;
    eo.tta = args->tta;
    eo.metrics.bootstrap = args->bootstrap;
    EvalResult result;
    result.model = bundle_path;
    result.data = args->data;
    result.split = args->split;
    result.tta = args->tta;
    result.metrics = evaluate_split(bundle.model, ds.split(args->split), bundle.info.preprocess, eo);
    if (!args->exclude_copies_of.empty()) {
      const auto copies = rows_with_copies_in(ds, args->split, args->exclude_copies_of);
      result.copies_of = args->exclude_copies_of;
      result.excluded = static_cast<int64_t>(copies.size());
      result.without_copies =
          evaluate_split(bundle.model, without_rows(ds.split(args->split), copies), bundle.info.preprocess, eo);
    }
    const nlohmann::json out = to_json(result);
    if (is_run) atomic_write_text(RunFolder(args->model).eval(args->split, args->tta), json_text(out, 2) + "\n");
    if (args->json) {
      std::cout << json_text(out, 2) << "\n";
    } else {
      std::cout << args->data << " " << args->split << " with " << bundle_path << "\n" << format_metrics(result.metrics);
      if (result.without_copies)
        std::cout << fmt::format("\nwithout the {} {} images that have an exact or near copy in {} (leakage-free):\n", result.excluded,
                                 args->split, result.copies_of)
                  << format_metrics(*result.without_copies);
    }
  });
}

}  // namespace ferkit::cli
