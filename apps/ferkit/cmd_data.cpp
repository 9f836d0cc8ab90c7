// `ferkit data stats`: split and class counts under a label mode, and annotator agreement.
#include <iostream>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "ferkit/data/stats.h"

namespace ferkit::cli {

void add_load_flags(CLI::App& cmd, LoadOptions& options) {
  cmd.add_option("--layout", options.layout, "data layout: auto, ferplus, fer2013-csv, class-folders")
      ->capture_default_str();
  cmd.add_option("--image-size", options.image_size, "side of the stored square images")->capture_default_str();
  cmd.add_flag("--resize", options.resize, "resize images of another size instead of rejecting them");
  cmd.add_flag("--skip-bad", options.skip_bad, "skip bad rows and images with a counted warning instead of failing");
}

void apply_load_flags(FolderEvalOptions& o, const LoadOptions& load, const CLI::App& cmd, int threads) {
  o.load = load;
  if (!cmd.count("--image-size")) o.load.image_size = 0;  // the model's own
  o.load.threads = threads;
}

void add_data_command(CLI::App& app, GlobalOptions& global) {
  auto* data = app.add_subcommand("data", "inspect a data folder");
  data->require_subcommand(1);
  auto* stats = data->add_subcommand("stats", "split and class counts, vote agreement");
  struct Args {
    std::string dir;
    std::string label_mode = "majority";
    bool json = false;
    LoadOptions load;
  };
  auto args = std::make_shared<Args>();
  stats->add_option("--data", args->dir, "data folder (FER+ folders, fer2013.csv + fer2013new.csv, or class folders)")
      ->required();
  stats->add_option("--label-mode", args->label_mode, "majority, probability, crossentropy, multi-target")
      ->capture_default_str();
  stats->add_flag("--json", args->json, "print JSON");
  add_load_flags(*stats, args->load);
  set_action(stats, [args, &global]() {
    const LabelMode mode = parse_label_mode(args->label_mode);
    args->load.threads = global.threads;
    const Dataset ds = load_dataset(args->dir, args->load);
    const auto result = data_stats(ds, mode);
    std::cout << (args->json ? result.dump(2) + "\n" : format_data_stats(result));
  });
}

FERKIT_COMMAND(20, add_data_command);

}  // namespace ferkit::cli
