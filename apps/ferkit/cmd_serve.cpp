// `ferkit serve --model BUNDLE`: the HTTP API (src/ferkit/serve/server.h); stops cleanly on
// SIGTERM or SIGINT.
#include <csignal>
#include <iostream>
#include <thread>

#include <pthread.h>
#include <spdlog/spdlog.h>

#include "commands.h"
#include "ferkit/serve/server.h"
#include "ferkit/util/threads.h"

namespace ferkit::cli {

void add_serve_command(CLI::App& app, GlobalOptions& global) {
  struct Args {
    std::string model;
    serve::ServeOptions serve;
    infer::PredictOptions predict;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = app.add_subcommand("serve", "HTTP API: POST /v1/predict, GET /v1/health, GET /v1/model");
  cmd->add_option("--model", args->model, "run folder (uses RUN/model.ferkit) or model bundle")->required();
  cmd->add_option("--host", args->serve.host, "address to listen on (0.0.0.0: every interface)")->capture_default_str();
  cmd->add_option("--port", args->serve.port, "port (0: any free one, printed at start)")->capture_default_str();
  cmd->add_option("--workers", args->serve.workers, "connection threads")->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_option("--queue", args->serve.queue, "connections waiting for a worker before the listener waits")
      ->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_option("--max-body", args->serve.max_body_bytes, "largest request body, bytes")->capture_default_str();
  cmd->add_option("--timeout", args->serve.timeout_s, "read and write timeout per connection, seconds")->capture_default_str();
  cmd->add_option("--batch-size", args->serve.batch_size, "faces per forward pass")->capture_default_str();
  cmd->add_option("--batch-wait-ms", args->serve.batch_wait_ms, "how long a batch waits for other requests")->capture_default_str();
  cmd->add_option("--detector", args->predict.detector.cascade, "face detector: default, a cascade XML file, or none")
      ->capture_default_str();
  cmd->add_option("--margin", args->predict.detector.margin, "added around a found face, as a share of its side")->capture_default_str();
  cmd->add_option("--max-pixels", args->predict.max_pixels, "images with more pixels are refused (422)")->capture_default_str();
  set_action(cmd, [args, &global]() {
    // SIGTERM and SIGINT go to one thread that stops the server; every other thread (the
    // server's included, which inherit this mask) never sees them.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

    set_threads(global.threads);
    args->predict.max_bytes = std::max<int64_t>(args->predict.max_bytes, args->serve.max_body_bytes);
    infer::Predictor predictor(bundle_path_of(args->model), args->predict);
    serve::Server server(predictor, args->serve);
    const int port = server.bind();
    std::thread watcher([&] {
      int sig = 0;
      sigwait(&stop_signals, &sig);
      if (sig != 0) spdlog::info("signal {}: stopping", sig == SIGTERM ? "SIGTERM" : "SIGINT");
      server.stop();
    });
    // The line a launcher (or the tests) waits for.
    std::cout << "listening on http://" << args->serve.host << ":" << port << std::endl;
    spdlog::info("model {}; faces: {}; {} workers", bundle_path_of(args->model), predictor.detector_source(), args->serve.workers);
    server.run();
    // Stopped by a signal: the watcher has returned. Stopped otherwise: wake it.
    pthread_kill(watcher.native_handle(), SIGTERM);
    watcher.join();
    spdlog::info("stopped after {} requests", server.requests());
  });
}

}  // namespace ferkit::cli
