#include "ferkit/models/shipped.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>

#include "ferkit/util/fs.h"

namespace ferkit {
namespace fs = std::filesystem;

std::vector<std::string> shipped_model_dirs() {
  std::vector<std::string> dirs;
  if (const char* env = std::getenv("FERKIT_MODELS"); env && *env) dirs.emplace_back(env);
  for (const auto& d : installed_data_dirs()) dirs.push_back((fs::path(d) / "models").string());  // PREFIX/share/ferkit/models
#ifdef FERKIT_SOURCE_MODELS_DIR
  dirs.emplace_back(FERKIT_SOURCE_MODELS_DIR);  // built from a source tree: its models/
#endif
  return dirs;
}

std::vector<ShippedModel> shipped_models() {
  std::vector<ShippedModel> out;
  for (const auto& dir : shipped_model_dirs()) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) continue;
    for (const auto& e : fs::directory_iterator(dir, ec)) {
      if (e.path().extension() != ".ferkit" || !e.is_regular_file()) continue;
      const fs::path card = fs::path(e.path()).replace_extension(".md");
      out.push_back({e.path().stem().string(), e.path().string(), fs::exists(card) ? card.string() : ""});
    }
    break;  // the first folder that exists is the catalogue
  }
  std::sort(out.begin(), out.end(), [](const ShippedModel& a, const ShippedModel& b) { return a.name < b.name; });
  return out;
}

std::optional<ShippedModel> find_shipped_model(const std::string& name) {
  for (const auto& m : shipped_models())
    if (m.name == name) return m;
  return std::nullopt;
}

}  // namespace ferkit
