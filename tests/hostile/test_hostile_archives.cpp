// Damaged bundles and checkpoints (issue 19, items 3 and 7): LibTorch's miniz reads zip records
// without checking their CRC-32, so a flipped byte in a tensor loaded as a wrong weight and a
// flipped byte in data.pkl gave "expected a valid token". Every record is checked now and the
// error names the file and the record.
#include <fstream>
#include <string>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "ferkit/models/bundle.h"
#include "ferkit/models/pretrained.h"
#include "ferkit/train/checkpoint.h"
#include "ferkit/util/error.h"
#include "ferkit/util/fs.h"
#include "ferkit/util/zip_records.h"
#include "infer/model_fixtures.h"
#include "test_util.h"

namespace ferkit {
namespace {

// Flips one byte `into` bytes past the start of the named record's data (found by its local
// header, whose name ends with `record`).
void flip_byte_in_record(const std::string& path, const std::string& record, size_t into) {
  std::string b = read_text_file(path);
  size_t at = 0;
  for (;;) {
    at = b.find(record, at);
    ASSERT_NE(at, std::string::npos) << record << " not in " << path;
    const size_t header = b.rfind(std::string("PK\x03\x04", 4), at);
    if (header != std::string::npos && header + 30 + static_cast<uint16_t>(b[header + 26] & 0xff | (b[header + 27] & 0xff) << 8) == at + record.size()) {
      const size_t extra = static_cast<uint8_t>(b[header + 28]) | static_cast<uint8_t>(b[header + 29]) << 8;
      b[at + record.size() + extra + into] ^= 0x10;
      break;
    }
    at += record.size();
  }
  std::ofstream(path, std::ios::binary) << b;
}

void expect_damage_named(const std::function<void()>& load, const std::string& path, const std::string& record) {
  try {
    load();
    ADD_FAILURE() << "a damaged " << path << " was read";
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find(path + ": damaged file: record "), std::string::npos) << m;
    EXPECT_NE(m.find(record), std::string::npos) << m;
    EXPECT_NE(m.find("CRC-32"), std::string::npos) << m;
  }
}

FerModel saved_bundle(const std::string& path) {
  torch::manual_seed(1);
  FerModel model(test::small_spec("small_cnn"));
  BundleInfo info;
  info.spec = model->spec();
  info.class_names = {"a", "b", "c", "d", "e", "f", "g", "h"};
  save_bundle(path, model, info);
  return model;
}

TEST(HostileArchives, AFlippedByteInATensorOfABundleIsNamed) {
  test::TempDir tmp;
  const std::string path = tmp / "m.ferkit";
  saved_bundle(path);
  EXPECT_EQ(check_zip_records(path), ZipCheck::kIntact);
  EXPECT_NO_THROW(load_bundle(path));
  flip_byte_in_record(path, "data/0", 5);
  expect_damage_named([&] { load_bundle(path); }, path, "data/0");
  FerModel target(test::small_spec("small_cnn"));
  expect_damage_named([&] { load_pretrained(target, path, true); }, path, "data/0");
}

TEST(HostileArchives, AFlippedByteInTheBundlesPickleIsNamed) {
  test::TempDir tmp;
  const std::string path = tmp / "m.ferkit";
  saved_bundle(path);
  flip_byte_in_record(path, "data.pkl", 7);
  expect_damage_named([&] { load_bundle(path); }, path, "data.pkl");
}

TEST(HostileArchives, ADamagedCheckpointIsNamedBeforeResuming) {
  test::TempDir tmp;
  const std::string path = tmp / "last.pt";
  torch::manual_seed(3);
  FerModel model(test::small_spec("small_cnn"));
  torch::optim::SGD sgd(model->parameters(), torch::optim::SGDOptions(0.1));
  CheckpointState state;
  state.epoch = 3;
  save_checkpoint(path, model, sgd, state);
  EXPECT_NO_THROW(load_checkpoint(path, model, &sgd));
  flip_byte_in_record(path, "data/1", 3);
  expect_damage_named([&] { load_checkpoint(path, model, &sgd); }, path, "data/1");
}

TEST(HostileArchives, ATruncatedBundleIsNamed) {
  test::TempDir tmp;
  const std::string path = tmp / "m.ferkit";
  saved_bundle(path);
  const std::string b = read_text_file(path);
  // Cut inside the records but keep a copy of the end record, as a torn copy can: the directory
  // points past the end.
  const size_t end = b.rfind(std::string("PK\x05\x06", 4));
  std::ofstream(path, std::ios::binary) << b.substr(0, b.size() / 2) << b.substr(end);
  try {
    load_bundle(path);
    ADD_FAILURE() << "a truncated bundle was read";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(path + ": damaged file"), std::string::npos) << e.what();
  }
}

// A record renamed in the zip directory only (found by fuzz/: LibTorch's TorchScript loader then
// fails to find its code and calls std::terminate): the directory and the record disagree.
TEST(HostileArchives, ARecordRenamedInTheDirectoryIsNamed) {
  test::TempDir tmp;
  const std::string path = tmp / "m.ferkit";
  saved_bundle(path);
  std::string b = read_text_file(path);
  const size_t dir = b.find(std::string("PK\x01\x02", 4));
  ASSERT_NE(dir, std::string::npos);
  const size_t code = b.find("/code/", dir);
  ASSERT_NE(code, std::string::npos);
  b[code - 1] ^= 0x7f;  // the last letter of the archive's folder, in the directory's copy of one name
  std::ofstream(path, std::ios::binary) << b;
  try {
    load_bundle(path);
    ADD_FAILURE() << "a bundle with a renamed record was read";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(path + ": damaged file: record "), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("is named differently in the directory and in the record"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace ferkit
