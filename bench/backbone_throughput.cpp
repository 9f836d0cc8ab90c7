// Training and inference throughput (images/s) of each registered backbone at several input
// sizes, on random data: forward + backward + SGD step, and forward alone in inference mode.
// Usage: bench_backbones [SIZES=48,64,112,224] [BACKBONES=all] [SECONDS_PER_CASE=3]
// Prints one JSON line per case.
#include <chrono>
#include <cstdio>
#include <sstream>

#include <torch/torch.h>

#include "ferkit/models/model.h"
#include "ferkit/util/threads.h"

namespace {
std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  for (std::string item; std::getline(ss, item, ',');) out.push_back(item);
  return out;
}

// Runs `step` for at least `seconds` (after one warm-up) and returns images per second.
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
}  // namespace

int main(int argc, char** argv) {
  const auto sizes = split(argc > 1 ? argv[1] : "48,64,112,224");
  auto backbones = argc > 2 && std::string(argv[2]) != "all" ? split(argv[2]) : ferkit::backbone_names();
  const double seconds = argc > 3 ? std::atof(argv[3]) : 3.0;
  const int threads = ferkit::set_threads(0);
  for (const auto& name : backbones) {
    for (const auto& s : sizes) {
      const int64_t size = std::stoll(s);
      const int64_t batch = size >= 224 ? 16 : size >= 112 ? 32 : 64;
      ferkit::ModelSpec spec;
      spec.backbone.name = name;
      spec.backbone.in_channels = (name == "small_cnn" || name == "resnet18_native" || name == "vgg13_ferplus") ? 1 : 3;
      ferkit::FerModel model(spec);
      const auto x = torch::randn({batch, spec.backbone.in_channels, size, size});
      const auto y = torch::randint(0, 8, {batch}, torch::kLong);
      torch::optim::SGD opt(model->parameters(), torch::optim::SGDOptions(0.01).momentum(0.9));
      model->train();
      const double train = images_per_second(
          [&] {
            opt.zero_grad();
            torch::nn::functional::cross_entropy(model->forward(x), y).backward();
            opt.step();
          },
          batch, seconds);
      model->eval();
      torch::NoGradGuard no_grad;
      const double infer = images_per_second([&] { model->forward(x); }, batch, seconds);
      std::printf("{\"backbone\": \"%s\", \"input\": %lld, \"channels\": %d, \"batch\": %lld, \"threads\": %d, "
                  "\"train_img_s\": %.1f, \"infer_img_s\": %.1f}\n",
                  name.c_str(), static_cast<long long>(size), spec.backbone.in_channels, static_cast<long long>(batch),
                  threads, train, infer);
      std::fflush(stdout);
    }
  }
  return 0;
}
