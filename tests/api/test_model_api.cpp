// The public C++ API (include/ferkit/model.h) against the Predictor behind `ferkit predict`: the
// same faces and probabilities, errors as ferkit::Error naming the input. (That the public
// headers need no LibTorch is the `public_headers` test.)
#include <filesystem>

#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>

#include "ferkit/infer/predictor.h"
#include "ferkit/model.h"
#include "ferkit/run/run_folder.h"
#include "test_util.h"

namespace ferkit {
namespace {

const char* kMessi = "/usr/share/doc/opencv-doc/examples/data/messi5.jpg";

TEST(ModelApi, PredictsAsThePredictorDoes) {
  if (!std::filesystem::exists(kMessi)) GTEST_SKIP() << "needs Debian's opencv-doc (messi5.jpg)";
  ModelOptions o;
  o.detector = "haar";  // installed everywhere the tests run; finds two faces here, one real
  const Model model("", o);
  EXPECT_EQ(model.path(), bundle_path_of(""));
  EXPECT_EQ(model.classes().size(), 8u);
  infer::PredictOptions po;
  po.detector.kind = "haar";
  infer::Predictor predictor(bundle_path_of(""), po);
  const auto expected = predictor.predict_encoded(test_read(kMessi), kMessi);
  // (a gray decode, as the CLI does: libjpeg's gray output differs slightly from colour + cvtColor)
  for (const PhotoResult& r : std::vector<PhotoResult>{model.predict_file(kMessi), model.predict_image(cv::imread(kMessi, cv::IMREAD_GRAYSCALE), kMessi),
                               model.predict_bytes(test_read(kMessi), kMessi)}) {
    ASSERT_EQ(r.faces.size(), expected.faces.size());
    ASSERT_FALSE(r.faces.empty());
    EXPECT_EQ(r.width, 548);
    for (size_t k = 0; k < r.faces.size(); ++k) {
      EXPECT_EQ(r.faces[k].box, expected.faces[k].box);
      ASSERT_EQ(r.faces[k].probabilities.size(), 8u);
      for (size_t c = 0; c < 8; ++c) EXPECT_NEAR(r.faces[k].probabilities[c].second, expected.faces[k].probabilities[c], 1e-6);
      EXPECT_EQ(r.faces[k].emotion, model.classes()[expected.faces[k].top]);
    }
  }
}

TEST(ModelApi, ErrorsAreFerkitErrorsNamingTheInput) {
  const Model model("", ModelOptions{"none"});
  try {
    model.predict_bytes("not an image", "upload.png");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("upload.png: not an image"), std::string::npos) << e.what();
  }
  EXPECT_THROW(model.predict_file("/nonexistent/face.png"), Error);
  EXPECT_THROW(Model("no-such-model"), Error);
  const cv::Mat face(48, 48, CV_8UC1, cv::Scalar(128));
  EXPECT_EQ(model.predict_image(face).faces.size(), 1u);  // detector none: the whole image is the face
}

}  // namespace
}  // namespace ferkit

namespace ferkit {
namespace {

// Reliability round 2, items 7 and 17: a device is refused, not read without end; a moved-from
// Model throws instead of crashing.
TEST(ModelApi, DevicesAndMovedFromModelsAreErrors) {
  Model model("", ModelOptions{"none"});
  for (const char* device : {"/dev/zero", "/dev/null"}) {
    try {
      model.predict_file(device);
      FAIL() << device << " was predicted";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("not a regular file"), std::string::npos) << e.what();
    }
  }
  Model taken = std::move(model);
  EXPECT_EQ(taken.classes().size(), 8u);
  EXPECT_THROW(model.classes(), Error);  // NOLINT(bugprone-use-after-move): the point of the test
  EXPECT_THROW(model.predict_bytes("x"), Error);
  EXPECT_THROW(model.path(), Error);
  model = std::move(taken);
  EXPECT_EQ(model.classes().size(), 8u);
}

// The options of the public API reach the predictor: a wider margin is another crop, so other
// probabilities for the same face.
TEST(ModelApi, MarginReachesThePredictor) {
  if (!std::filesystem::exists(kMessi)) GTEST_SKIP() << "needs Debian's opencv-doc (messi5.jpg)";
  ModelOptions tight, wide;
  tight.detector = wide.detector = "haar";
  tight.margin = 0.0;
  wide.margin = 0.4;
  const PhotoResult a = Model("", tight).predict_file(kMessi), b = Model("", wide).predict_file(kMessi);
  ASSERT_EQ(a.faces.size(), b.faces.size());
  ASSERT_FALSE(a.faces.empty());
  EXPECT_EQ(a.faces[0].box, b.faces[0].box);  // the same face found ...
  EXPECT_NE(a.faces[0].probabilities[0].second, b.faces[0].probabilities[0].second);  // ... cropped otherwise
}

}  // namespace
}  // namespace ferkit
