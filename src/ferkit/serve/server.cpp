#include "ferkit/serve/server.h"

#include "ferkit/serve/page.h"

#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <string_view>
#include <thread>

#include <filesystem>

#include <arpa/inet.h>
#include <poll.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <httplib.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "ferkit/serve/batcher.h"
#include "ferkit/util/error.h"
#include "ferkit/util/json_text.h"

namespace ferkit::serve {
namespace {

// httplib's TaskQueue with a bound: enqueue blocks while `capacity` connections wait, so the
// listener stops accepting and the kernel's backlog holds the rest (backpressure, no unbounded
// memory).
class BoundedPool : public httplib::TaskQueue {
 public:
  using Wrap = std::function<std::function<void()>(std::function<void()>)>;
  BoundedPool(int threads, int capacity, Wrap wrap) : capacity_(std::max(1, capacity)), wrap_(std::move(wrap)) {
    for (int t = 0; t < std::max(1, threads); ++t) threads_.emplace_back([this] { work(); });
  }
  void enqueue(std::function<void()> fn) override {
    fn = wrap_(std::move(fn));  // on the listener thread, right after accept()
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
  Wrap wrap_;
  std::vector<std::thread> threads_;
  std::deque<std::function<void()>> jobs_;
  std::mutex mutex_;
  std::condition_variable ready_, room_;
  bool shutdown_ = false;
};

}  // namespace

// Members of Server::State, so not in an anonymous namespace.
namespace detail {

// Slow clients: httplib's read timeout is per recv(), so a client that sends one byte every few
// seconds holds a connection thread for as long as it likes. Each connection gets a deadline to
// send its whole request (head and body, from the end of the previous response); a watchdog shuts
// down the sockets past it. Handlers lift the deadline while they compute.
class ConnectionDeadlines {
 public:
  explicit ConnectionDeadlines(int seconds) : limit_(std::chrono::seconds(std::max(1, seconds))), watchdog_([this] { watch(); }) {}
  ~ConnectionDeadlines() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    watchdog_.join();
  }
  // A new connection: its entry gets a generation of its own, so that the end of an earlier
  // connection whose descriptor number was reused does not remove it.
  uint64_t open(int sock) {
    if (sock < 0) return 0;
    std::lock_guard<std::mutex> lock(mutex_);
    deadline_[sock] = {std::chrono::steady_clock::now() + limit_, ++generation_};
    return generation_;
  }
  void start(int sock) {  // the next request on a kept-alive connection: a fresh deadline, and a fresh extension
    if (sock < 0) return;
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = deadline_.find(sock);
    if (it != deadline_.end()) it->second = {std::chrono::steady_clock::now() + limit_, it->second.generation, false};
  }
  void lift(int sock) { set(sock, std::chrono::steady_clock::time_point::max()); }
  void end(int sock, uint64_t generation) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = deadline_.find(sock);
    if (it != deadline_.end() && it->second.generation == generation) deadline_.erase(it);
  }
  int64_t cut() const { return cut_; }

