// face_resnet with face-api's real weights (face_recognition_model) against the npm package's own
// 128-d descriptors (tests/data/faceapi/face_recognition.json, made in Node.js by
// scripts/faceapi-reference/make-reference.sh): a pattern and a real face at face-api's 150x150.
// Skipped without face-api's weights (scripts/fetch-face-api.sh, run by the install step).
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <torch/torch.h>

#include "ferkit/data/preprocess.h"
#include "ferkit/infer/graph.h"
#include "ferkit/models/face_resnet.h"
#include "ferkit/models/pretrained.h"
#include "ferkit/models/tfjs_weights.h"
#include "ferkit/train/config.h"
#include "ferkit/util/error.h"
#include "ferkit/util/fs.h"
#include "test_paths.h"

namespace ferkit {
namespace {
namespace fs = std::filesystem;

constexpr const char* kManifest = "face_recognition_model-weights_manifest.json";

std::string weights_or_empty() {
  try {
    return (fs::path(face_api_dir(kManifest)) / kManifest).string();
  } catch (const Error&) {
    return "";
  }
}

#define WEIGHTS_OR_SKIP(name)                                                                                   \
  const std::string name = weights_or_empty();                                                                  \
  if (name.empty()) GTEST_SKIP() << "face-api's weights are not installed (scripts/fetch-face-api.sh fetches them)"

nlohmann::json reference() {
  std::ifstream in(std::string(FERKIT_SOURCE_DIR) + "/tests/data/faceapi/face_recognition.json");
  return nlohmann::json::parse(in);
}

// 0-255 RGB (H, W, 3) as the model's input: (x - face-api's mean) / 255, through ferkit's preset.
at::Tensor model_input(const cv::Mat& rgb) {
  Preprocess pre;
  pre.channels = 3;
  pre.normalize = "face_api";
  at::Tensor x = torch::from_blob(rgb.data, {rgb.rows, rgb.cols, 3}, torch::kUInt8).to(torch::kFloat32).div(255);
  const auto mean = pre.mean(), sd = pre.stddev();
  x = (x - torch::tensor({mean[0], mean[1], mean[2]})) / torch::tensor({sd[0], sd[1], sd[2]});
  return x.permute({2, 0, 1}).unsqueeze(0).contiguous();
}

struct Loaded {
  FerModel model{nullptr};
  at::Tensor fc;  // (256, 128): face-api's descriptor layer, which ferkit's head replaces
};

Loaded load(const std::string& manifest, int channels = 3) {
  ModelSpec spec;
  spec.backbone.name = "face_resnet";
  spec.backbone.in_channels = channels;
  Loaded l{FerModel(spec), {}};
  const WeightsReport r = load_pretrained(l.model, manifest, false);
  EXPECT_EQ(r.loaded.size(), 116u);  // every tensor but fc
  EXPECT_EQ(r.skipped_classifier.size(), 1u);
  EXPECT_EQ(r.folded.size(), channels == 1 ? 1u : 0u);
  for (auto& [name, t] : read_tfjs_manifest_file(manifest))
    if (name == "fc") l.fc = t;
  l.model->eval();
  return l;
}

at::Tensor descriptor(Loaded& l, const at::Tensor& x) {
  torch::NoGradGuard no_grad;
  return torch::matmul(l.model->backbone()->forward_features(x).mean({2, 3}), l.fc).squeeze(0);
}

at::Tensor json_vector(const nlohmann::json& v) {
  std::vector<float> f = v.get<std::vector<float>>();
  return torch::tensor(f);
}

cv::Mat pattern_rgb(int side) {
  cv::Mat rgb(side, side, CV_8UC3);
  for (int y = 0; y < side; ++y)
    for (int x = 0; x < side; ++x)
      for (int c = 0; c < 3; ++c) rgb.at<cv::Vec3b>(y, x)[c] = static_cast<uint8_t>((x * 7 + y * 13 + c * 29 + ((x * y) % 17) * 5) % 256);
  return rgb;
}

// make-reference.sh's crop: messi5.jpg rows 82-141, columns 215-274, bilinear to 150x150, as RGB.
cv::Mat messi_face_rgb() {
  const cv::Mat photo = cv::imread("/usr/share/doc/opencv-doc/examples/data/messi5.jpg");
  if (photo.empty()) return {};
  cv::Mat face, rgb;
  cv::resize(photo(cv::Rect(215, 82, 60, 60)), face, cv::Size(150, 150), 0, 0, cv::INTER_LINEAR);
  cv::cvtColor(face, rgb, cv::COLOR_BGR2RGB);
  return rgb;
}

void expect_close(const at::Tensor& got, const at::Tensor& ref, const std::string& what) {
  ASSERT_EQ(got.sizes(), ref.sizes()) << what;
  const double worst = (got - ref).abs().max().item<double>();
  const double rel = ((got - ref).norm() / ref.norm()).item<double>();
  EXPECT_LT(worst, 2e-5) << what << ": largest difference from face-api's descriptor";
  EXPECT_LT(rel, 1e-4) << what << ": relative L2 difference";
}

TEST(FaceResNet, RealWeightsGiveFaceApisDescriptors) {
  WEIGHTS_OR_SKIP(manifest);
  Loaded l = load(manifest);
  const auto ref = reference();
  expect_close(descriptor(l, model_input(pattern_rgb(150))), json_vector(ref["pattern"]["descriptor"]), "pattern");
  const cv::Mat face = messi_face_rgb();
  if (face.empty()) GTEST_SKIP() << "opencv-doc's messi5.jpg is missing: the face part is skipped";
  ASSERT_EQ(ref["faces"][0]["file"], "messi5-face.ppm");
  const at::Tensor d = descriptor(l, model_input(face));
  expect_close(d, json_vector(ref["faces"][0]["descriptor"]), "messi5 face");
}

TEST(FaceResNet, InferenceGraphMatchesForwardWithTheRealWeights) {
  WEIGHTS_OR_SKIP(manifest);
  Loaded l = load(manifest);
  const cv::Mat face = messi_face_rgb();
  const at::Tensor x = face.empty() ? model_input(pattern_rgb(150)) : model_input(face);
  torch::NoGradGuard no_grad;
  const at::Tensor expected = l.model->forward(x);
  const at::Tensor got = infer::run_graph(infer::model_graph(*l.model, 150), x);
  EXPECT_LT((got - expected).abs().max().item<double>(), 1e-4);
}

TEST(FaceResNet, GrayInputFoldsTheRgbStem) {
  WEIGHTS_OR_SKIP(manifest);
  Loaded rgb = load(manifest, 3), gray = load(manifest, 1);
  // A gray image replicated to RGB: the folded 1-channel stem differs from the RGB one only by the
  // per-channel means it cannot keep apart (a constant per stem filter); descriptors stay close.
  cv::Mat g(150, 150, CV_8UC1), g3;
  cv::cvtColor(pattern_rgb(150), g, cv::COLOR_RGB2GRAY);
  cv::cvtColor(g, g3, cv::COLOR_GRAY2RGB);
  Preprocess pre;
  pre.channels = 1;
  pre.normalize = "face_api";
  const at::Tensor x1 = torch::from_blob(g.data, {1, 1, 150, 150}, torch::kUInt8).to(torch::kFloat32).div(255) - pre.mean()[0];
  const at::Tensor a = descriptor(rgb, model_input(g3)), b = descriptor(gray, x1);
  EXPECT_LT(((a - b).norm() / a.norm()).item<double>(), 0.2);
}

TEST(FaceResNet, SmallInputsNeedAnEarlierCut) {
  EXPECT_EQ(face_resnet_min_input(), 103);
  EXPECT_EQ(face_resnet_min_input("conv256"), 55);
  EXPECT_EQ(face_resnet_min_input("conv128"), 31);
  EXPECT_EQ(backbone_min_input("face_resnet", "conv128"), 31);
  EXPECT_EQ(backbone_min_input("small_cnn"), 8);
  EXPECT_THROW(face_resnet_min_input("conv512"), Error);

  ModelSpec spec;
  spec.backbone.name = "face_resnet";
  spec.backbone.width = 0.25;
  FerModel whole(spec);
  whole->eval();
  torch::NoGradGuard no_grad;
  try {
    whole->forward(torch::rand({1, 1, 64, 64}));
    ADD_FAILURE() << "a 64 px input ran through the whole network";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("at least 103 px"), std::string::npos) << e.what();
  }
  spec.cut_after = "conv256";
  FerModel cut(spec);
  cut->eval();
  EXPECT_EQ(cut->forward(torch::rand({2, 1, 64, 64})).sizes(), (std::vector<int64_t>{2, 8}));
  EXPECT_EQ(cut->backbone()->num_features(), 64);

