// The three data layouts on small data sets made here, and every kind of bad input the readers
// must reject with file, line and problem (or count and skip under --skip-bad).
#include <filesystem>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>
#include <torch/torch.h>

#include "ferkit/data/dataset.h"
#include "ferkit/util/error.h"
#include "test_util.h"

namespace ferkit {
namespace {
namespace fs = std::filesystem;
using test::TempDir;
using test::write_file;

// A 48x48 image whose pixels encode its id, so tests can check which image landed where.
cv::Mat id_image(int id, int size = 48) {
  cv::Mat m(size, size, CV_8U);
  for (int y = 0; y < size; ++y)
    for (int x = 0; x < size; ++x) m.at<uint8_t>(y, x) = static_cast<uint8_t>((id * 7 + x + y) % 256);
  return m;
}

// A FER+ folder split with n images; votes row i: 10 votes for class i % 8.
void make_ferplus_split(const std::string& dir, int n, int first_id = 0) {
  fs::create_directories(dir);
  std::string csv;
  for (int i = 0; i < n; ++i) {
    const std::string name = fmt::format("fer{:07d}.png", first_id + i);
    cv::imwrite(dir + "/" + name, id_image(first_id + i));
    std::array<int, 10> v{};
    v[i % 8] = 10;
    csv += fmt::format("{},\"(0, 0, 48, 48)\",{}\n", name, fmt::join(v, ","));
  }
  write_file(dir + "/label.csv", csv);
}

void write_png(const std::string& path, const cv::Mat& img) {
  fs::create_directories(fs::path(path).parent_path());
  ASSERT_TRUE(cv::imwrite(path, img)) << path;
}

std::string error_of(const std::string& root, LoadOptions options = {}) {
  try {
    load_dataset(root, options);
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(FerPlusFolders, ReadsImagesVotesAndSplitNames) {
  TempDir tmp;
  make_ferplus_split(tmp / "FER2013Train", 16);
  make_ferplus_split(tmp / "FER2013Valid", 8, 100);
  EXPECT_EQ(detect_layout(tmp.str()), Layout::kFerPlusFolders);
  const Dataset ds = load_dataset(tmp.str());
  ASSERT_EQ(ds.splits.size(), 2u);
  const Split& train = ds.split("train");
  EXPECT_EQ(train.size(), 16);
  EXPECT_EQ(train.images.sizes(), (std::vector<int64_t>{16, 48, 48}));
  EXPECT_EQ(train.images.dtype(), torch::kUInt8);
  // image 5 is where row 5 says, byte for byte
  cv::Mat expected = id_image(5);
  EXPECT_TRUE(torch::equal(train.images[5], torch::from_blob(expected.data, {48, 48}, torch::kUInt8)));
  EXPECT_EQ(train.votes[5][5].item<int>(), 10);
  EXPECT_EQ(ds.split("valid").files[0], "fer0000100.png");
  EXPECT_THROW(ds.split("test"), Error);
  const auto counts = label_split(train, LabelMode::kMajority).class_counts();
  for (int c = 0; c < 8; ++c) EXPECT_EQ(counts[c], 2);
}

TEST(FerPlusFolders, FaceBoxIsCroppedAndResized) {
  TempDir tmp;
  fs::create_directories(tmp / "FER2013Train");
  cv::Mat img(64, 64, CV_8U, cv::Scalar(0));
  img(cv::Rect(8, 8, 32, 32)).setTo(200);
  cv::imwrite(tmp / "FER2013Train/a.png", img);
  write_file(tmp / "FER2013Train/label.csv", "a.png,\"(8, 8, 32, 32)\",10,0,0,0,0,0,0,0,0,0\n");
  const Dataset ds = load_dataset(tmp.str());
  EXPECT_EQ(ds.split("train").images.min().item<int>(), 200);  // only the box, brought to 48x48
  write_file(tmp / "FER2013Train/label.csv", "a.png,\"(40, 40, 32, 32)\",10,0,0,0,0,0,0,0,0,0\n");
  EXPECT_NE(error_of(tmp.str()).find("outside the 64x64 image"), std::string::npos);
}

struct BadCase {
  const char* name;
  std::string label_row;      // replaces row 3 (line 3) of label.csv
  const char* expect;         // part of the message
};

void PrintTo(const BadCase& c, std::ostream* os) { *os << c.name; }

class FerPlusBadRow : public ::testing::TestWithParam<BadCase> {};

TEST_P(FerPlusBadRow, NamesFileLineAndProblemOrSkipsWithCount) {
  TempDir tmp;
  const std::string dir = tmp / "FER2013Train";
  make_ferplus_split(dir, 6);
  std::string csv = test_read(dir + "/label.csv");
  std::vector<std::string> lines;
  std::stringstream ss(csv);
  for (std::string l; std::getline(ss, l);) lines.push_back(l);
  lines[2] = GetParam().label_row;
  std::string rebuilt;
  for (const auto& l : lines) rebuilt += l + "\n";
  write_file(dir + "/label.csv", rebuilt);

  const std::string msg = error_of(tmp.str());
  EXPECT_NE(msg.find(dir + "/label.csv:3:"), std::string::npos) << msg;
  EXPECT_NE(msg.find(GetParam().expect), std::string::npos) << msg;

  LoadOptions skip;
  skip.skip_bad = true;
  const Dataset ds = load_dataset(tmp.str(), skip);
  EXPECT_EQ(ds.report.skipped, 1);
  EXPECT_EQ(ds.split("train").size(), 5);
  EXPECT_EQ(ds.split("train").files[2], "fer0000003.png");  // the rows after it moved up
}

INSTANTIATE_TEST_SUITE_P(
    Readers, FerPlusBadRow,
    ::testing::Values(
        BadCase{"truncated", "fer0000002.png,\"(0, 0, 48, 48)\",0,0,10,0", "expected 12"},
        BadCase{"nine_votes", "fer0000002.png,\"(0, 0, 48, 48)\",0,0,10,0,0,0,0,0,0", "row has 11 fields"},
        BadCase{"letter_vote", "fer0000002.png,\"(0, 0, 48, 48)\",0,0,x,0,0,0,0,0,0,0", "'x' (expected an integer)"},
        BadCase{"negative_vote", "fer0000002.png,\"(0, 0, 48, 48)\",0,0,-1,0,0,0,0,0,0,0", "negative"},
        BadCase{"open_quote", "fer0000002.png,\"(0, 0, 48, 48),0,0,10,0,0,0,0,0,0,0", "unterminated"},
        BadCase{"bad_box", "fer0000002.png,\"(0, 0, 48)\",0,0,10,0,0,0,0,0,0,0", "has 3 numbers"},
        BadCase{"missing_png", "nothere.png,\"(0, 0, 48, 48)\",0,0,10,0,0,0,0,0,0,0", "does not exist"}),
    [](const auto& info) { return std::string(info.param.name); });

// A label.csv saved with a UTF-8 byte-order mark reads as without; a NUL byte inside a row (which
// would read as the end of a vote count or a name) is an error naming the file and line, or a
// counted skip with --skip-bad.
TEST(FerPlusFolders, ByteOrderMarkIsStrippedAndNulBytesAreRejected) {
  test::TempDir tmp;
  make_ferplus_split(tmp / "FER2013Train", 8);
  make_ferplus_split(tmp / "FER2013Valid", 4, 100);
  const std::string csv_path = tmp / "FER2013Train/label.csv";
  const std::string csv = test_read(csv_path);
  write_file(csv_path, "\xEF\xBB\xBF" + csv);
  const Dataset ds = load_dataset(tmp.str());
  EXPECT_EQ(ds.split("train").size(), 8);
  EXPECT_EQ(ds.split("train").files[0], "fer0000000.png");

  std::string damaged = csv;
  const size_t row3 = damaged.find("fer0000002.png");
  damaged[damaged.find(",10,", row3) + 2] = '\0';  // "10" becomes "1\0" in row 3
  write_file(csv_path, damaged);
  EXPECT_NE(error_of(tmp.str()).find("FER2013Train/label.csv:3: a NUL byte in the row"), std::string::npos) << error_of(tmp.str());
  LoadOptions skip;
  skip.skip_bad = true;
  const Dataset kept = load_dataset(tmp.str(), skip);
  EXPECT_EQ(kept.split("train").size(), 7);
  EXPECT_EQ(kept.report.skipped, 1);
}

// A small PNG whose header declares 100000 x 100000 pixels is refused from its header, with the
// label.csv line that names it, before anything is allocated; --skip-bad skips it.
TEST(FerPlusFolders, AnImageDeclaringTooManyPixelsIsRefusedBeforeDecoding) {
  test::TempDir tmp;
  make_ferplus_split(tmp / "FER2013Train", 8);
  std::string png = test_read(tmp / "FER2013Train/fer0000003.png");
  for (int k : {16, 20}) {  // IHDR width and height, big-endian: 100000 = 0x000186A0
    png[k] = 0, png[k + 1] = 1, png[k + 2] = static_cast<char>(0x86), png[k + 3] = static_cast<char>(0xA0);
  }
  write_file(tmp / "FER2013Train/fer0000003.png", png);
  const std::string e = error_of(tmp.str());
  EXPECT_NE(e.find("FER2013Train/label.csv:4: image"), std::string::npos) << e;
  EXPECT_NE(e.find("declares 100000x100000 pixels, more than the limit of 40000000"), std::string::npos) << e;
  LoadOptions skip;
  skip.skip_bad = true;
  EXPECT_EQ(load_dataset(tmp.str(), skip).split("train").size(), 7);
}

TEST(FerPlusFolders, CorruptEmptyAndWrongSizeImages) {
  TempDir tmp;
  const std::string dir = tmp / "FER2013Train";
  make_ferplus_split(dir, 4);
  write_file(dir + "/fer0000001.png", "\x89PNG\r\n\x1a\n garbage");
  EXPECT_NE(error_of(tmp.str()).find("label.csv:2: image " + dir + "/fer0000001.png cannot be decoded"), std::string::npos)
      << error_of(tmp.str());
  write_file(dir + "/fer0000001.png", "");
  EXPECT_NE(error_of(tmp.str()).find("is empty (0 bytes)"), std::string::npos) << error_of(tmp.str());
  // smaller than its face box (0, 0, 48, 48)
  cv::imwrite(dir + "/fer0000001.png", id_image(1, 32));
  const std::string msg = error_of(tmp.str());
  EXPECT_NE(msg.find("label.csv:2: face box (0, 0, 48, 48) is outside the 32x32 image " + dir + "/fer0000001.png"),
            std::string::npos)
      << msg;
}

TEST(ClassFolders, WrongSizeIsAnErrorUnlessResized) {
  TempDir tmp;
  write_png(tmp / "train/fear/a.png", id_image(1));
  write_png(tmp / "train/fear/b.png", id_image(2, 64));
  const std::string msg = error_of(tmp.str());
  EXPECT_NE(msg.find(tmp / "train/fear/b.png" + ": image " + tmp / "train/fear/b.png" + " is 64x64, expected 48x48"),
            std::string::npos)
      << msg;
  LoadOptions resize;
  resize.resize = true;
  EXPECT_EQ(load_dataset(tmp.str(), resize).split("train").size(), 2);
}

TEST(FerPlusFolders, EmptySplitIsAnError) {
  TempDir tmp;
  make_ferplus_split(tmp / "FER2013Train", 3);
  write_file(tmp / "FER2013Valid/label.csv", "");
  const std::string msg = error_of(tmp.str());
  EXPECT_NE(msg.find("FER2013Valid/label.csv"), std::string::npos) << msg;
  EXPECT_NE(msg.find("'valid' has no usable images"), std::string::npos) << msg;
}

TEST(Layout, AFolderThatMatchesNoLayoutIsAnError) {
  TempDir tmp;
  write_file(tmp / "notes.txt", "hello");
  const std::string msg = error_of(tmp.str());
  EXPECT_NE(msg.find("matches no known data layout"), std::string::npos) << msg;
  EXPECT_NE(error_of(tmp / "does-not-exist").find("not a folder"), std::string::npos);
  LoadOptions bad;
  bad.layout = "zip";
  EXPECT_NE(error_of(tmp.str(), bad).find("unknown layout 'zip'"), std::string::npos);
}

// fer2013.csv + fer2013new.csv, written from the same images as a FER+ folder.
void make_fer2013_csv(const std::string& root, int n, bool blank_name_row) {
  std::string pixels = "emotion,pixels,Usage\n", votes = "Usage,Image name,neutral,happiness,surprise,sadness,anger,disgust,fear,contempt,unknown,NF\n";
  for (int i = 0; i < n; ++i) {
    const cv::Mat img = id_image(i);
    std::string px;
    for (int k = 0; k < 48 * 48; ++k) px += (k ? " " : "") + std::to_string(img.data[k]);
    const char* usage = i < n / 2 ? "Training" : (i % 2 ? "PublicTest" : "PrivateTest");
    pixels += fmt::format("{},{},{}\n", 0, px, usage);
    std::array<int, 10> v{};
    v[i % 8] = 10;
    const std::string name = (blank_name_row && i == 1) ? "" : fmt::format("fer{:07d}.png", i);
    votes += fmt::format("{},{},{}\n", usage, name, fmt::join(v, ","));
  }
  write_file(root + "/fer2013.csv", pixels);
  write_file(root + "/fer2013new.csv", votes);
}

TEST(Fer2013Csv, ReadsSplitsByUsageAndSkipsRowsFerPlusDropped) {
  TempDir tmp;
  make_fer2013_csv(tmp.str(), 12, true);
  EXPECT_EQ(detect_layout(tmp.str()), Layout::kFer2013Csv);
  const Dataset ds = load_dataset(tmp.str());
  EXPECT_EQ(ds.split("train").size(), 5);  // rows 0..5, row 1 has no FER+ name
  EXPECT_EQ(ds.split("valid").size(), 3);
  EXPECT_EQ(ds.split("test").size(), 3);
  const cv::Mat expected = id_image(2);
  EXPECT_TRUE(torch::equal(ds.split("train").images[1], torch::from_blob(expected.data, {48, 48}, torch::kUInt8)));
  EXPECT_EQ(ds.split("train").votes[1][2].item<int>(), 10);
}

TEST(Fer2013Csv, BadRowsNameTheFileAndLine) {
  TempDir tmp;
  make_fer2013_csv(tmp.str(), 6, false);
  std::string csv = test_read(tmp / "fer2013.csv");
  // line 3 (row 2): cut the pixel list short
  auto line3 = csv.find('\n', csv.find('\n') + 1) + 1;
  csv.replace(line3, csv.find(',', line3 + 2) - line3, "0,1 2 3");
  write_file(tmp / "fer2013.csv", csv);
  const std::string msg = error_of(tmp.str());
  EXPECT_NE(msg.find("fer2013.csv:3: row has 3 pixels, expected 2304"), std::string::npos) << msg;
  LoadOptions skip;
  skip.skip_bad = true;
  EXPECT_EQ(load_dataset(tmp.str(), skip).report.skipped, 1);

  make_fer2013_csv(tmp.str(), 6, false);
  std::string votes = test_read(tmp / "fer2013new.csv");
  votes.replace(votes.rfind(",0\n"), 3, "\n");  // last row: 9 votes
  write_file(tmp / "fer2013new.csv", votes);
  EXPECT_NE(error_of(tmp.str()).find("fer2013new.csv:7: row has 11 fields, expected 12"), std::string::npos)
      << error_of(tmp.str());
}

TEST(ClassFolders, ReadsClassesAndAliasesAndRejectsUnknownFolders) {
  TempDir tmp;
  for (const char* cls : {"happy", "neutral", "sad"})
    for (int i = 0; i < 3; ++i) write_png(tmp / fmt::format("train/{}/{}.png", cls, i), id_image(i));
  write_png(tmp / "val/angry/0.jpg", id_image(0));
  write_file(tmp / "train/happy/readme.txt", "not an image: ignored");
  EXPECT_EQ(detect_layout(tmp.str()), Layout::kClassFolders);
  const Dataset ds = load_dataset(tmp.str());
  const auto counts = label_split(ds.split("train"), LabelMode::kMajority).class_counts();
  EXPECT_EQ(counts[0], 3);  // neutral
  EXPECT_EQ(counts[1], 3);  // happy -> happiness
  EXPECT_EQ(counts[3], 3);  // sad -> sadness
  EXPECT_EQ(label_split(ds.split("valid"), LabelMode::kProbability).labels[0].item<int64_t>(), 4);  // angry -> anger

  fs::create_directories(tmp / "train/bored");
  const std::string msg = error_of(tmp.str());
  EXPECT_NE(msg.find("unknown class folder 'bored'"), std::string::npos) << msg;
  EXPECT_NE(msg.find(tmp / "train/bored"), std::string::npos) << msg;
}

TEST(ClassFolders, EmptySplitIsAnError) {
  TempDir tmp;
  fs::create_directories(tmp / "train/happy");
  write_file(tmp / "train/happy/notes.txt", "no images here");
  EXPECT_NE(error_of(tmp.str()).find("split 'train' has no images"), std::string::npos) << error_of(tmp.str());
}

}  // namespace
}  // namespace ferkit
