// A ferkit HTTP server on a free loopback port, run in-process on its own thread for the life of
// the object, over a bundle with detector "none" (requests are face crops): the fixture of the
// HTTP tests (tests/infer/test_predict.cpp, tests/hostile/test_hostile_server.cpp).
#pragma once
#include <memory>
#include <string>
#include <thread>

#include "ferkit/infer/predictor.h"
#include "ferkit/serve/server.h"

namespace ferkit::test {

class LoopbackServer {
 public:
  LoopbackServer(const std::string& bundle, serve::ServeOptions options) {
    infer::PredictOptions o;
    o.detector.kind = "none";
    predictor_ = std::make_unique<infer::Predictor>(bundle, o);
    options.port = 0;  // a free port, chosen by the kernel
    server_ = std::make_unique<serve::Server>(*predictor_, options);
    port_ = server_->bind();
    thread_ = std::thread([this] { server_->run(); });
  }
  ~LoopbackServer() {
    server_->stop();
    thread_.join();
  }
  LoopbackServer(const LoopbackServer&) = delete;
  LoopbackServer& operator=(const LoopbackServer&) = delete;

  int port() const { return port_; }
  infer::Predictor& predictor() { return *predictor_; }
  serve::Server& server() { return *server_; }

 private:
  std::unique_ptr<infer::Predictor> predictor_;
  std::unique_ptr<serve::Server> server_;
  int port_ = 0;
  std::thread thread_;
};

}  // namespace ferkit::test
