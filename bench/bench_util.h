// What the backbone benchmarks share: timing loops and the training step they time.
#pragma once
#include <chrono>
#include <string>

#include <torch/torch.h>

#include "ferkit/models/model.h"

namespace ferkit::bench {

// Runs `step` for at least `seconds` (after one warm-up, and at least twice) and returns images
// per second.
template <typename F>
double images_per_second(F step, int64_t batch, double seconds) {
  step();
  const auto t0 = std::chrono::steady_clock::now();
  int64_t images = 0;
  double elapsed = 0;
  while (elapsed < seconds || images < 2 * batch) {
    step();
    images += batch;
    elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }
  return images / elapsed;
}

// Gray input for the networks made for FER's 48x48 faces, RGB for the ImageNet architectures.
inline int input_channels(const std::string& backbone) {
  return backbone == "small_cnn" || backbone == "resnet18_native" || backbone == "vgg13_ferplus" ? 1 : 3;
}

// A registered backbone with ferkit's default head, at its benchmark input channels.
inline FerModel make_model(const std::string& backbone) {
  ModelSpec spec;
  spec.backbone.name = backbone;
  spec.backbone.in_channels = input_channels(backbone);
  return FerModel(spec);
}

// Training throughput: forward, cross-entropy, backward, SGD step with momentum (what the
// Python peers do), on one fixed random batch.
inline double training_images_per_second(FerModel& model, const torch::Tensor& x, double seconds) {
  const auto y = torch::randint(0, 8, {x.size(0)}, torch::kLong);
  torch::optim::SGD opt(model->parameters(), torch::optim::SGDOptions(0.01).momentum(0.9));
  model->train();
  return images_per_second(
      [&] {
        opt.zero_grad();
        torch::nn::functional::cross_entropy(model->forward(x), y).backward();
        opt.step();
      },
      x.size(0), seconds);
}

}  // namespace ferkit::bench
