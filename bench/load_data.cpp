// Loads a data folder the way every ferkit command does (decode once into uint8 tensors, votes,
// majority labels) and prints one JSON line: seconds, images, peak RSS. Peer: load_data_pil.py.
#include <sys/resource.h>

#include <chrono>
#include <cstdio>

#include "ferkit/data/dataset.h"
#include "ferkit/util/threads.h"

int bench_load_data_main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: ferkit_bench load_data DATA_DIR [THREADS]\n");
    return 2;
  }
  ferkit::LoadOptions options;
  options.threads = ferkit::set_threads(argc > 2 ? std::atoi(argv[2]) : 0);
  const auto t0 = std::chrono::steady_clock::now();
  const ferkit::Dataset ds = ferkit::load_dataset(argv[1], options);
  int64_t images = 0, kept = 0;
  for (const auto& split : ds.splits) {
    images += split.size();
    kept += ferkit::label_split(split, ferkit::LabelMode::kMajority).size();
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  std::printf("{\"tool\": \"ferkit\", \"seconds\": %.3f, \"images\": %lld, \"kept\": %lld, \"peak_rss_mb\": %.1f}\n",
              seconds, static_cast<long long>(images), static_cast<long long>(kept), usage.ru_maxrss / 1024.0);
  return 0;
}
