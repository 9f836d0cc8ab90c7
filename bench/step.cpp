// ferkit's side of bench/step_torch.py: the same work on the same models (see there) — training
// step images/s, batched inference images/s and batch-1 latency through the modules' forward and
// through the inference graph (BatchNorm folded, what predict and serve use), peak RSS; plus the
// machine's fp32 GEMM GFLOP/s and each model's multiply-adds, for the share of the peak.
// Usage: ferkit_bench step BACKBONE SIZE BATCH SECONDS THREADS   -> one JSON line
//        ferkit_bench step gemm N REPS THREADS                   -> GFLOP/s of an N x N x N at::mm
//        ferkit_bench step memory-format BACKBONE SIZE BATCH SECONDS THREADS [WIDTH]
//                                                                -> training img/s NCHW vs channels-last
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <vector>

#include <torch/torch.h>

#include "ferkit/util/allocator.h"
#include "ferkit/infer/graph.h"
#include "ferkit/models/model.h"
#include "ferkit/util/threads.h"
#include "bench_util.h"

using ferkit::bench::images_per_second;

namespace {
using Clock = std::chrono::steady_clock;

template <typename F>
double median_latency_ms(F run, double seconds) {
  for (int i = 0; i < 5; ++i) run();
  std::vector<double> ms;
  const auto end = Clock::now() + std::chrono::duration<double>(seconds);
  while (Clock::now() < end || ms.size() < 20) {
    const auto t0 = Clock::now();
    run();
    ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
  }
  std::nth_element(ms.begin(), ms.begin() + ms.size() / 2, ms.end());
  return ms[ms.size() / 2];
}

double peak_rss_mb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss / 1024.0;
}
}  // namespace

// `step memory-format BACKBONE SIZE BATCH SECONDS THREADS [WIDTH]`: the training step with the
// default (contiguous, NCHW) tensors against channels-last (NHWC: LibTorch's oneDNN convolutions
// without reorders), interleaved over five rounds in one process; medians and their ratio.
int memory_format_ratio(int argc, char** argv) {
  if (argc < 7) {
    std::fprintf(stderr, "usage: ferkit_bench step memory-format BACKBONE SIZE BATCH SECONDS THREADS [WIDTH]\n");
    return 2;
  }
  const std::string name = argv[2];
  const int64_t size = std::atoll(argv[3]), batch = std::atoll(argv[4]);
  const double seconds = std::atof(argv[5]);
  const int threads = ferkit::set_threads(std::atoi(argv[6]));
  ferkit::ModelSpec spec;
  spec.backbone.name = name;
  spec.backbone.in_channels = ferkit::bench::input_channels(name);
  if (argc > 7) spec.backbone.width = std::atof(argv[7]);
  torch::manual_seed(0);
  ferkit::FerModel nchw(spec), nhwc(spec);
  {
    torch::NoGradGuard no_grad;
    for (auto& p : nhwc->parameters())
      if (p.dim() == 4) p.set_data(p.contiguous(at::MemoryFormat::ChannelsLast));
  }
  const auto x = torch::randn({batch, spec.backbone.in_channels, size, size});
  const auto x_nhwc = x.contiguous(at::MemoryFormat::ChannelsLast);
  std::vector<double> a, b, c;
  for (int round = 0; round < 5; ++round) {
    a.push_back(ferkit::bench::training_images_per_second(nchw, x, seconds));
    b.push_back(ferkit::bench::training_images_per_second(nhwc, x_nhwc, seconds));
    c.push_back(ferkit::bench::training_images_per_second(nchw, x_nhwc, seconds));  // the batch alone channels-last
  }
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  std::sort(c.begin(), c.end());
  std::printf("{\"tool\": \"ferkit\", \"bench\": \"memory_format\", \"backbone\": \"%s\", \"width\": %.3g, \"input\": %lld, "
              "\"batch\": %lld, \"threads\": %d, \"train_img_s_nchw\": %.1f, \"train_img_s_channels_last\": %.1f, "
              "\"ratio_channels_last\": %.3f, \"train_img_s_input_channels_last\": %.1f, \"ratio_input_channels_last\": %.3f}\n",
              name.c_str(), spec.backbone.width, static_cast<long long>(size), static_cast<long long>(batch), threads, a[2], b[2],
              b[2] / a[2], c[2], c[2] / a[2]);
  return 0;
}

