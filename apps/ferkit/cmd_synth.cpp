// `ferkit synth`: writes the embedded default data set (synthetic, FER+ folder layout).
#include <spdlog/spdlog.h>

#include "commands.h"
#include "ferkit/data/synth.h"

namespace ferkit::cli {

void add_synth_command(CLI::App& app, GlobalOptions& global) {
  auto config = std::make_shared<SynthConfig>();
  auto* cmd = app.add_subcommand("synth", "write a synthetic FER+-format data set (the embedded default)");
  cmd->add_option("--out", config->out, "folder to write")->required();
  cmd->add_option("--seed", config->seed, "random seed")->capture_default_str();
  cmd->add_option("--scale", config->scale, "multiplies the split sizes (train 4000, valid 800, test 800)")
      ->capture_default_str();
  cmd->add_option("--image-size", config->image_size, "image side in pixels")->capture_default_str();
  cmd->add_flag("--force", config->force, "write into a non-empty folder");
  set_action(cmd, [config, &global]() {
    config->threads = global.threads;
    const SynthSummary s = write_synthetic_dataset(*config);
    spdlog::info("wrote {}: train {}, valid {}, test {} images in {:.1f} s", config->out, s.images[0], s.images[1],
                 s.images[2], s.seconds);
  });
}

FERKIT_COMMAND(10, add_synth_command);

}  // namespace ferkit::cli
