// The tiny face detector rebuilt in LibTorch against face-api's own outputs
// (tests/data/faceapi/tiny_face_detector.json, made by scripts/faceapi-reference/make-reference.sh
// with the npm package in Node.js). Skipped without face-api's weights (scripts/fetch-face-api.sh,
// run by the install step) or, for the photos, without Debian's opencv-doc.
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include "ferkit/infer/tiny_face_detector.h"
#include "ferkit/util/error.h"
#include "test_paths.h"

namespace ferkit::infer {
namespace {

nlohmann::json reference() {
  std::ifstream in(std::string(FERKIT_SOURCE_DIR) + "/tests/data/faceapi/tiny_face_detector.json");
  return nlohmann::json::parse(in);
}

std::unique_ptr<TinyFaceDetector> detector_or_skip() {
  try {
    return std::make_unique<TinyFaceDetector>();
  } catch (const Error& e) {
    return nullptr;
  }
}

#define DETECTOR_OR_SKIP(name)                                                                               \
  auto name = detector_or_skip();                                                                            \
  if (!name) GTEST_SKIP() << "face-api's weights are not installed (scripts/fetch-face-api.sh fetches them)"

TEST(TinyFaceDetector, RawOutputMatchesFaceApiOnEveryCell) {
  DETECTOR_OR_SKIP(detector);
  const auto ref = reference()["pattern"];
  const int side = ref["side"];
  cv::Mat rgb(side, side, CV_8UC3);
  for (int y = 0; y < side; ++y)
    for (int x = 0; x < side; ++x)
      for (int c = 0; c < 3; ++c) rgb.at<cv::Vec3b>(y, x)[c] = static_cast<uint8_t>((x * 7 + y * 13 + c * 29 + ((x * y) % 17) * 5) % 256);
  const std::vector<float> mine = detector->raw_output(rgb);
  const auto& theirs = ref["values"];
  ASSERT_EQ(mine.size(), theirs.size());
  ASSERT_EQ(mine.size(), 13u * 13u * 25u);
  double worst = 0;
  for (size_t i = 0; i < mine.size(); ++i) {
    const double t = theirs[i].get<double>();
    worst = std::max(worst, std::abs(mine[i] - t) / (1.0 + std::abs(t)));
  }
  EXPECT_LT(worst, 2e-4) << "largest difference from face-api's output grid, relative to 1 + |value|";
}

cv::Mat reference_photo(const std::string& file) {
  const std::string data = "/usr/share/doc/opencv-doc/examples/data/";
  if (file == "messi5.pgm") return cv::imread(data + "messi5.jpg", cv::IMREAD_GRAYSCALE);
  cv::VideoCapture video(data + "Megamind.avi");
  cv::Mat frame, gray;
  for (int k = 0; k < 100; ++k) video.read(frame);
  if (!frame.empty()) cv::cvtColor(frame, gray, cv::COLOR_BGR2GRAY);
  return gray;
}

TEST(TinyFaceDetector, DetectionsMatchFaceApiOnRealPictures) {
  DETECTOR_OR_SKIP(detector);
  if (!std::filesystem::exists("/usr/share/doc/opencv-doc/examples/data/messi5.jpg"))
    GTEST_SKIP() << "needs Debian's opencv-doc (messi5.jpg, Megamind.avi)";
  int compared = 0;
  const nlohmann::json ref = reference();
  for (const auto& run : ref["photos"]) {
    const cv::Mat gray = reference_photo(run["file"]);
    ASSERT_FALSE(gray.empty()) << run["file"];
    ASSERT_EQ(gray.cols, run["width"].get<int>());
    TinyFaceOptions o;
    o.input_size = run["inputSize"];
    o.score_threshold = run["scoreThreshold"];
    const auto mine = detector->detect(gray, o);
    const auto& theirs = run["faces"];
    ASSERT_EQ(mine.size(), theirs.size()) << run["file"] << " at " << o.input_size;
    for (size_t k = 0; k < mine.size(); ++k, ++compared) {
      SCOPED_TRACE(run["file"].get<std::string>() + " at " + std::to_string(o.input_size) + ", face " + std::to_string(k));
      EXPECT_NEAR(mine[k].box.x, theirs[k]["x"].get<double>(), 0.05);
      EXPECT_NEAR(mine[k].box.y, theirs[k]["y"].get<double>(), 0.05);
      EXPECT_NEAR(mine[k].box.width, theirs[k]["width"].get<double>(), 0.05);
      EXPECT_NEAR(mine[k].box.height, theirs[k]["height"].get<double>(), 0.05);
      EXPECT_NEAR(mine[k].score, theirs[k]["score"].get<double>(), 1e-4);
    }
  }
  EXPECT_GE(compared, 3);
}

TEST(TinyFaceDetector, AMissingOrDamagedWeightsFolderIsNamed) {
  const auto dir = std::filesystem::temp_directory_path() / ("ferkit-tiny-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  try {
    TinyFaceDetector d(dir.string());
    FAIL() << "an empty folder was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("tiny_face_detector_model-weights_manifest.json"), std::string::npos) << e.what();
  }
  std::ofstream(dir / "tiny_face_detector_model-weights_manifest.json") << R"([{"paths": 5, "weights": []}])";
  try {
    TinyFaceDetector d(dir.string());
    FAIL() << "\"paths\": 5 was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("\"paths\" must be an array"), std::string::npos) << e.what();
  }
  std::ofstream(dir / "tiny_face_detector_model-weights_manifest.json")
      << R"([{"paths": ["x.bin"], "weights": [{"name": "conv0/filters", "shape": [4294967296, 4294967296, 4294967296, 16], "dtype": "float32"}]}])";
  std::ofstream(dir / "x.bin") << "1234";
  try {
    TinyFaceDetector d(dir.string());
    FAIL() << "an overflowing shape was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("too large"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("conv0/filters"), std::string::npos) << e.what();
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace ferkit::infer