 private:
  struct Entry {
    std::chrono::steady_clock::time_point deadline;
    uint64_t generation = 0;
    bool extended = false;
  };
  static bool holds_whole_head(int sock) {
    char buf[16384];
    const ssize_t n = ::recv(sock, buf, sizeof buf, MSG_PEEK | MSG_DONTWAIT);
    return n > 0 && std::string_view(buf, static_cast<size_t>(n)).find("\r\n\r\n") != std::string_view::npos;
  }
  void set(int sock, std::chrono::steady_clock::time_point t) {
    if (sock < 0) return;
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = deadline_.find(sock);
    if (it != deadline_.end()) it->second.deadline = t;  // a connection already cut stays cut
  }
  void watch() {
    std::unique_lock<std::mutex> lock(mutex_);
    while (!stopping_) {
      wake_.wait_for(lock, std::chrono::milliseconds(100));
      const auto now = std::chrono::steady_clock::now();
      for (auto it = deadline_.begin(); it != deadline_.end();) {
        if (it->second.deadline > now) {
          ++it;
          continue;
        }
        // A connection still waiting for a thread (under slow clients) may hold a whole request
        // head unread: the client did its part, so it is answered late rather than cut (once).
        if (!it->second.extended && holds_whole_head(it->first)) {
          it->second.extended = true;
          it->second.deadline = now + limit_;
          ++it;
          continue;
        }
        ::shutdown(it->first, SHUT_RDWR);  // the blocked recv() returns; httplib closes the socket
        ++cut_;
        it = deadline_.erase(it);
      }
    }
  }
  std::chrono::steady_clock::duration limit_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::map<int, Entry> deadline_;
  uint64_t generation_ = 0;
  std::atomic<int64_t> cut_{0};
  bool stopping_ = false;
  std::thread watchdog_;
};

thread_local int current_socket = -1;  // the connection this thread is serving

// httplib (0.11, as Debian builds it) hands a new connection to the task queue as a closure
// without saying its socket, and its per-connection hook is private. The listener calls enqueue()
// right after accept(), so the one connected socket of our port that was not there at the
// previous enqueue is this connection's: found by walking /proc/self/fd (tens of descriptors).
class AcceptedSockets {
 public:
  int newest(int listen_fd) {
    sockaddr_storage mine{};
    socklen_t len = sizeof mine;
    if (listen_fd < 0 || ::getsockname(listen_fd, reinterpret_cast<sockaddr*>(&mine), &len) != 0) return -1;
    const int port = port_of(mine);
    std::map<int, std::string> now;
    int found = -1;
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator("/proc/self/fd", ec)) {
      int fd = -1;
      try {
        fd = std::stoi(e.path().filename().string());
      } catch (const std::exception&) {
        continue;
      }
      sockaddr_storage a{}, peer{};
      socklen_t la = sizeof a, lp = sizeof peer;
      if (fd == listen_fd || ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &la) != 0 || port_of(a) != port ||
          ::getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &lp) != 0)
        continue;
      const std::string key(reinterpret_cast<const char*>(&peer), lp);
      now[fd] = key;
      auto it = known_.find(fd);
      if (it == known_.end() || it->second != key) found = fd;
    }
    known_ = std::move(now);
    return found;
  }

 private:
  static int port_of(const sockaddr_storage& a) {
    if (a.ss_family == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in&>(a).sin_port);
    if (a.ss_family == AF_INET6) return ntohs(reinterpret_cast<const sockaddr_in6&>(a).sin6_port);
    return -1;
  }
  std::map<int, std::string> known_;  // connected sockets of our port at the last enqueue, with their peers
};

}  // namespace detail

using detail::current_socket;

namespace {

// Framing checks httplib leaves out, made from the head before any body is read: one
// Content-Length, a number, within the limit (else httplib reads the whole body, or waits for it,
// before saying 413).
// The methods each path answers; another method on one of them is a 405 with Allow.
const std::map<std::string, std::string>& allowed_methods() {
  static const std::map<std::string, std::string> m = {
      {"/v1/predict", "POST"}, {"/v1/health", "GET, HEAD"}, {"/v1/model", "GET, HEAD"}, {"/", "GET, HEAD"}};
  return m;
}

// What is wrong with a request's head, checked before any body is read: the method on a known
// path, and one framing within the limit. httplib 0.11 cannot be configured for these: it reads a
// chunked body past its payload limit, a body without a length until the connection closes, and
// takes Content-Length beside Transfer-Encoding (a request-smuggling pattern). So ferkit takes
// bodies with one Content-Length alone (411 otherwise: every browser and HTTP client sends one
// for a file). Sets `status` and, for a 405, `allow`.
std::string framing_problem(const httplib::Request& req, int64_t max_body, int& status, std::string& allow) {
  status = 400;
  if (const auto it = allowed_methods().find(req.path); it != allowed_methods().end()) {
    const std::string& methods = it->second;
    bool ok = false;
    for (size_t at = 0; at <= methods.size();) {
      const size_t end = std::min(methods.find(", ", at), methods.size());
      ok = ok || methods.compare(at, end - at, req.method) == 0;
      at = end + 2;
    }
    if (!ok) {
      status = 405;
      allow = methods;
      return req.method + " is not allowed on " + req.path + " (allowed: " + methods + ")";
    }
  }
  const bool has_length = req.has_header("Content-Length");
  if (req.has_header("Transfer-Encoding")) {
    if (has_length) return "both Content-Length and Transfer-Encoding: one framing per request";
    status = 411;
    return "Transfer-Encoding '" + req.get_header_value("Transfer-Encoding") +
           "' is not accepted: send the body with a Content-Length";
  }
  const auto range = req.headers.equal_range("Content-Length");
  std::string value;
  for (auto it = range.first; it != range.second; ++it) {
    if (it != range.first && it->second != value) return "conflicting Content-Length headers ('" + value + "' and '" + it->second + "')";
    value = it->second;
  }
  if (!has_length) {
    if (req.method != "POST" && req.method != "PUT" && req.method != "PATCH") return "";
    status = 411;
    return "a " + req.method + " needs a Content-Length";
  }
  if (value.empty() || value.size() > 18 || value.find_first_not_of("0123456789") != std::string::npos)
    return "Content-Length '" + value + "' is not a number of bytes";
  if (std::stoll(value) > max_body) {
    status = 413;
    return fmt::format("request body of {} bytes is over the limit of {} bytes", value, max_body);
  }
  return "";
}

void reply_json(httplib::Response& res, int status, const nlohmann::json& body) {
  res.status = status;
  res.set_content(json_text(body) + "\n", "application/json");
}

void reply_error(httplib::Response& res, int status, const std::string& message) {
  reply_json(res, status, {{"error", message}, {"status", status}});
}

}  // namespace

