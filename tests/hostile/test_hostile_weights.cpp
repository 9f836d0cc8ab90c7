// Hostile weights files (issue 19): a pickle that nests tuples 200,000 deep, raw and inside a
// torch.save zip, must give an error naming the file, not a crash (the nested values were
// released recursively and overflowed the stack: SIGSEGV with nothing printed).
#include <string>

#include <caffe2/serialize/inline_container.h>
#include <gtest/gtest.h>

#include "ferkit/models/torch_pickle.h"
#include "ferkit/util/error.h"
#include "test_util.h"

namespace ferkit {
namespace {

// PROTO 2, an empty tuple, then TUPLE1 `depth` times: (((...),),), then STOP. Deeper than the
// 200,000 of the report: the recursion it guards against must overflow any test thread's stack.
constexpr int kDepth = 3000000;
std::string nested_tuples(int depth) { return std::string("\x80\x02)", 3) + std::string(depth, '\x85') + "."; }

void expect_error_naming_file(const std::string& path) {
  try {
    load_torch_state_dict(path);
    ADD_FAILURE() << "a nested pickle was read as a state dict";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
  }
}

TEST(HostileWeights, DeeplyNestedPickleIsAnErrorNotACrash) {
  test::TempDir tmp;
  const std::string raw = tmp / "deep.pt";
  test::write_file(raw, nested_tuples(kDepth));
  expect_error_naming_file(raw);

  const std::string zipped = tmp / "deep-zip.pt";  // as torch.save writes: archive/data.pkl
  {
    caffe2::serialize::PyTorchStreamWriter writer(zipped);
    const std::string pickle = nested_tuples(kDepth);
    writer.writeRecord("data.pkl", pickle.data(), pickle.size());
    writer.writeEndOfFile();
  }
  expect_error_naming_file(zipped);
}

}  // namespace
}  // namespace ferkit
