// Replays every fuzz target (fuzz/fuzz_targets.h) on its seeds (tests/hostile/fuzz_seeds/) and on
// the inputs the fuzzers once found bad (tests/hostile/fuzz_cases/TARGET/, kept after the fix):
// each must end in success or a ferkit::Error; another exception type fails the test, a crash
// fails the run. `make fuzz` finds new cases; `make test-asan` replays these under the sanitizers.
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <gtest/gtest.h>

#include "../../fuzz/fuzz_targets.h"
#include "test_paths.h"

namespace ferkit {
namespace {

using Target = int (*)(const uint8_t*, size_t);

const std::map<std::string, Target>& targets() {
  static const std::map<std::string, Target> t = {
      {"label_csv", fuzz::label_csv},   {"fer2013_csv", fuzz::fer2013_csv}, {"image_header", fuzz::image_header},
      {"torch_pickle", fuzz::torch_pickle}, {"tfjs_model", fuzz::tfjs_model}, {"yaml_config", fuzz::yaml_config},
      {"bundle", fuzz::bundle},         {"http_request", fuzz::http_request}, {"http_chunked", fuzz::http_chunked},
      {"array_input", fuzz::array_input}};
  return t;
}

int replay(const std::string& folder) {
  namespace fs = std::filesystem;
  int replayed = 0;
  for (const auto& [name, target] : targets()) {
    const fs::path dir = fs::path(FERKIT_SOURCE_DIR) / "tests" / "hostile" / folder / name;
    if (!fs::is_directory(dir)) continue;
    for (const auto& e : fs::directory_iterator(dir)) {
      std::ifstream in(e.path(), std::ios::binary);
      std::stringstream ss;
      ss << in.rdbuf();
      const std::string bytes = ss.str();
      SCOPED_TRACE(name + ": " + e.path().filename().string());
      try {
        target(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
      } catch (const std::exception& ex) {
        ADD_FAILURE() << "not a ferkit::Error: " << ex.what();
      }
      ++replayed;
    }
  }
  return replayed;
}

TEST(FuzzRegressions, SeedsEndInSuccessOrANamedError) { EXPECT_GE(replay("fuzz_seeds"), 11); }

TEST(FuzzRegressions, PastFindingsStayFixed) { EXPECT_GE(replay("fuzz_cases"), 2); }

}  // namespace
}  // namespace ferkit
