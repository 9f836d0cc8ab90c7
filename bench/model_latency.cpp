// Batch-1 latency of a trained bundle, as `ferkit predict` and `serve` run it on one face crop:
// the folded inference graph (oneDNN where every op has a kernel) through infer::Predictor.
// The figure the model cards quote. No peer: a measurement of ferkit's own path.
//   ferkit_bench model_latency MODEL REPS THREADS -> one JSON line (median and 90th percentile, ms)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <vector>

#include <opencv2/core.hpp>

#include "ferkit/infer/predictor.h"
#include "ferkit/run/run_folder.h"
#include "ferkit/util/allocator.h"
#include "ferkit/util/threads.h"

int bench_model_latency_main(int argc, char** argv) {
  using namespace ferkit;
  tune_allocator();
  if (argc < 4) {
    std::fprintf(stderr, "usage: ferkit_bench model_latency MODEL REPS THREADS  (MODEL: run folder, bundle or shipped name)\n");
    return 2;
  }
  const int reps = std::max(1, std::atoi(argv[2]));
  set_threads(std::atoi(argv[3]));
  infer::PredictOptions options;
  options.detector.kind = "none";
  infer::Predictor predictor(bundle_path_of(argv[1]), options);
  cv::Mat face(predictor.stored_size(), predictor.stored_size(), CV_8UC1);
  cv::randu(face, 0, 256);
  const std::vector<cv::Mat> one{face};
  for (int i = 0; i < 20; ++i) predictor.classify(one);  // warm-up: allocations, oneDNN's first calls
  std::vector<double> ms;
  for (int i = 0; i < reps; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    predictor.classify(one);
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(ms.begin(), ms.end());
  std::printf("{\"tool\": \"ferkit\", \"bench\": \"model_latency\", \"model\": \"%s\", \"threads\": %s, \"reps\": %d, "
              "\"median_ms\": %.3f, \"p90_ms\": %.3f}\n",
              argv[1], argv[3], reps, ms[ms.size() / 2], ms[ms.size() * 9 / 10]);
  return 0;
}
