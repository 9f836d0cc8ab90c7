// Helpers shared by the tests: temporary folders, the real FER+ data when present, small files.
#pragma once
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include <gtest/gtest.h>

#include "ferkit/data/synth.h"
#include "test_paths.h"

namespace ferkit::test {

// A fresh temporary folder, removed with the object.
class TempDir {
 public:
  TempDir() {
    std::random_device rd;
    path_ = std::filesystem::temp_directory_path() / ("ferkit-test-" + std::to_string(rd()) + std::to_string(rd()));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }
  std::string str() const { return path_.string(); }
  std::string operator/(const std::string& p) const { return (path_ / p).string(); }

 private:
  std::filesystem::path path_;
};

inline void write_file(const std::string& path, const std::string& text) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

// A synthetic FER+ folder at TMP/data, written on one thread (scale 0.05: 200 train and 40 valid
// images; 0.1: 400 and 80). Returns its path.
inline std::string synthetic_ferplus(const TempDir& tmp, double scale, int image_size = 48) {
  SynthConfig sc;
  sc.out = tmp / "data";
  sc.scale = scale;
  sc.threads = 1;
  sc.image_size = image_size;
  write_synthetic_dataset(sc);
  return sc.out;
}

// The real FER+ folder: $FER_DATA, else ../shared/data/ferplus beside the source tree; "" if absent.
inline std::string ferplus_dir() {
  if (const char* env = std::getenv("FER_DATA")) return std::filesystem::exists(env) ? env : "";
  const auto p = std::filesystem::path(FERKIT_SOURCE_DIR) / ".." / "shared" / "data" / "ferplus";
  return std::filesystem::exists(p / "FER2013Train" / "label.csv") ? p.string() : "";
}

#define FERKIT_REQUIRE_FERPLUS(dir)                                                                  \
  const std::string dir = ::ferkit::test::ferplus_dir();                                             \
  if (dir.empty())                                                                                   \
  GTEST_SKIP() << "real FER+ data not found (set FER_DATA or provide ../shared/data/ferplus); skipped"

}  // namespace ferkit::test

namespace ferkit {
inline std::string test_read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}
}  // namespace ferkit
