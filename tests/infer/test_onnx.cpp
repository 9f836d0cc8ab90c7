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

}  // namespace
}  // namespace ferkit
