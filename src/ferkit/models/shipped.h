// The trained models that come with ferkit: models/NAME.ferkit with its model card models/NAME.md,
// found in $FERKIT_MODELS, where ferkit is installed (PREFIX/share/ferkit/models, util/fs.h) or in the
// source tree the program was built from. `--model NAME` takes one anywhere a bundle is taken;
// predict, serve and export use the default one when --model is absent.
#pragma once
#include <optional>
#include <string>
#include <vector>

namespace ferkit {

// The model that predict, serve and export use without --model.
constexpr const char* kDefaultModel = "ferplus-small";

struct ShippedModel {
  std::string name;    // file name without .ferkit
  std::string bundle;  // path of NAME.ferkit
  std::string card;    // path of NAME.md ("" when missing)
};

// The folders searched, in order (whether they exist or not).
std::vector<std::string> shipped_model_dirs();
// Every NAME.ferkit in the first of those folders that exists, sorted by name.
std::vector<ShippedModel> shipped_models();
std::optional<ShippedModel> find_shipped_model(const std::string& name);

}  // namespace ferkit
