// The options of knowledge distillation (train/distill.h), plain so that the config needs no LibTorch.
#pragma once
#include <string>

namespace ferkit {

struct DistillConfig {
  std::string teachers;      // comma-separated runs, bundles or shipped model names ("" = off)
  double weight = 0.5;       // w: the teachers' share of the targets
  double temperature = 2.0;  // T: softens the teachers' probabilities
};

}  // namespace ferkit
