#include "ferkit/util/fs.h"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <unistd.h>

#include "ferkit/util/error.h"

namespace ferkit {
namespace fs = std::filesystem;

std::string self_executable() {
  char exe[4096];
  const ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
  FERKIT_CHECK(n > 0, "cannot find this program's path (/proc/self/exe)");
  return std::string(exe, static_cast<size_t>(n));
}

void atomic_write(const std::string& path, const std::function<void(const std::string&)>& write) {
  fs::path target(path);
  if (target.has_parent_path()) fs::create_directories(target.parent_path());
  // The pid keeps two processes writing the same file from sharing a temp name.
  std::string tmp = path + ".tmp." + std::to_string(::getpid());
  try {
    write(tmp);
  } catch (...) {
    std::error_code ec;
    fs::remove(tmp, ec);
    throw;
  }
  std::error_code ec;
  fs::rename(tmp, target, ec);
  if (ec) {
    fs::remove(tmp, ec);
    throw Error("cannot write " + path + ": " + ec.message());
  }
}

void atomic_write_text(const std::string& path, const std::string& text) {
  atomic_write(path, [&](const std::string& tmp) {
    std::ofstream out(tmp, std::ios::binary);
    if (!out) throw Error("cannot open " + tmp + " for writing");
    out << text;
    out.flush();
    if (!out) throw Error("cannot write " + tmp + " (disk full?)");
  });
}

std::string read_text_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path + ": cannot open file" + (fs::exists(path) ? "" : " (no such file)"));
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace ferkit
