// How `ferkit train` and ferkit::train (the public API, include/ferkit/train.h) turn what the
// user gave into one TrainConfig: the recipe, then a YAML file or text, then single keys; with
// resume, the run's own config.yaml instead of the recipe. Internal.
#pragma once
#include <map>
#include <string>

#include "ferkit/train/config.h"

namespace ferkit {

struct TrainRequest {
  std::string recipe;                          // a recipe name or YAML file; "": the text's `recipe:` key, else stable
  std::string config_file;                     // a YAML file of keys (--config)
  std::string config_text;                     // YAML text of keys (the API's train_yaml)
  std::map<std::string, std::string> values;   // single keys (flags), applied last
  std::string values_origin = "--";            // how errors name a key: "--" (flags) or "key " (the API)
  bool resume = false;
  int threads = 0;                             // > 0: overrides the config's
};

TrainConfig resolve_train_config(const TrainRequest& request);

}  // namespace ferkit
