// The config layering shared by `ferkit train` and the public API (train/train_request.h).
#include "ferkit/train/train_request.h"

#include <algorithm>
#include <filesystem>

#include "ferkit/run/run_folder.h"
#include "ferkit/train/recipes.h"
#include "ferkit/util/error.h"

namespace ferkit {
namespace fs = std::filesystem;

TrainConfig resolve_train_config(const TrainRequest& q) {
  TrainConfig config;
  if (q.resume) {
    const auto out = q.values.find("out");
    FERKIT_CHECK(out != q.values.end(), q.values_origin == "--" ? "--resume needs --out RUN (the run to continue)"
                                                                 : "resume needs the key out (the run folder to continue)");
    const std::string saved = RunFolder(out->second).config();
    FERKIT_CHECK(fs::is_regular_file(saved), saved + ": no such file; is " + out->second + " a ferkit run?");
    apply_config_yaml(config, saved);
  } else {
    std::string recipe = q.recipe;
    if (recipe.empty() && !q.config_text.empty()) {  // the text's own `recipe:` key picks the starting settings
      TrainConfig scratch;
      scratch.recipe.clear();
      apply_config_yaml_text(scratch, q.config_text, "the config text");
      recipe = scratch.recipe;
    }
    apply_recipe(config, recipe.empty() ? "stable" : recipe);
  }
  if (!q.config_file.empty()) apply_config_yaml(config, q.config_file);
  if (!q.config_text.empty()) apply_config_yaml_text(config, q.config_text, "the config text");
  for (const auto& [key, value] : q.values) {
    std::string name = key;  // errors name what the user typed: --posthoc-tau for a flag, posthoc_tau for a key
    if (q.values_origin == "--") std::replace(name.begin(), name.end(), '_', '-');
    set_config_value(config, key, value, q.values_origin + name);
  }
  if (q.threads > 0) config.threads = q.threads;
  // config.yaml keeps the data folder absolute, so that resuming works from any directory.
  if (!config.data.empty() && !q.resume) config.data = fs::absolute(config.data).lexically_normal().string();
  return config;
}

}  // namespace ferkit
