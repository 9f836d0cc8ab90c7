// Training and inference throughput (images/s) of each registered backbone at several input
// sizes, on random data: forward + backward + SGD step, and forward alone in inference mode.
// Usage: ferkit_bench backbones [SIZES=48,64,112,224] [BACKBONES=all] [SECONDS_PER_CASE=3]
// Prints one JSON line per case.
#include <chrono>
#include <cstdio>
#include <sstream>

#include <torch/torch.h>

#include "ferkit/util/allocator.h"
#include "ferkit/models/model.h"
#include "ferkit/util/threads.h"
#include "bench_util.h"

namespace {
std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  for (std::string item; std::getline(ss, item, ',');) out.push_back(item);
  return out;
}

}  // namespace

int bench_backbones_main(int argc, char** argv) {
  ferkit::tune_allocator();  // as the ferkit command does
  const auto sizes = split(argc > 1 ? argv[1] : "48,64,112,224");
  auto backbones = argc > 2 && std::string(argv[2]) != "all" ? split(argv[2]) : ferkit::backbone_names();
  const double seconds = argc > 3 ? std::atof(argv[3]) : 3.0;
  const int threads = ferkit::set_threads(0);
  for (const auto& name : backbones) {
    for (const auto& s : sizes) {
      const int64_t size = std::stoll(s);
      const int64_t batch = size >= 224 ? 16 : size >= 112 ? 32 : 64;
      ferkit::FerModel model = ferkit::bench::make_model(name);
      const auto x = torch::randn({batch, ferkit::bench::input_channels(name), size, size});
      const double train = ferkit::bench::training_images_per_second(model, x, seconds);
      model->eval();
      torch::NoGradGuard no_grad;
      const double infer = ferkit::bench::images_per_second([&] { model->forward(x); }, batch, seconds);
      std::printf("{\"backbone\": \"%s\", \"input\": %lld, \"channels\": %d, \"batch\": %lld, \"threads\": %d, "
                  "\"train_img_s\": %.1f, \"infer_img_s\": %.1f}\n",
                  name.c_str(), static_cast<long long>(size), ferkit::bench::input_channels(name), static_cast<long long>(batch),
                  threads, train, infer);
      std::fflush(stdout);
    }
  }
  return 0;
}
