#include "ferkit/serve/server.h"

#include "ferkit/serve/page.h"

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include <sys/socket.h>

#include <httplib.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "ferkit/serve/batcher.h"
#include "ferkit/util/error.h"

namespace ferkit::serve {
namespace {

// httplib's TaskQueue with a bound: enqueue blocks while `capacity` connections wait, so the
// listener stops accepting and the kernel's backlog holds the rest (backpressure, no unbounded
// memory).
class BoundedPool : public httplib::TaskQueue {
 public:
  BoundedPool(int threads, int capacity) : capacity_(std::max(1, capacity)) {
    for (int t = 0; t < std::max(1, threads); ++t) threads_.emplace_back([this] { work(); });
  }
  void enqueue(std::function<void()> fn) override {
    std::unique_lock<std::mutex> lock(mutex_);
    room_.wait(lock, [&] { return shutdown_ || static_cast<int>(jobs_.size()) < capacity_; });
    if (shutdown_) return;
    jobs_.push_back(std::move(fn));
    ready_.notify_one();
  }
  void shutdown() override {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      shutdown_ = true;
    }
    ready_.notify_all();
    room_.notify_all();
    for (auto& t : threads_) t.join();
  }

 private:
  void work() {
    for (;;) {
      std::function<void()> fn;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        ready_.wait(lock, [&] { return shutdown_ || !jobs_.empty(); });
        if (jobs_.empty()) return;  // shut down and drained
        fn = std::move(jobs_.front());
        jobs_.pop_front();
      }
      room_.notify_one();
      fn();
    }
  }
  int capacity_;
  std::vector<std::thread> threads_;
  std::deque<std::function<void()>> jobs_;
  std::mutex mutex_;
  std::condition_variable ready_, room_;
  bool shutdown_ = false;
};

void reply_json(httplib::Response& res, int status, const nlohmann::json& body) {
  res.status = status;
  res.set_content(body.dump() + "\n", "application/json");
}

void reply_error(httplib::Response& res, int status, const std::string& message) {
  reply_json(res, status, {{"error", message}, {"status", status}});
}

}  // namespace

struct Server::State {
  infer::Predictor& predictor;
  ServeOptions options;
  httplib::Server http;
  Batcher batcher;
  std::atomic<int64_t> requests{0}, failures{0};
  int listen_fd = -1;
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  State(infer::Predictor& p, const ServeOptions& o) : predictor(p), options(o), batcher(p, o.batch_size, o.batch_wait_ms) {}
};

Server::Server(infer::Predictor& predictor, const ServeOptions& o) : state_(std::make_unique<State>(predictor, o)) {
  State& s = *state_;
  auto& http = s.http;
  http.new_task_queue = [o] { return new BoundedPool(o.workers, o.queue); };
  // Debian builds cpp-httplib as a library whose listen backlog is 5: 50 clients connecting at
  // once overflow it and some see their connection reset. Keep the listening socket to listen
  // on it again with room for a burst (Linux takes the new backlog).
  http.set_socket_options([&s](socket_t sock) {
    httplib::default_socket_options(sock);
    s.listen_fd = sock;
  });
  http.set_payload_max_length(static_cast<size_t>(o.max_body_bytes));
  http.set_read_timeout(o.timeout_s, 0);
  http.set_write_timeout(o.timeout_s, 0);
  http.set_keep_alive_timeout(o.timeout_s);

  http.Get("/v1/health", [&s](const httplib::Request&, httplib::Response& res) {
    const double up = std::chrono::duration<double>(std::chrono::steady_clock::now() - s.started).count();
    reply_json(res, 200, {{"status", "ok"}, {"uptime_s", up}, {"requests", s.requests.load()}, {"failed", s.failures.load()},
                          {"batches", s.batcher.batches()}});
  });
  http.Get("/v1/model", [&s](const httplib::Request&, httplib::Response& res) { reply_json(res, 200, s.predictor.model_json()); });
  // The page to try it in a browser (page.h); it uses the API above.
  http.Get("/", [](const httplib::Request&, httplib::Response& res) { res.set_content(kTryItPage, "text/html; charset=utf-8"); });
  http.Post("/v1/predict", [&s](const httplib::Request& req, httplib::Response& res) {
    ++s.requests;
    std::string bytes, source = "request";
    if (req.is_multipart_form_data()) {
      if (req.files.empty()) return ++s.failures, reply_error(res, 400, "multipart request without a file part (send the image as a file field, e.g. -F image=@face.jpg)");
      const auto& part = req.files.count("image") ? req.files.find("image")->second : req.files.begin()->second;
      bytes = part.content;
      if (!part.filename.empty()) source = part.filename;
    } else {
      const std::string type = req.get_header_value("Content-Type");
      if (type.rfind("image/", 0) != 0 && type.rfind("application/octet-stream", 0) != 0)
        return ++s.failures,
               reply_error(res, 415, "Content-Type '" + type + "': send an image as image/* or application/octet-stream, or as multipart/form-data");
      bytes = req.body;
    }
    if (bytes.empty()) return ++s.failures, reply_error(res, 400, "empty body: no image");
    cv::Mat gray;
    try {
      gray = s.predictor.decode(bytes);
    } catch (const std::exception& e) {
      return ++s.failures, reply_error(res, 422, e.what());
    }
    try {
      std::vector<cv::Mat> crops;
      infer::ImagePrediction p = s.predictor.find_faces(gray, source, crops);
      infer::Predictor::fill(p, s.batcher.classify(std::move(crops)));
      reply_json(res, 200, infer::to_json(p, s.predictor.info().class_names));
    } catch (const std::exception& e) {
      ++s.failures;
      spdlog::error("predict: {}", e.what());
      reply_error(res, 500, std::string("internal error: ") + e.what());
    }
  });
  // Errors httplib produces itself (413 over the limit, 404 unknown path, 400 bad request)
  // carry no body: give them the same JSON shape as ours.
  http.set_error_handler([&s](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return;
    const std::string why = res.status == 413   ? fmt::format("request body over the limit of {} bytes", s.options.max_body_bytes)
                            : res.status == 404 ? "no such endpoint: " + req.method + " " + req.path +
                                                      " (POST /v1/predict, GET /v1/health, GET /v1/model)"
                                                : "bad request";
    reply_error(res, res.status, why);
  });
  http.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
    std::string what = "unknown";
    try {
      std::rethrow_exception(ep);
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
    }
    reply_error(res, 500, "internal error: " + what);
  });
}

Server::~Server() { stop(); }

int Server::bind() {
  State& s = *state_;
  int port = s.options.port;
  if (port == 0) {
    port = s.http.bind_to_any_port(s.options.host);
    FERKIT_CHECK(port > 0, "cannot bind to " + s.options.host + " on any port");
  } else {
    FERKIT_CHECK(s.http.bind_to_port(s.options.host, port),
                 fmt::format("cannot bind to {}:{} (in use, or not an address of this machine)", s.options.host, port));
  }
  if (s.listen_fd >= 0) ::listen(s.listen_fd, 512);
  return port;
}

void Server::run() { state_->http.listen_after_bind(); }

void Server::stop() {
  if (state_ && state_->http.is_running()) state_->http.stop();
}

int64_t Server::requests() const { return state_->requests; }

}  // namespace ferkit::serve