struct Server::State {
  infer::Predictor& predictor;
  ServeOptions options;
  httplib::Server http;
  detail::ConnectionDeadlines deadlines;
  detail::AcceptedSockets accepted;
  Batcher batcher;
  std::atomic<int64_t> requests{0}, failures{0};
  int listen_fd = -1;
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  State(infer::Predictor& p, const ServeOptions& o)
      : predictor(p), options(o), deadlines(o.timeout_s), batcher(p, o.batch_size, o.batch_wait_ms) {}
};

void validate_serve_options(const ServeOptions& o) {
  // Every resource an option sizes has a ceiling: a typo must not start 100,000 threads or make
  // every request wait for weeks.
  const auto within = [](const char* flag, int64_t v, int64_t lo, int64_t hi) {
    if (v < lo || v > hi) throw Error(fmt::format("{} must be from {} to {}, not {}", flag, lo, hi, v));
  };
  within("--workers", o.workers, 1, kMaxWorkers);
  within("--queue", o.queue, 0, 65536);
  within("--batch-size", o.batch_size, 1, 1024);
  within("--batch-wait-ms", o.batch_wait_ms, 0, 1000);
  within("--timeout", o.timeout_s, 1, 3600);
  within("--max-body", o.max_body_bytes, 1, int64_t{1} << 30);
  within("--port", o.port, 0, 65535);
}

