#include "ferkit/train/recipes.h"

#include <filesystem>
#include <map>

#include "ferkit/util/registry.h"

namespace ferkit {

const std::map<std::string, std::string>& embedded_recipes();  // recipes_data.cpp (generated)

std::vector<std::string> recipe_names() { return registry_names(embedded_recipes()); }

std::string recipe_text(const std::string& name) { return registry_lookup(embedded_recipes(), name, "recipe"); }

void apply_recipe(TrainConfig& config, const std::string& name_or_file) {
  if (embedded_recipes().count(name_or_file) == 0 && std::filesystem::is_regular_file(name_or_file)) {
    apply_config_yaml(config, name_or_file);
  } else {
    apply_config_yaml_text(config, recipe_text(name_or_file), "recipe " + name_or_file);
  }
  config.recipe = name_or_file;
}

}  // namespace ferkit
