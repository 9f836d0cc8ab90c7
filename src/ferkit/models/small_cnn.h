// small_cnn: a VGG-style network for native 48x48 gray faces: cheap enough to train on a CPU.
// stem (3x3 conv) then 4 stages of 3x3 conv-BN-ReLU with 2x2 max-pooling after each: one
// convolution in stage 1, `depth` (default 2) in each of stages 2-4.
#pragma once
#include "ferkit/models/staged_backbone.h"

namespace ferkit {

class SmallCnn : public StagedBackbone {  // (B,C,48,48) -> (B,F,3,3)
 public:
  explicit SmallCnn(const BackboneSpec& spec);
};

}  // namespace ferkit
