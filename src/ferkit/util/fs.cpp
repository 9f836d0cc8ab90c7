#include "ferkit/util/fs.h"

#include <dlfcn.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
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

std::vector<std::string> installed_data_dirs() {
  std::vector<std::string> dirs;
  auto add = [&dirs](const fs::path& p) {
    const std::string d = p.lexically_normal().string();
    if (std::find(dirs.begin(), dirs.end(), d) == dirs.end()) dirs.push_back(d);
  };
#ifdef FERKIT_LIB_TO_DATA
  Dl_info info{};
  if (dladdr(reinterpret_cast<void*>(&installed_data_dirs), &info) && info.dli_fname && *info.dli_fname) {
    std::error_code ec;
    const fs::path lib = fs::canonical(info.dli_fname, ec);  // the library, or the program when linked statically
    if (!ec) add(lib.parent_path() / FERKIT_LIB_TO_DATA);
  }
#endif
#ifdef FERKIT_BIN_TO_DATA
  try {
    add(fs::path(self_executable()).parent_path() / FERKIT_BIN_TO_DATA);
  } catch (const std::exception&) {  // no /proc: only the library's place
  }
#endif
  return dirs;
}

namespace {

// A path as it resolves (symbolic links and .. followed, whether or not it exists yet).
fs::path resolved(const std::string& path) {
  std::error_code ec;
  fs::path p = fs::weakly_canonical(fs::absolute(path), ec);
  return ec ? fs::absolute(path).lexically_normal() : p;
}

bool same_or_inside(const fs::path& inner, const fs::path& outer) {
  auto i = inner.begin();
  for (auto o = outer.begin(); o != outer.end(); ++o, ++i)
    if (o->empty() && std::next(o) == outer.end()) return true;  // a trailing separator
    else if (i == inner.end() || *i != *o) return false;
  return true;
}

// Empty, a folder, or an existing non-regular file: `path` cannot be written as a file.
void check_writable_file_path(const std::string& path, const std::string& what) {
  const std::string name = what.empty() ? "" : what + " ";
  if (path.empty()) throw Error((what.empty() ? std::string("the output path") : what) + " is empty: give a file to write");
  std::error_code ec;
  const fs::file_status st = fs::status(path, ec);  // follows links: what a write would replace
  if (fs::is_directory(st)) throw Error(name + path + " is a folder: give a file to write");
  if (fs::exists(st) && !fs::is_regular_file(st))
    throw Error(name + path + " exists and is not a regular file (a device, FIFO or socket): refusing to replace it");
}

}  // namespace

namespace {
// The input `in` that `out` would replace or write into ("" when none): a file it resolves to, or
// a folder it lies in.
std::string clashing_input(const fs::path& out, const std::vector<std::string>& inputs) {
  std::error_code ec;
  for (const auto& in : inputs) {
    if (in.empty()) continue;
    const fs::path i = resolved(in);
    if (fs::is_directory(i, ec) ? same_or_inside(out, i) : i == out) return in;
  }
  return "";
}
}  // namespace

void check_output_file(const std::string& output, const std::vector<std::string>& inputs, const std::string& what) {
  check_writable_file_path(output, what);
  const std::string in = clashing_input(resolved(output), inputs);
  if (!in.empty())
    throw Error(what + " " + output + (std::filesystem::is_directory(resolved(in)) ? " is inside the input folder " : " is the input ") +
                in + " of this command: writing it would replace what is read; choose a path outside the inputs");
}

void check_output_folder(const std::string& output, const std::vector<std::string>& inputs, const std::string& what) {
  if (output.empty()) throw Error(what + " is empty: give a folder to write into");
  std::error_code ec;
  if (fs::exists(output, ec) && !fs::is_directory(output, ec)) throw Error(what + " " + output + " exists and is not a folder");
  const std::string in = clashing_input(resolved(output), inputs);
  if (!in.empty())
    throw Error(what + " " + output + " is, or is inside, the input " + in +
                ": what is written would replace or be read as input; choose a folder outside the inputs");
}

void atomic_write(const std::string& path, const std::function<void(const std::string&)>& write) {
  check_writable_file_path(path, "");
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

void write_file_checked(const std::string& path, const std::string& bytes, const std::string& name_in_errors) {
  const std::string& name = name_in_errors.empty() ? path : name_in_errors;
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw Error("cannot write " + name + ": " + std::strerror(errno));
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int e = n < 0 ? errno : ENOSPC;
      ::close(fd);
      throw Error("cannot write " + name + ": " + std::strerror(e));
    }
    done += static_cast<size_t>(n);
  }
  // fsync: a full disk or a failing device can report only here (delayed allocation, NFS).
  if (::fsync(fd) != 0 && errno != EINVAL) {
    const int e = errno;
    ::close(fd);
    throw Error("cannot write " + name + ": " + std::strerror(e));
  }
  if (::close(fd) != 0) throw Error("cannot write " + name + ": " + std::strerror(errno));
}

void atomic_write_text(const std::string& path, const std::string& text) {
  atomic_write(path, [&](const std::string& tmp) { write_file_checked(tmp, text, path); });
}

std::string read_text_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path + ": cannot open file" + (fs::exists(path) ? "" : " (no such file)"));
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string face_api_dir(const std::string& manifest) {
  std::vector<std::string> dirs;
  if (const char* env = std::getenv("FERKIT_FACE_API"); env && *env) dirs.emplace_back(env);
  for (const auto& d : installed_data_dirs()) dirs.push_back((fs::path(d) / "face-api").string());  // PREFIX/share/ferkit/face-api
#ifdef FERKIT_SOURCE_FACE_API_DIR
  dirs.emplace_back(FERKIT_SOURCE_FACE_API_DIR);
#endif
  std::string tried;
  for (const auto& d : dirs) {
    if (fs::is_regular_file(fs::path(d) / manifest)) return d;
    tried += "\n  " + (fs::path(d) / manifest).string();
  }
  throw Error("face-api's weights are not installed (scripts/fetch-face-api.sh fetches them; or set $FERKIT_FACE_API "
              "to a folder that holds them); looked at:" + tried);
}

}  // namespace ferkit
