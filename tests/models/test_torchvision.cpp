// Conformance with torchvision: a state dict saved by PyTorch (zip and legacy torch.save formats)
// loads by name into ferkit's backbone, and the eval-mode logits agree within 1e-4.
#include <cstdlib>
#include <fstream>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "ferkit/models/pretrained.h"
#include "ferkit/models/torch_pickle.h"
#include "ferkit/util/error.h"
#include "test_util.h"

namespace ferkit {
namespace {

bool have_torchvision() {
  static const bool ok = std::system("/usr/bin/python3 -c 'import torch, torchvision' >/dev/null 2>&1") == 0;
  return ok;
}

at::Tensor read_floats(const std::string& path, std::vector<int64_t> shape) {
  std::ifstream in(path, std::ios::binary);
  const std::string b((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  at::Tensor t = torch::empty(shape);
  EXPECT_EQ(b.size(), static_cast<size_t>(t.numel()) * 4) << path;
  std::memcpy(t.data_ptr<float>(), b.data(), std::min<size_t>(b.size(), t.numel() * 4));
  return t;
}

class Torchvision : public ::testing::TestWithParam<std::string> {};

TEST_P(Torchvision, StateDictLoadsByNameAndLogitsMatch) {
  if (!have_torchvision()) GTEST_SKIP() << "/usr/bin/python3 with torch and torchvision not found; skipped";
  // "arch" or "arch:width"
  const std::string param = GetParam();
  const std::string arch = param.substr(0, param.find(':'));
  const double width = param.find(':') == std::string::npos ? 1.0 : std::stod(param.substr(param.find(':') + 1));
  test::TempDir tmp;
  const std::string script = std::string(FERKIT_SOURCE_DIR) + "/tests/models/make_torchvision_reference.py";
  ASSERT_EQ(std::system(("/usr/bin/python3 " + script + " " + arch + " " + tmp.str() + " 64 " + std::to_string(width)).c_str()), 0);
  const at::Tensor x = read_floats(tmp / (arch + "_input.bin"), {2, 3, 64, 64});
  const at::Tensor expected = read_floats(tmp / (arch + "_logits.bin"), {2, 8});
  for (const std::string file : {arch + ".pt", arch + "_legacy.pt"}) {
    ModelSpec spec;
    spec.backbone.name = arch;
    spec.backbone.in_channels = 3;
    spec.backbone.width = width;
    FerModel model(spec);
    const WeightsReport r = load_pretrained(model, tmp / file, false);
    EXPECT_TRUE(r.missing.empty() && r.unexpected.empty() && r.mismatched.empty()) << file;
    EXPECT_TRUE(r.skipped_classifier.empty()) << file;
    model->eval();
    torch::NoGradGuard ng;
    const at::Tensor got = model->forward(x);
    EXPECT_LE((got - expected).abs().max().item<double>(), 1e-4) << file;
  }
}

TEST(TorchPickle, RgbFirstConvolutionFoldsIntoGrayExactly) {
  if (!have_torchvision()) GTEST_SKIP() << "/usr/bin/python3 with torch and torchvision not found; skipped";
  test::TempDir tmp;
  const std::string script = std::string(FERKIT_SOURCE_DIR) + "/tests/models/make_torchvision_reference.py";
  ASSERT_EQ(std::system(("/usr/bin/python3 " + script + " resnet18 " + tmp.str() + " 32").c_str()), 0);
  ModelSpec rgb_spec, gray_spec;
  rgb_spec.backbone.name = gray_spec.backbone.name = "resnet18";
  rgb_spec.backbone.in_channels = 3;
  gray_spec.backbone.in_channels = 1;
  FerModel rgb(rgb_spec), gray(gray_spec);
  load_pretrained(rgb, tmp / "resnet18.pt", false);
  const WeightsReport r = load_pretrained(gray, tmp / "resnet18.pt", false);
  EXPECT_EQ(r.folded, std::vector<std::string>{"conv1.weight"});
  rgb->eval();
  gray->eval();
  torch::NoGradGuard ng;
  const at::Tensor x = torch::randn({2, 1, 48, 48});
  EXPECT_LE((rgb->forward(x.expand({2, 3, 48, 48})) - gray->forward(x)).abs().max().item<double>(), 1e-4);
}

INSTANTIATE_TEST_SUITE_P(Models, Torchvision, ::testing::Values("resnet18", "resnet34", "resnet50", "mobilenet_v2",
                                                                  "mobilenet_v2:0.35", "mobilenet_v2:1.4"),
                         [](const auto& info) {
                           std::string n = info.param;
                           for (char& c : n)
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           return n;
                         });

TEST(TorchPickle, MismatchesAreListedUnlessPartial) {
  if (!have_torchvision()) GTEST_SKIP() << "/usr/bin/python3 with torch and torchvision not found; skipped";
  test::TempDir tmp;
  const std::string script = std::string(FERKIT_SOURCE_DIR) + "/tests/models/make_torchvision_reference.py";
  ASSERT_EQ(std::system(("/usr/bin/python3 " + script + " resnet18 " + tmp.str() + " 32").c_str()), 0);
  ModelSpec spec;
  spec.backbone.name = "resnet34";  // resnet18's file lacks blocks of resnet34
  spec.backbone.in_channels = 3;
  FerModel model(spec);
  try {
    load_pretrained(model, tmp / "resnet18.pt", false);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("missing in the file"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("backbone.layer1.2.conv1.weight"), std::string::npos) << e.what();
  }
  const WeightsReport r = load_pretrained(model, tmp / "resnet18.pt", true);
  EXPECT_EQ(r.loaded.size(), 122u);  // every tensor of resnet18's file, fc included (it fits the 8-way head)
  EXPECT_FALSE(r.missing.empty());
}

TEST(TorchPickle, NotAWeightsFileIsAClearError) {
  test::TempDir tmp;
  test::write_file(tmp / "junk.pt", "this is not a pickle");
  EXPECT_THROW(load_torch_state_dict(tmp / "junk.pt"), Error);
  EXPECT_THROW(load_torch_state_dict(tmp / "missing.pt"), Error);
}

}  // namespace
}  // namespace ferkit
