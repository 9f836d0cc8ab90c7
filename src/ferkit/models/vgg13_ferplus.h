// vgg13_ferplus: the convolutional part of the FER+ paper's VGG13 (Barsoum et al. 2016) for
// 64x64 gray input: 3x3 conv-ReLU pairs/triples at 64, 128, 256, 256 channels, each stage
// followed by 2x2 max-pooling and dropout 0.25; no BatchNorm, as in the paper. The paper's
// classifier (two 1024-unit layers with dropout 0.5) is ferkit's head: --head 1024,1024,dropout=0.5.
#pragma once
#include "ferkit/models/staged_backbone.h"

namespace ferkit {

class Vgg13FerPlus : public StagedBackbone {  // (B,C,64,64) -> (B,256,4,4)
 public:
  explicit Vgg13FerPlus(const BackboneSpec& spec);
};

}  // namespace ferkit
