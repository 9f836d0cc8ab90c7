// `ferkit models`: the trained models that come with ferkit, with their validation figures and
// model cards; any of their names works as --model.
#include <filesystem>
#include <iostream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "ferkit/models/bundle.h"
#include "ferkit/models/shipped.h"

namespace ferkit::cli {

void add_models_command(CLI::App& app, GlobalOptions&) {
  auto json = std::make_shared<bool>(false);
  auto* cmd = app.add_subcommand("models", "list the shipped models (usable as --model NAME; predict, serve and export default to one)");
  cmd->add_flag("--json", *json, "print JSON");
  set_action(cmd, [json]() {
    const auto models = shipped_models();
    nlohmann::json out = nlohmann::json::array();
    if (!*json) std::cout << fmt::format("{:<16} {:>8} {:>9} {:>9}  {}\n", "name", "size", "valid acc", "balanced", "backbone, model card");
    for (const auto& m : models) {
      const LoadedBundle b = load_bundle(m.bundle);
      const double acc = b.info.provenance.val_accuracy.value_or(NAN), bal = b.info.provenance.val_balanced_accuracy.value_or(NAN);
      const auto bytes = std::filesystem::file_size(m.bundle);
      const bool is_default = m.name == kDefaultModel;
      out.push_back({{"name", m.name}, {"bundle", m.bundle}, {"card", m.card}, {"bytes", bytes}, {"default", is_default},
                     {"backbone", b.info.spec.backbone.name}, {"val_accuracy", acc}, {"val_balanced_accuracy", bal}});
      if (!*json)
        std::cout << fmt::format("{:<16} {:>6.1f}MB {:>8.2f}% {:>8.2f}%  {}{}, {}\n", m.name, bytes / 1e6, 100 * acc, 100 * bal,
                                 b.info.spec.backbone.name, is_default ? " (default)" : "", m.card.empty() ? "no card" : m.card);
    }
    if (*json) {
      std::cout << out.dump(2) << "\n";
    } else if (models.empty()) {
      std::string dirs;
      for (const auto& d : shipped_model_dirs()) dirs += "\n  " + d;
      std::cout << "no shipped models found; looked in:" << dirs << "\n";
    }
  });
}

FERKIT_COMMAND(130, add_models_command);

}  // namespace ferkit::cli
