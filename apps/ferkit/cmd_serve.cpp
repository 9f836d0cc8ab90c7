// `ferkit serve --model BUNDLE`: the HTTP API (src/ferkit/serve/server.h); stops cleanly on
// SIGTERM or SIGINT.
#include <csignal>
#include <iostream>
#include <thread>

#include <atomic>
#include <chrono>
#include <spdlog/spdlog.h>

#include "commands.h"
#include "ferkit/run/run_folder.h"
#include "ferkit/serve/server.h"
#include "ferkit/util/threads.h"

namespace ferkit::cli {
namespace {
volatile std::sig_atomic_t g_stop_signal = 0;
extern "C" void on_stop_signal(int sig) { g_stop_signal = sig; }
}  // namespace

void add_serve_command(CLI::App& app, GlobalOptions& global) {
  struct Args {
    std::string model;
    serve::ServeOptions serve;
    infer::PredictOptions predict;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = app.add_subcommand("serve", "HTTP API: POST /v1/predict, GET /v1/health, GET /v1/model");
  cmd->add_option("--model", args->model, kModelHelp);
  cmd->add_option("--host", args->serve.host, "address to listen on (0.0.0.0: every interface)")->capture_default_str();
  cmd->add_option("--port", args->serve.port, "port (0: any free one, printed at start)")->capture_default_str()->check(CLI::Range(0, 65535));
  cmd->add_option("--workers", args->serve.workers, "connection threads")->capture_default_str()->check(positive());
  cmd->add_option("--queue", args->serve.queue, "connections waiting for a worker before the listener waits")
      ->capture_default_str()->check(positive());
  cmd->add_option("--max-body", args->serve.max_body_bytes, "largest request body, bytes")->capture_default_str()->check(positive());
  cmd->add_option("--timeout", args->serve.timeout_s, "seconds a client has to send a whole request (head and body) before its connection is cut")->capture_default_str()->check(positive());
  cmd->add_option("--batch-size", args->serve.batch_size, "faces per forward pass")->capture_default_str()->check(positive());
  cmd->add_option("--batch-wait-ms", args->serve.batch_wait_ms, "how long a batch waits for other requests")->capture_default_str()->check(CLI::NonNegativeNumber);
  add_detector_flags(*cmd, args->predict.detector);
  cmd->add_option("--detector", args->predict.detector.kind, kDetectorHelp)
      ->capture_default_str();
  cmd->add_option("--margin", args->predict.detector.margin, "added around a found face, as a share of its side")->capture_default_str()->check(CLI::Range(0.0, 2.0));
  cmd->add_option("--max-pixels", args->predict.max_pixels, "images with more pixels are refused (422)")->capture_default_str()->check(positive());
  set_action(cmd, [args, &global]() {
    use_opencv_threads();  // face detection runs its scales in parallel
    // SIGTERM and SIGINT (whichever thread they land on: LibTorch's and OpenCV's pools exist
    // already) set a flag; a watcher thread sees it and stops the server, which then drains.
    std::signal(SIGTERM, on_stop_signal);
    std::signal(SIGINT, on_stop_signal);
    set_threads(global.threads);
    args->predict.max_bytes = std::max<int64_t>(args->predict.max_bytes, args->serve.max_body_bytes);
    infer::Predictor predictor(bundle_path_of(args->model), args->predict);
    serve::Server server(predictor, args->serve);
    const int port = server.bind();
    std::atomic<bool> done{false};
    std::thread watcher([&] {
      while (!done && !g_stop_signal) std::this_thread::sleep_for(std::chrono::milliseconds(50));
      if (g_stop_signal) spdlog::info("signal {}: stopping", g_stop_signal == SIGTERM ? "SIGTERM" : "SIGINT");
      server.stop();
    });
    // The line a launcher (or the tests) waits for.
    std::cout << "listening on http://" << args->serve.host << ":" << port << std::endl;
    spdlog::info("model {}; faces: {}; {} workers", describe_model(args->model), predictor.detector_source(), args->serve.workers);
    server.run();
    done = true;
    watcher.join();
    spdlog::info("stopped after {} requests", server.requests());
  });
}

FERKIT_COMMAND(100, add_serve_command);

}  // namespace ferkit::cli
