// ONNX export: every backbone of the registry, loaded back by OpenCV's DNN module, gives
// ferkit's logits (max abs error <= 1e-4); python3-onnx's checker accepts the file.
#include <cstdlib>
#include <filesystem>

#include <gtest/gtest.h>
#include <opencv2/dnn.hpp>
#include <torch/torch.h>

#include "ferkit/infer/graph.h"
#include "ferkit/infer/onnx_export.h"
#include "ferkit/models/model.h"
#include "model_fixtures.h"
#include "test_util.h"

namespace ferkit {
namespace {


bool python_onnx_available() { return std::system("/usr/bin/python3 -c 'import onnx' >/dev/null 2>&1") == 0; }

TEST(OnnxExport, OpenCvRunsEveryBackboneAsFerkitDoes) {
  test::TempDir tmp;
  const bool checker = python_onnx_available();
  if (!checker) std::printf("python3-onnx is missing: the ONNX checker part is skipped\n");
  torch::manual_seed(7);
  for (const auto& name : backbone_names()) {
    const ModelSpec spec = test::small_spec(name, "16");
    FerModel model(spec);
    test::randomize_norms(model);
    model->set_logit_adjustment(torch::randn({8}));
    model->eval();
    const int64_t size = test::test_input_size(name);
    const infer::Graph g = infer::model_graph(*model, size);
    const std::string file = tmp / (name + ".onnx");
    infer::OnnxMetadata meta{{{"input_size", size}}, {"a", "b", "c", "d", "e", "f", "g", "h"}, to_json(spec), "test"};
    infer::export_onnx(g, meta, file);

    const torch::Tensor x = torch::rand({2, spec.backbone.in_channels, size, size});
    torch::Tensor expected;
    {
      torch::NoGradGuard no_grad;
      expected = model->forward(x).contiguous();
    }
    cv::dnn::Net net = cv::dnn::readNetFromONNX(file);
    const int dims[4] = {2, static_cast<int>(spec.backbone.in_channels), static_cast<int>(size), static_cast<int>(size)};
    cv::Mat blob(4, dims, CV_32F, x.data_ptr<float>());
    net.setInput(blob, "image");
    const cv::Mat got = net.forward("logits");
    ASSERT_EQ(got.total(), static_cast<size_t>(expected.numel())) << name;
    const torch::Tensor got_t = torch::from_blob(const_cast<float*>(got.ptr<float>()), {2, 8}).clone();
    const float err = (got_t - expected).abs().max().item<float>();
    std::printf("%-20s OpenCV vs ferkit: max abs error %.2e\n", name.c_str(), err);
    EXPECT_LE(err, 1e-4) << name;
    const cv::Mat probs = net.forward("probabilities");
    const torch::Tensor p = torch::from_blob(const_cast<float*>(probs.ptr<float>()), {2, 8}).clone();
    EXPECT_LE((p - torch::softmax(expected, 1)).abs().max().item<float>(), 1e-5) << name;

    if (checker) {
      const std::string cmd = "/usr/bin/python3 -c \"import onnx, sys; m = onnx.load(sys.argv[1]); onnx.checker.check_model(m, full_check=True); "
                              "assert {p.key for p in m.metadata_props} >= {'ferkit.preprocess', 'ferkit.classes', 'ferkit.model'}\" " + file;
      EXPECT_EQ(std::system(cmd.c_str()), 0) << "onnx.checker rejects " << file;
    }
  }
}

TEST(OnnxExport, OpenCvRunsAnEnsembleAsFerkitDoes) {
  test::TempDir tmp;
  torch::manual_seed(8);
  FerModel model = test::small_ensemble();
  model->set_logit_adjustment(torch::randn({8}));  // its own, besides the members'
  const infer::Graph g = infer::model_graph(*model, 48);
  const std::string file = tmp / "ensemble.onnx";
  infer::OnnxMetadata meta{{{"input_size", 48}}, {"a", "b", "c", "d", "e", "f", "g", "h"}, to_json(model->spec()), "test"};
  infer::export_onnx(g, meta, file);
  torch::Tensor x = torch::rand({2, 1, 48, 48});
  torch::Tensor expected;
  {
    torch::NoGradGuard no_grad;
    expected = model->forward(x).contiguous();
  }
  cv::dnn::Net net = cv::dnn::readNetFromONNX(file);
  const int dims[4] = {2, 1, 48, 48};
  net.setInput(cv::Mat(4, dims, CV_32F, x.data_ptr<float>()), "image");
  const cv::Mat got = net.forward("logits");
  ASSERT_EQ(got.total(), 16u);
  const torch::Tensor got_t = torch::from_blob(const_cast<float*>(got.ptr<float>()), {2, 8}).clone();
  EXPECT_LE((got_t - expected).abs().max().item<float>(), 1e-4);
  if (python_onnx_available()) {
    const std::string cmd = "/usr/bin/python3 -c \"import onnx, sys; m = onnx.load(sys.argv[1]); onnx.checker.check_model(m, full_check=True); "
                            "ops = [n.op_type for n in m.graph.node]; assert ops.count('Softmax') == 4 and 'Sum' in ops and 'Log' in ops, ops\" " + file;
    EXPECT_EQ(std::system(cmd.c_str()), 0) << "onnx.checker rejects " << file;
  }
}

}  // namespace
}  // namespace ferkit
