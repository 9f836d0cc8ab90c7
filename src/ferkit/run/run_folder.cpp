#include "ferkit/run/run_folder.h"

#include <algorithm>
#include <filesystem>

namespace ferkit {
namespace fs = std::filesystem;

std::string RunFolder::path(const std::string& relative) const { return (fs::path(dir_) / relative).string(); }

std::string RunFolder::eval(const std::string& split, const std::string& tta) const {
  return path("eval-" + split + (tta.empty() || tta == "none" ? "" : "-" + tta) + ".json");
}

std::vector<std::string> RunFolder::evals() const {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir_, ec)) {
    const std::string f = e.path().filename().string();
    if (f.rfind("eval-", 0) == 0 && e.path().extension() == ".json") out.push_back(e.path().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

bool RunFolder::holds_run() const { return fs::exists(config()) || fs::exists(metrics()) || fs::exists(summary()); }

void RunFolder::create() const { fs::create_directories(checkpoints()); }

std::string bundle_path_of(const std::string& run_or_bundle) {
  return fs::is_directory(run_or_bundle) ? RunFolder(run_or_bundle).bundle() : run_or_bundle;
}

}  // namespace ferkit
