// face_resnet: face-api's face-identity ResNet (face_recognition_model, a port of dlib's ResNet-29
// metric network trained on about 3 million faces), rebuilt exactly as @vladmandic/face-api 1.7.15
// runs it (src/faceRecognitionNet) so that its TF.js weights load by name and give the package's
// own outputs (tests/models/test_face_resnet.cpp, against Node.js references):
// - every convolution has a bias and is followed by a per-channel affine "scale" layer (dlib's
//   BatchNorm folded for inference), not by BatchNorm;
// - a 7x7 stride-2 'valid' stem and a 3x3 stride-2 'valid' max pool;
// - residual blocks conv-relu-conv + x, relu; down blocks start with a 3x3 stride-2 'valid'
//   convolution, and their shortcut is a 2x2 average pool whose channels are zero-padded; when the
//   two sides differ by a pixel, the residual side gets a zero row and column at the bottom right.
// Module names are face-api's ("conv64_down.conv1.conv.weight" is "conv64_down/conv1/conv/filters").
// The 128-d descriptor layer `fc` is not part of the backbone: ferkit's head replaces it.
// Stages: stem, conv32, conv64, conv128, conv256, conv256_down_out. The whole network needs an input
// of at least 103 px (face-api itself always runs at 150); smaller inputs must cut earlier
// (face_resnet_min_input): 48 px runs up to conv128, 64 px up to conv256.
#pragma once
#include <string>
#include <vector>

#include "ferkit/models/backbone.h"

namespace ferkit {

class FaceResNet : public Backbone {
 public:
  explicit FaceResNet(const BackboneSpec& spec);
  at::Tensor forward_features(const at::Tensor& x) override;  // (B,C,H,W) -> (B,256w,h,w)
  int64_t num_features() const override;
  std::vector<std::string> stage_names() const override;
  std::string stage_of(const std::string& name) const override;
  void cut_after(const std::string& stage) override;
  int to_graph(graph::GraphBuilder& graph, int input) override;

  struct Unit;  // one named residual (or plain) unit, defined in the .cpp

 private:
  std::vector<std::shared_ptr<Unit>> units_;  // in execution order, with their stage
  size_t kept_units_ = 0;
};

// The smallest square input the stages up to `cut_after` run on (103 whole, 55 up to conv256, 31 up to conv128).
int face_resnet_min_input(const std::string& cut_after = "");

}  // namespace ferkit
