// Requests per second of `ferkit serve`'s HTTP API under N concurrent clients on loopback: the
// server runs in this process on a free port (its own worker pool and batcher, as `ferkit serve`
// has), the clients are threads posting one image each in a loop for a fixed time.
// Usage: ferkit_bench serve_load BUNDLE IMAGE [CLIENTS=8] [SECONDS=10] [DETECTOR=none]
// Prints one JSON line: requests/s, latency percentiles, batches.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "ferkit/run/run_folder.h"
#include "ferkit/util/allocator.h"
#include "ferkit/infer/predictor.h"
#include "ferkit/serve/server.h"
#include "ferkit/util/threads.h"

int bench_serve_load_main(int argc, char** argv) {
  ferkit::tune_allocator();  // as the ferkit command does
  if (argc < 3) {
    std::fprintf(stderr, "usage: ferkit_bench %s BUNDLE IMAGE [CLIENTS] [SECONDS] [DETECTOR]\n", argv[0]);
    return 2;
  }
  const int clients = argc > 3 ? std::atoi(argv[3]) : 8;
  const double seconds = argc > 4 ? std::atof(argv[4]) : 10;
  ferkit::set_threads(0);
  ferkit::use_opencv_threads();  // as ferkit serve does
  ferkit::infer::PredictOptions po;
  po.detector.kind = argc > 5 ? argv[5] : "none";
  ferkit::infer::Predictor predictor(ferkit::bundle_path_of(argv[1]), po);
  ferkit::serve::ServeOptions so;
  so.port = 0;
  ferkit::serve::Server server(predictor, so);
  const int port = server.bind();
  std::thread run([&] { server.run(); });
  std::ifstream in(argv[2], std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string image = ss.str();

  std::atomic<bool> stop{false};
  std::vector<std::vector<double>> latencies(clients);
  std::atomic<int64_t> failures{0};
  std::vector<std::thread> threads;
  const auto start = std::chrono::steady_clock::now();
  for (int c = 0; c < clients; ++c)
    threads.emplace_back([&, c] {
      httplib::Client client("127.0.0.1", port);
      client.set_keep_alive(true);
      while (!stop) {
        const auto t0 = std::chrono::steady_clock::now();
        const auto r = client.Post("/v1/predict", image, "image/png");
        if (!r || r->status != 200) ++failures;
        latencies[c].push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
      }
    });
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (auto& t : threads) t.join();
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::vector<double> all;
  for (const auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
  std::sort(all.begin(), all.end());
  auto pct = [&](double p) { return all.empty() ? 0.0 : all[std::min(all.size() - 1, static_cast<size_t>(p * all.size()))]; };
  httplib::Client probe("127.0.0.1", port);
  const auto health = nlohmann::json::parse(probe.Get("/v1/health")->body);
  server.stop();
  run.join();
  std::printf("%s\n", nlohmann::json({{"bench", "serve"},
                                      {"clients", clients},
                                      {"requests", all.size()},
                                      {"failures", failures.load()},
                                      {"seconds", elapsed},
                                      {"requests_per_s", all.size() / elapsed},
                                      {"latency_ms_p50", pct(0.5)},
                                      {"latency_ms_p95", pct(0.95)},
                                      {"latency_ms_p99", pct(0.99)},
                                      {"batches", health["batches"]},
                                      {"detector", po.detector.kind}})
                          .dump()
                          .c_str());
  return failures > 0 ? 1 : 0;
}
