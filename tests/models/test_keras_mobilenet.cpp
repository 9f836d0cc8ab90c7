// keras_mobilenet_v2 with the real ImageNet weights of ../shared (TensorFlow.js export) against
// the TensorFlow.js reference outputs there, within the reference's stated float32 tolerance.
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "ferkit/data/augment.h"
#include "ferkit/models/keras_mobilenet_v2.h"
#include "ferkit/models/pretrained.h"
#include "test_util.h"

namespace ferkit {
namespace {
namespace fs = std::filesystem;

std::string keras_dir() {
  const auto p = fs::path(FERKIT_SOURCE_DIR) / ".." / "shared" / "weights" / "keras-mobilenet_v2_0.35-imagenet";
  return fs::exists(p / "model.json") ? p.string() : "";
}

at::Tensor read_ref(const std::string& file, std::vector<int64_t> shape) {
  std::ifstream in(keras_dir() + "/reference/" + file, std::ios::binary);
  const std::string b((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  at::Tensor t = torch::empty(shape);
  EXPECT_EQ(b.size(), static_cast<size_t>(t.numel() * 4)) << file;
  std::memcpy(t.data_ptr<float>(), b.data(), std::min<size_t>(b.size(), t.numel() * 4));
  return t;
}

double rel_l2(const at::Tensor& got, const at::Tensor& ref) { return ((got - ref).norm() / ref.norm()).item<double>(); }

TEST(KerasMobileNetV2, RealWeightsMatchTensorFlowJs) {
  if (keras_dir().empty()) GTEST_SKIP() << "../shared/weights/keras-mobilenet_v2_0.35-imagenet not found; skipped";
  ModelSpec spec;
  spec.backbone.name = "keras_mobilenet_v2";
  spec.backbone.width = 0.35;
  spec.backbone.in_channels = 3;
  FerModel model(spec);
  const WeightsReport r = load_pretrained(model, keras_dir(), false);
  EXPECT_EQ(r.loaded.size(), 260u);  // the whole base; the toy dense head is left out
  EXPECT_EQ(r.skipped_classifier.size(), 3u);
  model->eval();
  torch::NoGradGuard ng;
  auto* net = dynamic_cast<KerasMobileNetV2*>(model->backbone().get());
  ASSERT_NE(net, nullptr);
  for (const char* which : {"a", "b", "c"}) {
    const at::Tensor x = read_ref(std::string("input_") + which + ".bin", {1, 224, 224, 3}).permute({0, 3, 1, 2});
    const at::Tensor pooled = net->forward_features(x).mean({2, 3});
    const at::Tensor ref = read_ref(std::string("pooled_") + which + ".bin", {1, 1280});
    EXPECT_TRUE(((pooled - ref).abs() <= 1e-4 + 1e-4 * ref.abs()).all().item<bool>())
        << which << ": max abs diff " << (pooled - ref).abs().max().item<double>();
    EXPECT_LE(rel_l2(pooled, ref), 1e-5) << which;
  }
  const at::Tensor xa = read_ref("input_a.bin", {1, 224, 224, 3}).permute({0, 3, 1, 2});
  struct Probe { const char* stage; const char* file; int64_t hw, c; };
  for (const Probe& p : {Probe{"block_1", "block_1_project_BN_a.bin", 56, 8}, Probe{"block_3", "block_3_project_BN_a.bin", 28, 16},
                         Probe{"block_6", "block_6_project_BN_a.bin", 14, 24}, Probe{"block_13", "block_13_project_BN_a.bin", 7, 56},
                         Probe{"block_16", "block_16_project_BN_a.bin", 7, 112}}) {
    const at::Tensor got = net->forward_until(xa, p.stage).permute({0, 2, 3, 1});
    const at::Tensor ref = read_ref(p.file, {1, p.hw, p.hw, p.c});
    EXPECT_TRUE(((got - ref).abs() <= 1e-4 * torch::clamp_min(ref.abs(), 1.0)).all().item<bool>())
        << p.stage << ": max abs diff " << (got - ref).abs().max().item<double>();
  }
  const at::Tensor out = net->forward_features(xa).permute({0, 2, 3, 1});
  EXPECT_LE(rel_l2(out, read_ref("out_relu_a.bin", {1, 7, 7, 1280})), 1e-5);
}

// ferkit's evaluation preprocessing (48x48 gray -> 224x224, Keras scaling, gray replicated to RGB)
// against the reference's: TF.js resizeBilinear with half-pixel centres and edge clamping.
TEST(KerasMobileNetV2, EvalPreprocessingMatchesTensorFlowJsResize) {
  if (keras_dir().empty()) GTEST_SKIP() << "../shared/weights/keras-mobilenet_v2_0.35-imagenet not found; skipped";
  Preprocess pre;
  pre.input_size = 224;
  pre.channels = 3;
  pre.normalize = "keras";
  for (const char* which : {"b", "c"}) {
    std::ifstream in(keras_dir() + "/reference/input_" + which + "_gray48x48_u8.raw", std::ios::binary);
    std::string raw((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    ASSERT_EQ(raw.size(), 48u * 48u);
    const cv::Mat gray(48, 48, CV_8U, raw.data());
    at::Tensor got = torch::empty({3, 224, 224});
    Rng rng(0);
    augment_image(gray, AugmentConfig{}, pre, /*train=*/false, rng, got.data_ptr<float>());
    const at::Tensor ref = read_ref(std::string("input_") + which + ".bin", {1, 224, 224, 3}).permute({0, 3, 1, 2})[0];
    EXPECT_LE((got - ref).abs().max().item<double>(), 1e-5) << which;
  }
}

}  // namespace
}  // namespace ferkit