Server::Server(infer::Predictor& predictor, const ServeOptions& o)
    : state_((validate_serve_options(o), std::make_unique<State>(predictor, o))) {
  State& s = *state_;
  auto& http = s.http;
  http.new_task_queue = [o, &s] {
    return new BoundedPool(o.workers, o.queue, [&s](std::function<void()> serve_connection) -> std::function<void()> {
      const int sock = s.accepted.newest(s.listen_fd);
      // From accept: the first request's deadline runs while it waits for a thread too.
      const uint64_t generation = s.deadlines.open(sock);
      return [&s, sock, generation, serve = std::move(serve_connection)] {
        current_socket = sock;
        serve();
        s.deadlines.end(sock, generation);
        current_socket = -1;
      };
    });
  };
  // Debian builds cpp-httplib as a library whose listen backlog is 5: 50 clients connecting at
  // once overflow it and some see their connection reset. Keep the listening socket to listen
  // on it again with room for a burst (Linux takes the new backlog).
  // httplib's default options set SO_REUSEPORT, with which a second server binds the same port
  // and the kernel splits the connections between the two: SO_REUSEADDR alone (a restart may
  // bind over connections in TIME_WAIT) keeps the bind exclusive.
  http.set_socket_options([&s](socket_t sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
    s.listen_fd = sock;
  });
  http.set_payload_max_length(static_cast<size_t>(o.max_body_bytes));
  http.set_read_timeout(o.timeout_s, 0);
  http.set_write_timeout(o.timeout_s, 0);
  http.set_keep_alive_timeout(o.timeout_s);
  // httplib 0.11 reads each request of a connection through a fresh buffered stream, so the bytes
  // of a pipelined second request read ahead with the first are lost and it is never answered.
  // One request per connection ("Connection: close" on every response) turns that into what RFC
  // 9112 (9.3.2) has pipelining clients handle: the connection closes after the first answer and
  // they send the rest again. On loopback a new connection costs well under a millisecond.
  http.set_keep_alive_max_count(1);
  http.set_pre_routing_handler([&s](const httplib::Request& req, httplib::Response& res) {
    int status = 0;
    std::string allow;
    const std::string problem = framing_problem(req, s.options.max_body_bytes, status, allow);
    if (problem.empty()) return httplib::Server::HandlerResponse::Unhandled;
    ++s.failures;
    reply_error(res, status, problem);
    if (!allow.empty()) res.set_header("Allow", allow);
    res.set_header("Connection", "close");
    // (Connection: close: httplib reads no next request from it, so the unread body does not matter)
    return httplib::Server::HandlerResponse::Handled;
  });
  // After each response the next request on a kept-alive connection has the whole deadline again.
  // A refusal from the head leaves the body unread: the connection ends with the response
  // (httplib 0.11 keeps it open despite "Connection: close" and would read the body as a request).
  http.set_logger([&s](const httplib::Request&, const httplib::Response& res) {
    if (res.get_header_value("Connection") == "close" && current_socket >= 0) ::shutdown(current_socket, SHUT_RDWR);
    else s.deadlines.start(current_socket);
  });

  http.Get("/v1/health", [&s](const httplib::Request&, httplib::Response& res) {
    const double up = std::chrono::duration<double>(std::chrono::steady_clock::now() - s.started).count();
    reply_json(res, 200, {{"status", "ok"}, {"uptime_s", up}, {"requests", s.requests.load()}, {"failed", s.failures.load()},
                          {"batches", s.batcher.batches()}});
  });
  http.Get("/v1/model", [&s](const httplib::Request&, httplib::Response& res) { reply_json(res, 200, s.predictor.model_json()); });
  // The page to try it in a browser (page.h); it uses the API above.
  http.Get("/", [](const httplib::Request&, httplib::Response& res) { res.set_content(kTryItPage, "text/html; charset=utf-8"); });
  http.Post("/v1/predict", [&s](const httplib::Request& req, httplib::Response& res) {
    s.deadlines.lift(current_socket);  // the request is in: computing has no deadline
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

namespace {
// Connections the kernel completed but nobody has accepted yet would be reset when the listening
// socket shuts down. They are taken here and told to come back (503, Connection: close), each
// request read first so that closing does not reset it either. Bounded: at most a second.
void answer_backlog_unavailable(int listen_fd) {
  const int flags = ::fcntl(listen_fd, F_GETFL);
  ::fcntl(listen_fd, F_SETFL, flags | O_NONBLOCK);  // httplib's accept then sees EAGAIN and polls again
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(1);
  const std::string body = R"({"error":"the server is shutting down","status":503})" "\n";
  const std::string reply = "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nConnection: close\r\n"
                            "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  while (std::chrono::steady_clock::now() < until) {
    const int fd = ::accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) break;  // the queue is empty
    char buf[4096];
    pollfd p{fd, POLLIN, 0};
    while (::poll(&p, 1, 50) > 0 && ::recv(fd, buf, sizeof buf, MSG_DONTWAIT) > 0) {
    }
    ::send(fd, reply.data(), reply.size(), MSG_NOSIGNAL);
    ::shutdown(fd, SHUT_WR);
    while (::poll(&p, 1, 100) > 0 && ::recv(fd, buf, sizeof buf, MSG_DONTWAIT) > 0) {
    }
    ::close(fd);
  }
}
}  // namespace

void Server::stop() {
  if (!state_ || !state_->http.is_running()) return;
  State& s = *state_;
  // Graceful: httplib's stop() marks its socket closed, and every connection it accepted but had
  // not read yet is then closed unanswered. Shutting the listening socket down instead ends the
  // accept loop alone; httplib's pool then serves what it accepted (each connection within its
  // --timeout) before run() returns. Whatever still runs past that is stopped hard.
  if (s.listen_fd >= 0) {
    answer_backlog_unavailable(s.listen_fd);
    ::shutdown(s.listen_fd, SHUT_RDWR);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(s.options.timeout_s + 2);
  while (s.http.is_running() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  if (s.http.is_running()) s.http.stop();
}

int64_t Server::requests() const { return state_->requests; }
int64_t Server::connections_cut() const { return state_->deadlines.cut(); }

}  // namespace ferkit::serve
