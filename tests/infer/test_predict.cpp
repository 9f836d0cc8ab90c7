// Prediction on images and videos: header sizes, face crops, the checks on bad input, folded and
// unfolded inference agreeing, videos frame by frame; and the HTTP API on a loopback port.
#include <atomic>
#include <thread>

#include <gtest/gtest.h>

#include "ferkit/data/image_header.h"
#include <httplib.h>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>
#include <torch/torch.h>

#include "ferkit/data/classes.h"
#include "ferkit/infer/predictor.h"
#include "ferkit/serve/server.h"
#include "serve/loopback_server.h"
#include "ferkit/util/error.h"
#include "test_util.h"

namespace ferkit {
namespace {

std::string encode(const cv::Mat& image, const std::string& ext) {
  std::vector<uchar> buf;
  EXPECT_TRUE(cv::imencode(ext, image, buf));
  return std::string(buf.begin(), buf.end());
}

// A face-like test image: a bright ellipse with dark eyes and mouth, 48 x 48 unless told.
cv::Mat face_image(int side = 48, int seed = 0) {
  cv::Mat m(side, side, CV_8UC1, cv::Scalar(60 + seed * 10));
  cv::ellipse(m, {side / 2, side / 2}, {side * 3 / 8, side * 7 / 16}, 0, 0, 360, cv::Scalar(200), cv::FILLED);
  cv::circle(m, {side * 3 / 8, side * 2 / 5}, side / 16 + 1, cv::Scalar(30), cv::FILLED);
  cv::circle(m, {side * 5 / 8, side * 2 / 5}, side / 16 + 1, cv::Scalar(30), cv::FILLED);
  cv::ellipse(m, {side / 2, side * 2 / 3}, {side / 6, side / 12 + seed % 3}, 0, 0, 180, cv::Scalar(40), 2);
  return m;
}

// A small bundle with random weights (and BatchNorm statistics, so folding matters).
std::string make_bundle(const test::TempDir& tmp) {
  torch::manual_seed(11);
  ModelSpec spec;
  spec.backbone.width = 0.25;
  FerModel model(spec);
  {
    torch::NoGradGuard ng;
    for (auto& m : model->modules(false))
      if (auto* bn = m->as<torch::nn::BatchNorm2d>()) bn->running_mean.normal_(0, 0.2), bn->running_var.uniform_(0.5, 2);
  }
  model->eval();
  BundleInfo info;
  info.spec = spec;
  info.class_names = emotion_names();
  info.provenance.image_size = 48;
  const std::string path = tmp / "model.ferkit";
  save_bundle(path, model, info);
  return path;
}

TEST(Predict, ReadsImageSizesFromHeaders) {
  const cv::Mat img(23, 37, CV_8UC3, cv::Scalar(1, 2, 3));
  for (const char* ext : {".png", ".jpg", ".bmp"}) {
    int w = 0, h = 0;
    ASSERT_TRUE(infer::image_header_size(encode(img, ext), w, h)) << ext;
    EXPECT_EQ(std::make_pair(w, h), std::make_pair(37, 23)) << ext;
  }
  int w = 0, h = 0;
  EXPECT_FALSE(infer::image_header_size("not an image at all", w, h));
  EXPECT_FALSE(infer::image_header_size(encode(img, ".png").substr(0, 10), w, h));  // cut short
}

TEST(Predict, CropsASquareWithAMarginAndReplicatesTheBorder) {
  cv::Mat img(100, 200, CV_8UC1, cv::Scalar(0));
  img(cv::Rect(0, 0, 40, 40)).setTo(255);
  // a 40x40 box in the corner, 25 % margin: a 60x60 square from (-10, -10), replicated border
  const cv::Mat crop = infer::crop_face(img, cv::Rect(0, 0, 40, 40), 0.25, 60);
  ASSERT_EQ(crop.size(), cv::Size(60, 60));
  EXPECT_EQ(crop.at<uchar>(0, 0), 255);    // replicated corner
  EXPECT_EQ(crop.at<uchar>(59, 59), 0);    // beyond the white square
  EXPECT_EQ(infer::crop_face(img, cv::Rect(50, 20, 40, 60), 0.0, 48).size(), cv::Size(48, 48));
  // A 1 x 200000 strip taken whole (an array through the API): its square would be 40 GB padded
  // at full size (fuzzing, array_input); shrunk first, it is a 48 x 48 crop of the strip's grey.
  const cv::Mat strip(1, 200000, CV_8UC1, cv::Scalar(77));
  const cv::Mat small = infer::crop_face(strip, cv::Rect(0, 0, strip.cols, strip.rows), 0.0, 48);
  ASSERT_EQ(small.size(), cv::Size(48, 48));
  EXPECT_EQ(small.at<uchar>(0, 0), 77);
  EXPECT_EQ(small.at<uchar>(47, 47), 77);
}

TEST(Predict, RefusesBadInputWithTheReason) {
  test::TempDir tmp;
  infer::PredictOptions o;
  o.detector.kind = "none";
  infer::Predictor p(make_bundle(tmp), o);
  auto error_of = [&](const std::string& bytes) {
    try {
      p.decode(bytes);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(error_of("").find("empty file (0 bytes)"), std::string::npos);
  EXPECT_NE(error_of(std::string("GIF89a\x10\x00\x10\x00", 10) + "and then no GIF").find("not an image that OpenCV can decode"),
            std::string::npos);
  EXPECT_NE(error_of(std::string(100, 'x')).find("not an image"), std::string::npos);
  // A PNG header that declares 30000 x 30000: refused before any pixel is allocated.
  std::string png = encode(cv::Mat(8, 8, CV_8UC1, cv::Scalar(0)), ".png");
  for (int at : {16, 20}) png[at] = 0, png[at + 1] = 0, png[at + 2] = char(30000 >> 8), png[at + 3] = char(30000 & 255);
  EXPECT_NE(error_of(png).find("30000x30000 pixels: larger than the limit"), std::string::npos) << error_of(png);
  // Reliability round 2, item 5: 6000 x 6000 at 16-bit RGBA is within the pixel limit but decodes
  // to 275 MB: refused by its decoded size (the same pixels as 8-bit gray are not).
  for (int at : {16, 20}) png[at] = 0, png[at + 1] = 0, png[at + 2] = char(6000 >> 8), png[at + 3] = char(6000 & 255);
  png[24] = 16, png[25] = 6;
  EXPECT_NE(error_of(png).find("6000x6000 pixels of 8 bytes each decode to 274 MB: larger than the limit of 256 MB"),
            std::string::npos) << error_of(png);
  EXPECT_EQ(image_header_bytes_per_pixel(png), 8);
  png[24] = 8, png[25] = 0;
  EXPECT_EQ(image_header_bytes_per_pixel(png), 1);
  infer::PredictOptions tight = o;  // the budget in flight holds at least one image
  tight.max_decoding_bytes = tight.max_decoded_bytes - 1;
  EXPECT_THROW(infer::Predictor(make_bundle(tmp), tight), Error);
  EXPECT_EQ(error_of(png).find("decode to"), std::string::npos) << error_of(png);
  // Round 2, item 18: a JPEG cut to a third is still predicted, with a warning that says so.
  cv::Mat face(48, 48, CV_8UC1);
  cv::randu(face, 0, 255);
  const std::string jpeg = encode(face, ".jpg");
  EXPECT_TRUE(p.predict_encoded(jpeg, "whole.jpg").warning.empty());
  const infer::ImagePrediction cut = p.predict_encoded(jpeg.substr(0, jpeg.size() / 3), "cut.jpg");
  EXPECT_TRUE(cut.error.empty()) << cut.error;
  EXPECT_NE(cut.warning.find("JPEG cut short"), std::string::npos) << cut.warning;
  EXPECT_EQ(infer::to_json(cut, p.info().class_names)["warning"], cut.warning);
  const std::string whole_png = encode(face, ".png");
  EXPECT_TRUE(image_truncation_warning(whole_png).empty());
  EXPECT_NE(image_truncation_warning(whole_png.substr(0, whole_png.size() - 12)).find("PNG cut short"), std::string::npos);
  const infer::ImagePrediction bad = p.predict_encoded("", "empty.png");
  EXPECT_FALSE(bad.error.empty());
  EXPECT_EQ(infer::to_json(bad, p.info().class_names)["error"], bad.error);
}

TEST(Predict, FoldedInferenceAgreesWithTheModulesAndFindsTheWholeCrop) {
  test::TempDir tmp;
  const std::string bundle = make_bundle(tmp);
  infer::PredictOptions o;
  o.detector.kind = "none";
  o.batch_size = 3;  // more images than a batch
  infer::Predictor folded(bundle, o);
  o.folded = false;
  infer::Predictor plain(bundle, o);
  std::vector<cv::Mat> images;
  std::vector<std::string> names;
  for (int i = 0; i < 7; ++i) images.push_back(face_image(48 + 16 * (i % 3), i)), names.push_back("img" + std::to_string(i));
  const auto a = folded.predict_gray_batch(images, names);
  const auto b = plain.predict_gray_batch(images, names);
  ASSERT_EQ(a.size(), 7u);
  for (size_t i = 0; i < a.size(); ++i) {
    ASSERT_EQ(a[i].faces.size(), 1u);
    EXPECT_EQ(a[i].faces[0].box, cv::Rect(0, 0, images[i].cols, images[i].rows));
    float sum = 0;
    for (size_t k = 0; k < 8; ++k) {
      EXPECT_NEAR(a[i].faces[0].probabilities[k], b[i].faces[0].probabilities[k], 1e-5);
      sum += a[i].faces[0].probabilities[k];
    }
    EXPECT_NEAR(sum, 1.0f, 1e-5);
  }
  // the encoded path gives the same as the decoded one
  const auto c = folded.predict_encoded(encode(images[0], ".png"), "x.png");
  EXPECT_NEAR(c.faces.at(0).probabilities[3], a[0].faces[0].probabilities[3], 1e-6);
}

TEST(Predict, DetectsFacesWithTheDefaultCascade) {
  test::TempDir tmp;
  infer::PredictOptions o;
  o.detector.kind = "haar";
  std::string cascade;
  try {
    cascade = infer::default_cascade_path();
  } catch (const Error& e) {
    GTEST_SKIP() << e.what();
  }
  infer::Predictor p(make_bundle(tmp), o);
  EXPECT_EQ(p.detector_source(), cascade);
  // a blank image has no face; the whole-image box is only for --detector none
  const auto none = p.predict_gray(cv::Mat(240, 320, CV_8UC1, cv::Scalar(128)), "blank");
  EXPECT_TRUE(none.faces.empty());
  infer::PredictOptions bad;
  bad.detector.kind = tmp / "missing.xml";
  EXPECT_THROW(infer::Predictor(make_bundle(tmp), bad), Error);
}

// A group picture: six real FER+ faces (FER2013Valid) enlarged to 180 px on a grey 780 x 520
// canvas, as in a photo of several people. The cascade must find each face, once, where it was
// pasted: the box centre within the middle half of the pasted square (45 px of its centre).
TEST(Predict, FindsEveryFaceOfAGroupPicture) {
  FERKIT_REQUIRE_FERPLUS(dir);
  try {
    infer::default_cascade_path();
  } catch (const Error& e) {
    GTEST_SKIP() << e.what();
  }
  const std::vector<std::string> files = {"fer0028640.png", "fer0028650.png", "fer0028700.png",
                                          "fer0028720.png", "fer0028800.png", "fer0028900.png"};
  cv::Mat group(520, 780, CV_8UC1, cv::Scalar(128));
  std::vector<cv::Point> centres;
  for (size_t i = 0; i < files.size(); ++i) {
    const cv::Mat face = cv::imread(dir + "/FER2013Valid/" + files[i], cv::IMREAD_GRAYSCALE);
    ASSERT_FALSE(face.empty()) << files[i];
    cv::Mat big;
    cv::resize(face, big, {180, 180}, 0, 0, cv::INTER_CUBIC);
    const cv::Point at(40 + static_cast<int>(i % 3) * 260, 40 + static_cast<int>(i / 3) * 260);
    big.copyTo(group(cv::Rect(at, big.size())));
    centres.push_back(at + cv::Point(90, 90));
  }
  test::TempDir tmp;
  infer::PredictOptions haar;
  haar.detector.kind = "haar";
  infer::Predictor p(make_bundle(tmp), haar);
  const auto r = p.predict_encoded(encode(group, ".jpg"), "group.jpg");
  ASSERT_TRUE(r.error.empty()) << r.error;
  EXPECT_EQ(r.faces.size(), files.size());
  std::vector<int> found(files.size(), 0);
  for (const auto& f : r.faces) {
    const cv::Point c(f.box.x + f.box.width / 2, f.box.y + f.box.height / 2);
    for (size_t i = 0; i < centres.size(); ++i)
      if (std::abs(c.x - centres[i].x) <= 45 && std::abs(c.y - centres[i].y) <= 45) ++found[i];
    EXPECT_GT(f.box.width, 100);  // a face, not a feature of one
  }
  EXPECT_EQ(found, std::vector<int>(files.size(), 1));
}

TEST(Predict, VideosFrameByFrame) {
  test::TempDir tmp;
  const std::string video = tmp / "clip.avi";
  {
    cv::VideoWriter w(video, cv::VideoWriter::fourcc('M', 'J', 'P', 'G'), 10, cv::Size(96, 96), true);
    ASSERT_TRUE(w.isOpened()) << "OpenCV cannot write MJPG AVI here";
    for (int f = 0; f < 25; ++f) {
      cv::Mat colour;
      cv::cvtColor(face_image(96, f % 5), colour, cv::COLOR_GRAY2BGR);
      w.write(colour);
    }
  }
  infer::PredictOptions o;
  o.detector.kind = "none";
  infer::Predictor p(make_bundle(tmp), o);
  std::vector<int64_t> frames;
  const int64_t n = infer::predict_video(p, video, 10, 0, [&](const infer::ImagePrediction& r, const cv::Mat& frame) {
    frames.push_back(r.frame);
    EXPECT_EQ(r.faces.size(), 1u);
    EXPECT_EQ(frame.cols, 96);
  });
  EXPECT_EQ(n, 3);
  EXPECT_EQ(frames, (std::vector<int64_t>{0, 10, 20}));
  EXPECT_EQ(infer::predict_video(p, video, 1, 4, [](const auto&, const auto&) {}), 4);
  test::write_file(tmp / "broken.avi", "RIFF....AVI not really");
  EXPECT_THROW(infer::predict_video(p, tmp / "broken.avi", 1, 0, [](const auto&, const auto&) {}), Error);
}

// The HTTP API on a free loopback port, in-process.
class Serve : public ::testing::Test {
 protected:
  void SetUp() override {
    serve::ServeOptions so;
    so.max_body_bytes = 200'000;
    so.workers = 8;
    server_ = std::make_unique<test::LoopbackServer>(make_bundle(tmp_), so);
    port_ = server_->port();
    predictor_ = &server_->predictor();
  }
  void TearDown() override { server_.reset(); }
  httplib::Client client() {
    httplib::Client c("127.0.0.1", port_);
    c.set_read_timeout(30, 0);
    return c;
  }
  test::TempDir tmp_;
  std::unique_ptr<test::LoopbackServer> server_;
  infer::Predictor* predictor_ = nullptr;
  int port_ = 0;
};

nlohmann::json json_of(const httplib::Result& r) {
  EXPECT_TRUE(r) << "no response";
  if (!r) return {};
  EXPECT_EQ(r->get_header_value("Content-Type"), "application/json") << r->status << " " << r->body;
  return nlohmann::json::parse(r->body);  // throws (fails the test) when not JSON
}

TEST_F(Serve, AnswersEveryRequestWithWellFormedJson) {
  auto c = client();
  const auto health = json_of(c.Get("/v1/health"));
  EXPECT_EQ(health["status"], "ok");
  const auto model = json_of(c.Get("/v1/model"));
  EXPECT_EQ(model["classes"].size(), 8u);
  EXPECT_EQ(model["input_size"], 48);
  EXPECT_EQ(model["architecture"]["backbone"]["name"], "small_cnn");

  const std::string png = encode(face_image(), ".png");
  auto r = c.Post("/v1/predict", png, "image/png");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  const auto pred = json_of(r);
  ASSERT_EQ(pred["faces"].size(), 1u);
  EXPECT_EQ(pred["faces"][0]["probabilities"].size(), 8u);
  // the same as the library says
  const auto direct = infer::to_json(predictor_->predict_encoded(png, "request"), predictor_->info().class_names);
  EXPECT_NEAR(pred["faces"][0]["confidence"].get<double>(), direct["faces"][0]["confidence"].get<double>(), 1e-6);

  httplib::MultipartFormDataItems form = {{"image", encode(face_image(64, 2), ".jpg"), "face.jpg", "image/jpeg"}};
  r = c.Post("/v1/predict", form);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(json_of(r)["source"], "face.jpg");

  struct Bad {
    std::string body, type;
    int status;
    std::string says;
  };
  for (const Bad& b : std::vector<Bad>{{"", "image/png", 400, "empty body"},
                                        {"this is not an image", "image/png", 422, "not an image"},
                                        {png, "text/plain", 415, "Content-Type 'text/plain'"},
                                        {std::string(300'000, 'x'), "image/png", 413, "over the limit"}}) {
    r = c.Post("/v1/predict", b.body, b.type);
    ASSERT_TRUE(r) << b.says;
    EXPECT_EQ(r->status, b.status) << b.says;
    EXPECT_NE(json_of(r)["error"].get<std::string>().find(b.says), std::string::npos) << r->body;
  }
  r = c.Get("/v1/nothing");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  EXPECT_NE(json_of(r)["error"].get<std::string>().find("no such endpoint"), std::string::npos);
  EXPECT_EQ(json_of(client().Get("/v1/health"))["status"], "ok");  // still alive
}

TEST_F(Serve, FiftyConcurrentClients) {
  std::vector<std::thread> clients;
  std::atomic<int> ok{0}, bad_ok{0};
  for (int i = 0; i < 50; ++i)
    clients.emplace_back([&, i] {
      httplib::Client c("127.0.0.1", port_);
      c.set_read_timeout(60, 0);
      c.set_connection_timeout(30, 0);
      const bool bad = i % 5 == 4;  // every fifth sends garbage
      const auto r = c.Post("/v1/predict", bad ? std::string("garbage") : encode(face_image(48 + i % 4 * 8, i % 5), ".png"), "image/png");
      if (!r) {
        std::printf("client %d: %s\n", i, httplib::to_string(r.error()).c_str());
        return;
      }
      const auto j = nlohmann::json::parse(r->body, nullptr, false);
      if (j.is_discarded()) return;
      if (!bad && r->status == 200 && j["faces"].size() == 1) ++ok;
      if (bad && r->status == 422 && j.contains("error")) ++bad_ok;
    });
  for (auto& t : clients) t.join();
  EXPECT_EQ(ok.load(), 40);
  EXPECT_EQ(bad_ok.load(), 10);
  const auto health = json_of(client().Get("/v1/health"));
  EXPECT_EQ(health["requests"], 50);
  EXPECT_GE(health["batches"].get<int64_t>(), 1);
}

}  // namespace
}  // namespace ferkit