  TrainConfig c;
  c.data = "data";  // validate_config checks values, not files
  c.out = "run";
  c.backbone = "face_resnet";
  c.input_size = 48;
  try {
    validate_config(c);
    ADD_FAILURE() << "input_size 48 was accepted for the whole face_resnet";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("needs input_size >= 103"), std::string::npos) << e.what();
  }
  c.cut_after = "conv128";
  EXPECT_NO_THROW(validate_config(c));
}

TEST(FaceResNet, ACutModelLoadsTheStagesItKeeps) {
  WEIGHTS_OR_SKIP(manifest);
  ModelSpec spec;
  spec.backbone.name = "face_resnet";
  spec.cut_after = "conv256";
  FerModel model(spec);
  const WeightsReport r = load_pretrained(model, manifest, false);  // no error for the cut stage
  EXPECT_EQ(r.loaded.size(), 108u);
  EXPECT_EQ(r.cut.size(), 8u);  // conv256_down_out's two convolutions and scales
  EXPECT_TRUE(r.missing.empty());
  EXPECT_EQ(r.cut.front().rfind("conv256_down_out/", 0) == 0 || r.cut.front().rfind("conv256_down_out.", 0) == 0, true) << r.cut.front();
}

TEST(FaceResNet, StagesNameFaceApisUnits) {
  ModelSpec spec;
  spec.backbone.name = "face_resnet";
  FerModel model(spec);
  const auto& b = *model->backbone();
  EXPECT_EQ(b.stage_names(), (std::vector<std::string>{"stem", "conv32", "conv64", "conv128", "conv256", "conv256_down_out"}));
  EXPECT_EQ(b.stage_of("conv32_down.conv.weight"), "stem");
  EXPECT_EQ(b.stage_of("conv64_down.conv1.scale.bias"), "conv64");
  EXPECT_EQ(b.stage_of("conv256_2.conv2.conv.weight"), "conv256");
  EXPECT_EQ(b.stage_of("conv256_down_out.conv1.conv.bias"), "conv256_down_out");
  EXPECT_EQ(b.num_features(), 256);
}

}  // namespace
}  // namespace ferkit
