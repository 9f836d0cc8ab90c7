// The HTTP server against slow and malformed clients (issue 19, items 6 and 10), on loopback, with
// raw sockets and every wait bounded. Before the fixes: slow clients held every connection thread
// (a trickle of one byte per 0.5 s never hit the per-recv timeout), and a Content-Length over the
// limit was refused only after the body's read timeout; two Content-Lengths were accepted.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "ferkit/infer/predictor.h"
#include "ferkit/models/bundle.h"
#include "ferkit/serve/server.h"
#include "infer/model_fixtures.h"
#include "serve/loopback_server.h"
#include "serve/raw_client.h"
#include "test_util.h"

namespace ferkit {
namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

int connect_to(int port) { return test::connect_loopback(port); }

// Everything the server sends until it closes or `limit_s` passes.
std::string read_all(int fd, double limit_s) {
  std::string out;
  const auto start = Clock::now();
  char buf[4096];
  while (seconds_since(start) < limit_s) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

std::string round_trip(int port, const std::string& request, double limit_s = 5) {
  const int fd = connect_to(port);
  if (fd < 0) return "(no connection)";
  ::send(fd, request.data(), request.size(), MSG_NOSIGNAL);
  std::string out = read_all(fd, limit_s);
  ::close(fd);
  return out;
}

class HostileServer : public ::testing::Test {
 protected:
  void SetUp() override {
    FerModel model = test::tiny_model(1, 0.25, /*random_norms=*/false);
    test::save_test_bundle(tmp_ / "m.ferkit", model);
    serve::ServeOptions so;
    so.workers = 4;
    so.timeout_s = 2;
    so.max_body_bytes = 100'000;
    server_ = std::make_unique<test::LoopbackServer>(tmp_ / "m.ferkit", so);
    port_ = server_->port();
  }
  void TearDown() override { server_.reset(); }
  test::TempDir tmp_;
  std::unique_ptr<test::LoopbackServer> server_;
  int port_ = 0;
};

TEST_F(HostileServer, SlowClientsAreCutAndOthersStillAnswered) {
  // Three times as many slow clients as connection threads, each sending a partial head and then
  // one byte every half second (under the per-recv timeout, so only a whole-request deadline stops them).
  std::atomic<bool> stop{false};
  std::atomic<int> closed_by_server{0};
  std::vector<std::thread> slow;
  for (int i = 0; i < 12; ++i)
    slow.emplace_back([&] {
      const int fd = connect_to(port_);
      if (fd < 0) return;
      ::send(fd, "GET /v1/health HTTP/1.1\r\nHost: x\r\n", 34, MSG_NOSIGNAL);
      const auto start = Clock::now();
      while (!stop && seconds_since(start) < 8) {
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
        if (::send(fd, "X", 1, MSG_NOSIGNAL) != 1) break;
        pollfd p{fd, POLLIN, 0};
        char c;
        if (::poll(&p, 1, 0) > 0 && ::recv(fd, &c, 1, MSG_DONTWAIT) == 0) {
          ++closed_by_server;
          break;
        }
      }
      ::close(fd);
    });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const auto asked = Clock::now();
  const std::string reply = round_trip(port_, "GET /v1/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 8);
  const double waited = seconds_since(asked);
  stop = true;
  for (auto& t : slow) t.join();
  EXPECT_NE(reply.find("200 OK"), std::string::npos) << reply;
  EXPECT_NE(reply.find("\"status\":\"ok\""), std::string::npos) << reply;
  EXPECT_LT(waited, 4.5) << "the health check waited behind slow clients";
  EXPECT_GE(closed_by_server.load(), 4) << "slow clients were not cut at their deadline";
  EXPECT_GE(server_->server().connections_cut(), 4);
}

TEST_F(HostileServer, ContentLengthIsCheckedFromTheHead) {
  // Over the limit: refused at once from the header (no 2 s wait for a body that never comes).
  auto start = Clock::now();
  std::string r = round_trip(port_, "POST /v1/predict HTTP/1.1\r\nHost: x\r\nContent-Type: image/png\r\nContent-Length: 100000000\r\n\r\n");
  EXPECT_NE(r.find("413"), std::string::npos) << r;
  EXPECT_NE(r.find("request body of 100000000 bytes is over the limit of 100000 bytes"), std::string::npos) << r;
  EXPECT_LT(seconds_since(start), 1.5);

  r = round_trip(port_, "POST /v1/predict HTTP/1.1\r\nHost: x\r\nContent-Type: image/png\r\nContent-Length: 5\r\nContent-Length: 7\r\n\r\nabcdefg");
  EXPECT_NE(r.find("400"), std::string::npos) << r;
  EXPECT_NE(r.find("conflicting Content-Length headers ('5' and '7')"), std::string::npos) << r;

  for (const std::string bad : {"-5", "abc", "12abc"}) {
    r = round_trip(port_, "POST /v1/predict HTTP/1.1\r\nHost: x\r\nContent-Type: image/png\r\nContent-Length: " + bad + "\r\n\r\n");
    EXPECT_NE(r.find("400"), std::string::npos) << bad << ": " << r;
    EXPECT_NE(r.find("Content-Length '" + bad + "' is not a number of bytes"), std::string::npos) << r;
  }
  // The same value twice is allowed (RFC 9112 lets a recipient accept it).
  r = round_trip(port_, "POST /v1/predict HTTP/1.1\r\nHost: x\r\nContent-Type: image/png\r\nContent-Length: 3\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc");
  EXPECT_NE(r.find("422"), std::string::npos) << r;  // read, and refused as no image
  EXPECT_NE(round_trip(port_, "GET /v1/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").find("200 OK"), std::string::npos);
}

}  // namespace
}  // namespace ferkit

namespace ferkit {
namespace {

// Reliability round 2, item 1: a second server on a port in use must fail to bind, not share the
// port (httplib's default SO_REUSEPORT let both listen and split the connections).
TEST_F(HostileServer, ASecondServerOnAPortInUseIsRefused) {
  infer::PredictOptions o;
  o.detector.kind = "none";
  infer::Predictor predictor(tmp_ / "m.ferkit", o);
  serve::ServeOptions so;
  so.port = port_;
  so.host = "127.0.0.1";
  serve::Server second(predictor, so);
  try {
    second.bind();
    FAIL() << "a second server bound port " << port_ << ", which the first holds";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("cannot bind"), std::string::npos) << e.what();
  }
}

// Round 2, items 4 and 8: one framing per request, refused from the head at once: chunked bodies
// (which httplib read past --max-body), Content-Length beside Transfer-Encoding, a POST without a
// length (which waited for the timeout).
TEST_F(HostileServer, OneFramingPerRequestRefusedFromTheHead) {
  const auto start = Clock::now();
  std::string chunk(90'000, 'x');
  std::string r = round_trip(port_, "POST /v1/predict HTTP/1.1\r\nHost: x\r\nContent-Type: image/png\r\nTransfer-Encoding: chunked\r\n\r\n" +
                                        fmt::format("{:x}\r\n", chunk.size()) + chunk + "\r\n0\r\n\r\n");
  EXPECT_NE(r.find("411"), std::string::npos) << r.substr(0, 300);
  EXPECT_NE(r.find("send the body with a Content-Length"), std::string::npos) << r.substr(0, 300);
  r = round_trip(port_, "POST /v1/predict HTTP/1.1\r\nHost: x\r\nContent-Type: image/png\r\nTransfer-Encoding: gzip, chunked\r\n\r\n");
  EXPECT_NE(r.find("411"), std::string::npos) << r;
  r = round_trip(port_, "POST /v1/predict HTTP/1.1\r\nHost: x\r\nContent-Type: image/png\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n");
  EXPECT_NE(r.find("400"), std::string::npos) << r;
  EXPECT_NE(r.find("one framing per request"), std::string::npos) << r;
  r = round_trip(port_, "POST /v1/predict HTTP/1.1\r\nHost: x\r\nContent-Type: image/png\r\n\r\n");
  EXPECT_NE(r.find("411"), std::string::npos) << r;
  EXPECT_NE(r.find("a POST needs a Content-Length"), std::string::npos) << r;
  EXPECT_LT(seconds_since(start), 1.5) << "a refusal waited for a body";
}

// Round 2, item 12: a wrong method on a real endpoint is a 405 naming the allowed ones.
TEST_F(HostileServer, WrongMethodsOnRealEndpointsAre405WithAllow) {
  for (const std::string method : {"GET", "PUT", "DELETE", "OPTIONS"}) {
    const std::string r = round_trip(port_, method + " /v1/predict HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
    EXPECT_NE(r.find("405"), std::string::npos) << method << ": " << r;
    EXPECT_NE(r.find("Allow: POST"), std::string::npos) << method << ": " << r;
  }
  const std::string r = round_trip(port_, "POST /v1/health HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
  EXPECT_NE(r.find("405"), std::string::npos) << r;
  EXPECT_NE(r.find("Allow: GET, HEAD"), std::string::npos) << r;
  EXPECT_NE(round_trip(port_, "GET /nowhere HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").find("404"), std::string::npos);
}

// Round 2, item 6: every sizing option has a ceiling, checked before anything starts.
TEST(ServeOptions, EveryResourceHasACeiling) {
  const auto refused = [](auto set, const std::string& flag) {
    serve::ServeOptions o;
    set(o);
    try {
      serve::validate_serve_options(o);
      ADD_FAILURE() << flag << " accepted";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(flag), std::string::npos) << e.what();
    }
  };
  refused([](serve::ServeOptions& o) { o.workers = 100000; }, "--workers");
  refused([](serve::ServeOptions& o) { o.workers = 0; }, "--workers");
  refused([](serve::ServeOptions& o) { o.batch_wait_ms = 2000000000; }, "--batch-wait-ms");
  refused([](serve::ServeOptions& o) { o.timeout_s = 0; }, "--timeout");
  refused([](serve::ServeOptions& o) { o.max_body_bytes = int64_t{1} << 40; }, "--max-body");
  refused([](serve::ServeOptions& o) { o.queue = -1; }, "--queue");
  EXPECT_NO_THROW(serve::validate_serve_options(serve::ServeOptions{}));
}

// Round 2, item 11: a stop while requests wait for a connection thread answers every request the
// server accepted (httplib's own stop closed the waiting ones unanswered), and accepts no more.
TEST_F(HostileServer, StopAnswersEveryAcceptedRequest) {
  // Four slow clients hold the four connection threads until their 2 s deadline ...
  std::vector<int> slow;
  for (int i = 0; i < 4; ++i) {
    slow.push_back(connect_to(port_));
    ::send(slow.back(), "GET /v1/health HTTP/1.1\r\n", 25, MSG_NOSIGNAL);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  // ... so twenty honest requests are accepted and wait in the queue when the stop comes.
  std::vector<int> honest;
  for (int i = 0; i < 20; ++i) {
    honest.push_back(connect_to(port_));
    ASSERT_GE(honest.back(), 0);
    const std::string req = "GET /v1/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    ::send(honest.back(), req.data(), req.size(), MSG_NOSIGNAL);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  std::thread stopper([&] { server_->server().stop(); });
  int answered = 0;
  for (int fd : honest) {
    const std::string reply = read_all(fd, 8);
    answered += reply.find("200 OK") != std::string::npos && reply.find("\"status\":\"ok\"") != std::string::npos;
    ::close(fd);
  }
  stopper.join();
  for (int fd : slow) ::close(fd);
  EXPECT_EQ(answered, 20) << "accepted requests closed unanswered by the stop";
  EXPECT_LT(connect_to(port_), 0) << "the stopped server still accepts";
}

// Round 2, item 9: two pipelined requests: httplib would lose the second and leave the connection
// hanging; the first is answered with "Connection: close" and the connection ends at once, so the
// client sends the second again (RFC 9112, 9.3.2).
TEST_F(HostileServer, PipelinedRequestsAreAnsweredOrClosedNeverLeftHanging) {
  const auto start = Clock::now();
  const std::string get = "GET /v1/health HTTP/1.1\r\nHost: x\r\n\r\n";
  const std::string reply = round_trip(port_, get + get, 5);
  EXPECT_NE(reply.find("200 OK"), std::string::npos) << reply;
  EXPECT_NE(reply.find("Connection: close"), std::string::npos) << reply;
  EXPECT_LT(seconds_since(start), 1.5) << "the connection hung after the first answer";
}

// Round 2, item 10: under a slow client that holds the only thread, a whole request waiting in
// the queue is answered late, not cut: its deadline runs out in the same watchdog pass that cuts
// the slow client (it arrived a millisecond later), which used to cut it too.
TEST_F(HostileServer, AWholeRequestQueuedBehindASlowClientIsAnsweredLate) {
  serve::ServeOptions so;
  so.workers = 1;
  so.timeout_s = 1;
  test::LoopbackServer one(tmp_ / "m.ferkit", so);
  const int slow = connect_to(one.port());
  ::send(slow, "GET /v1/health HTTP/1.1\r\n", 25, MSG_NOSIGNAL);
  std::this_thread::sleep_for(std::chrono::milliseconds(5));  // the slow client holds the thread
  const std::string reply = round_trip(one.port(), "GET /v1/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 5);
  ::close(slow);
  EXPECT_NE(reply.find("200 OK"), std::string::npos) << "a complete request was cut: " << reply;
}

}  // namespace
}  // namespace ferkit
