#include "ferkit/run/run_folder.h"

#include <algorithm>
#include <cerrno>
#include <filesystem>

#include <signal.h>
#include <sys/types.h>

#include "ferkit/models/shipped.h"
#include "ferkit/util/error.h"

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

void RunFolder::create() const {
  std::error_code ec;
  if (fs::exists(dir_, ec) && !fs::is_directory(dir_, ec))
    throw Error("--out " + dir_ + " exists and is not a folder: give a folder for the run");
  fs::create_directories(checkpoints(), ec);
  if (ec) throw Error("cannot create the run folder " + dir_ + ": " + ec.message());
}

std::vector<std::string> RunFolder::read_files() const {
  std::vector<std::string> out = {config(), metrics(), summary(), audit(), last_checkpoint(), best_checkpoint(), bundle()};
  for (const auto& e : evals()) out.push_back(e);
  return out;
}

void RunFolder::remove_run_files() const {
  std::vector<std::string> paths = {config(), metrics(), summary(), audit(), checkpoints(), bundle(), report(), plots()};
  for (const auto& e : evals()) paths.push_back(e);
  for (const auto& p : paths) {
    std::error_code ec;
    fs::remove_all(p, ec);
    if (ec) throw Error("cannot remove " + p + ": " + ec.message());
  }
}

int RunFolder::remove_stale_temp_files() const {
  int removed = 0;
  for (const std::string& dir : {dir_, checkpoints(), plots()}) {
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir, ec)) {
      const std::string name = e.path().filename().string();
      const auto at = name.rfind(".tmp.");
      if (at == std::string::npos || !e.is_regular_file()) continue;
      const std::string pid_text = name.substr(at + 5);
      if (pid_text.empty() || pid_text.find_first_not_of("0123456789") != std::string::npos || pid_text.size() > 9) continue;
      const pid_t pid = static_cast<pid_t>(std::stol(pid_text));
      if (pid > 0 && (::kill(pid, 0) == 0 || errno == EPERM)) continue;  // its writer may still finish it
      fs::remove(e.path(), ec);
      removed += !ec;
    }
  }
  return removed;
}

namespace {
std::string shipped_list() {
  std::string names;
  for (const auto& m : shipped_models()) names += (names.empty() ? "" : ", ") + m.name;
  if (!names.empty()) return "shipped models: " + names + " (`ferkit models`)";
  std::string dirs;
  for (const auto& d : shipped_model_dirs()) dirs += (dirs.empty() ? "" : ", ") + d;
  return "no shipped models found (looked in " + dirs + "; set FERKIT_MODELS to their folder)";
}
}  // namespace

std::string bundle_path_of(const std::string& model) {
  const std::string name = model.empty() ? kDefaultModel : model;
  std::error_code ec;
  if (fs::is_directory(name, ec)) return RunFolder(name).bundle();
  if (fs::exists(name, ec)) return name;
  if (const auto shipped = find_shipped_model(name)) return shipped->bundle;
  if (model.empty()) throw Error(std::string("no --model given and the default model '") + kDefaultModel + "' is not installed; " + shipped_list());
  // A path (it has a folder or the bundle suffix) that is not there: load_bundle says so.
  if (name.find('/') != std::string::npos || fs::path(name).extension() == ".ferkit") return name;
  throw Error("--model " + name + ": no run folder, bundle file or shipped model of that name; " + shipped_list());
}

std::string describe_model(const std::string& model) {
  const std::string name = model.empty() ? kDefaultModel : model;
  std::error_code ec;
  if (!fs::exists(name, ec) && find_shipped_model(name))
    return name + (model.empty() ? " (shipped model, the default)" : " (shipped model)");
  return bundle_path_of(model);
}

}  // namespace ferkit
