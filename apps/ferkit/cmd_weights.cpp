// `ferkit weights inspect FILE`: what a weights file holds and which architecture it fits.
#include <iostream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "ferkit/models/bundle.h"
#include "ferkit/models/pretrained.h"
#include "ferkit/util/json_text.h"

namespace ferkit::cli {

void add_weights_command(CLI::App& app, GlobalOptions&) {
  auto* weights = app.add_subcommand("weights", "inspect pretrained weights files");
  weights->require_subcommand(1);
  auto* inspect = weights->add_subcommand("inspect", "tensors, shapes, parameter count and matching architecture");
  auto file = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  inspect->add_option("FILE", *file, "a torch.save(state_dict) file (zip or legacy format), a TensorFlow.js export (folder with model.json), a ferkit bundle or checkpoint")->required();
  inspect->add_flag("--json", *json, "print JSON");
  set_action(inspect, [file, json]() {
    if (is_bundle(*file)) {  // ferkit's own model bundle: its header says what it is
      LoadedBundle b = load_bundle(*file);
      int64_t n = 0;
      for (const auto& p : b.model->named_parameters()) {
        n += p.value().numel();
        if (!*json) std::cout << fmt::format("{:<50} [{}]\n", p.key(), fmt::join(p.value().sizes(), ", "));
      }
      nlohmann::json out = {{"file", *file}, {"format", "ferkit-bundle"}, {"model", to_json(b.info.spec)},
                            {"preprocess", to_json(b.info.preprocess)}, {"classes", b.info.class_names},
                            {"parameters", n}, {"extra", to_json(b.info.provenance)}};
      std::cout << (*json ? json_text(out, 2) : fmt::format("\nferkit model bundle: {:.3f} M parameters\n{}", n / 1e6, json_text(out, 2)))
                << "\n";
      return;
    }
    const WeightsSummary s = inspect_weights(*file);
    if (*json) {
      nlohmann::json t = nlohmann::json::array();
      for (const auto& [name, shape] : s.tensors) t.push_back({{"name", name}, {"shape", shape}});
      std::cout << json_text(nlohmann::json{{"file", *file}, {"format", s.format}, {"tensors", t}, {"parameters", s.parameters},
                                            {"architecture", s.architecture}, {"width", s.width}, {"in_channels", s.in_channels}},
                             2)
                << "\n";
      return;
    }
    for (const auto& [name, shape] : s.tensors) std::cout << fmt::format("{:<50} [{}]\n", name, fmt::join(shape, ", "));
    std::cout << fmt::format("\nformat: {}\n{} tensors, {:.3f} M parameters (BatchNorm statistics not counted)\n", s.format,
                             s.tensors.size(), s.parameters / 1e6);
    if (s.architecture.empty())
      std::cout << "architecture: none of ferkit's backbones matches\n";
    else
      std::cout << fmt::format("architecture: {} (width {}, {} input channels): --backbone {} --width {}\n", s.architecture,
                               s.width, s.in_channels, s.architecture, s.width);
  });
}

FERKIT_COMMAND(80, add_weights_command);

}  // namespace ferkit::cli
