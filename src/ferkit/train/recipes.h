// Named training recipes: YAML files of config keys shipped with ferkit (recipes/*.yaml, compiled
// in). A recipe sets defaults; a --config file and command-line flags override it.
#pragma once
#include <string>
#include <vector>

#include "ferkit/train/config.h"

namespace ferkit {

std::vector<std::string> recipe_names();
std::string recipe_text(const std::string& name);  // throws Error naming the known recipes
// A recipe name, or the path of a YAML file used as one.
void apply_recipe(TrainConfig& config, const std::string& name_or_file);

}  // namespace ferkit