int bench_step_main(int argc, char** argv) {
  ferkit::tune_allocator();  // as the ferkit command does
  if (argc >= 2 && std::string(argv[1]) == "memory-format") return memory_format_ratio(argc, argv);
  if (argc < 5) {
    std::fprintf(stderr, "usage: ferkit_bench %s BACKBONE SIZE BATCH SECONDS THREADS | gemm N REPS THREADS\n", argv[0]);
    return 2;
  }
  const std::string name = argv[1];
  if (name == "gemm") {
    const int64_t n = std::atoll(argv[2]);
    const int reps = std::atoi(argv[3]);
    const int threads = ferkit::set_threads(std::atoi(argv[4]));
    const auto a = torch::randn({n, n}), b = torch::randn({n, n});
    auto c = torch::mm(a, b);
    std::vector<double> gflops;
    for (int r = 0; r < reps; ++r) {
      const auto t0 = Clock::now();
      torch::mm_out(c, a, b);
      gflops.push_back(2.0 * n * n * n / std::chrono::duration<double>(Clock::now() - t0).count() / 1e9);
    }
    std::sort(gflops.begin(), gflops.end());
    std::printf("{\"tool\": \"ferkit\", \"bench\": \"gemm\", \"n\": %lld, \"threads\": %d, \"gflops\": %.1f}\n",
                static_cast<long long>(n), threads, gflops[gflops.size() / 2]);
    return 0;
  }
  const int64_t size = std::atoll(argv[2]), batch = std::atoll(argv[3]);
  const double seconds = std::atof(argv[4]);
  const int threads = ferkit::set_threads(std::atoi(argv[5]));
  torch::manual_seed(0);
  ferkit::FerModel model = ferkit::bench::make_model(name);
  const auto x = torch::randn({batch, ferkit::bench::input_channels(name), size, size});
  const double train = ferkit::bench::training_images_per_second(model, x, seconds);
  model->eval();
  const ferkit::infer::Graph graph = ferkit::infer::model_graph(*model, size);
  const auto one = x.slice(0, 0, 1).clone();
  double infer = 0, latency = 0, infer_graph = 0, latency_graph = 0;
  {
    c10::InferenceMode guard;
    infer = images_per_second([&] { model->forward(x); }, batch, seconds);
    latency = median_latency_ms([&] { model->forward(one); }, seconds);
  }
  infer_graph = images_per_second([&] { ferkit::infer::run_graph(graph, x); }, batch, seconds);
  latency_graph = median_latency_ms([&] { ferkit::infer::run_graph(graph, one); }, seconds);
  // the same graph on oneDNN tensors, where every op has a oneDNN kernel (ResNets, small_cnn)
  ferkit::infer::Graph onednn = graph;
  double infer_mkldnn = NAN, latency_mkldnn = NAN;
  if (ferkit::infer::use_mkldnn(onednn)) {
    infer_mkldnn = images_per_second([&] { ferkit::infer::run_graph(onednn, x); }, batch, seconds);
    latency_mkldnn = median_latency_ms([&] { ferkit::infer::run_graph(onednn, one); }, seconds);
  }
  auto number = [](double v) { return std::isfinite(v) ? std::to_string(v) : std::string("null"); };  // JSON has no NaN
  std::printf("{\"tool\": \"ferkit\", \"backbone\": \"%s\", \"input\": %lld, \"batch\": %lld, \"threads\": %d, "
              "\"train_img_s\": %.2f, \"infer_img_s\": %.2f, \"latency1_ms\": %.3f, \"infer_graph_img_s\": %.2f, "
              "\"latency1_graph_ms\": %.3f, \"infer_mkldnn_img_s\": %s, \"latency1_mkldnn_ms\": %s, \"macs\": %lld, "
              "\"peak_rss_mb\": %.1f}\n",
              name.c_str(), static_cast<long long>(size), static_cast<long long>(batch), threads, train, infer, latency,
              infer_graph, latency_graph, number(infer_mkldnn).c_str(), number(latency_mkldnn).c_str(),
              static_cast<long long>(ferkit::infer::graph_macs(graph)), peak_rss_mb());
  return 0;
}
