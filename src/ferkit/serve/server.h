// `ferkit serve`: the HTTP API over a Predictor (cpp-httplib).
//   POST /v1/predict   an image (multipart/form-data, any field; or a raw image/* or
//                      application/octet-stream body) -> the JSON of `ferkit predict --json`
//   GET  /v1/health    {"status": "ok", ...}
//   GET  /v1/model     classes, input size, preprocessing, architecture
// Errors are JSON too ({"error": ...}) with 400 (empty or bad request, or two framings), 405 with
// Allow (another method on a known path), 411 (a body without one Content-Length: chunked bodies
// are refused, since httplib would read them past the limit), 413 (body over the limit), 415
// (wrong content type), 422 (not a decodable image, or too many pixels or decoded bytes), 404.
// The bind is exclusive (no SO_REUSEPORT: a second server on the port fails to start).
// Connections are handled by a fixed pool of threads with a bounded queue (the listener waits
// when it is full); each has `timeout_s` to send a whole request (head and body), after which it
// is cut, so slow clients cannot hold the threads. Content-Length is checked from the head
// (one value, a number, within the limit) before any body is read. Faces of concurrent requests
// are classified together (Batcher).
#pragma once
#include <atomic>
#include <functional>
#include <memory>
#include <string>

#include "ferkit/infer/predictor.h"

namespace ferkit::serve {

struct ServeOptions {
  std::string host = "127.0.0.1";  // loopback only unless asked
  int port = 8080;                 // 0: any free port (bind() says which)
  int workers = 32;                // connection threads (a slow client holds one until its deadline)
  int queue = 64;                  // connections waiting for a worker before the listener waits
  int64_t max_body_bytes = 16 << 20;
  int timeout_s = 10;              // to send a whole request (head and body); also read/write timeouts per call
  int batch_size = 32;             // faces per forward pass
  int batch_wait_ms = 2;           // how long a batch waits for more requests
};

constexpr int kMaxWorkers = 1024;
// Throws Error naming the option whose value is outside its range (each has a ceiling).
void validate_serve_options(const ServeOptions& options);

class Server {
 public:
  Server(infer::Predictor& predictor, const ServeOptions& options);
  ~Server();
  // Binds the socket; returns the port (useful with port 0). Throws Error when it cannot bind.
  int bind();
  // Serves until stop(); returns then.
  void run();
  // Thread-safe; also what SIGTERM/SIGINT lead to in `ferkit serve`. Graceful: stops accepting,
  // answers every connection already accepted (each within timeout_s), then returns (run() too).
  void stop();
  int64_t requests() const;
  int64_t connections_cut() const;  // connections shut for not sending a request in time

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace ferkit::serve
