// Load and faults: `ferkit serve` (started as its own process, as a user runs it) under N honest
// clients posting a face while hostile connections run beside them: slow headers trickled a byte
// at a time, bodies declared far over the limit, chunked bodies, pipelined requests and garbage;
// then a SIGTERM mid-way. Reports the honest clients' latency (p50, p99), how many of their
// requests were answered, refused after the stop (connection refused: expected) or left
// unanswered (a defect), the server's peak RSS and how long it took to drain and exit.
// Usage: ferkit_bench serve_faults FERKIT_BINARY IMAGE [HONEST=8] [HOSTILE=40] [SECONDS=20] [extra serve flags...]
// Prints one JSON line. Loopback only; every loop is bounded by SECONDS.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <httplib.h>

#include "ferkit/dist/launch.h"
#include "serve/raw_client.h"
#include <nlohmann/json.hpp>

namespace {

using Clock = std::chrono::steady_clock;
double ms_since(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

int connect_to(int port) { return ferkit::test::connect_loopback(port, /*timeout_s=*/2); }

// Reads until the server closes, `limit_ms` passes or `stop` is set.
void drain(int fd, double limit_ms, const std::atomic<bool>& stop) {
  const auto t0 = Clock::now();
  char buf[4096];
  while (!stop && ms_since(t0) < limit_ms) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    if (::recv(fd, buf, sizeof buf, 0) <= 0) break;
  }
}

int64_t peak_rss_kb(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::atoll(line.c_str() + 6);
  return -1;
}

// One hostile connection, again and again until `stop`: kind 0..4.
void hostile(int kind, int port, const std::atomic<bool>& stop, std::atomic<int64_t>& count) {
  std::mt19937 rng(static_cast<unsigned>(kind * 7919 + 1));
  while (!stop) {
    const int fd = connect_to(port);
    if (fd < 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      continue;
    }
    ++count;
    std::string req;
    switch (kind) {
      case 0: {  // slow headers: a byte every half second until the server cuts it
        ::send(fd, "POST /v1/predict HTTP/1.1\r\nHost: x\r\n", 36, MSG_NOSIGNAL);
        const auto t0 = Clock::now();
        while (!stop && ms_since(t0) < 60'000) {
          std::this_thread::sleep_for(std::chrono::milliseconds(500));
          if (::send(fd, "X", 1, MSG_NOSIGNAL) != 1) break;
        }
        break;
      }
      case 1:  // a body declared far over the limit
        req = "POST /v1/predict HTTP/1.1\r\nHost: x\r\nContent-Type: image/png\r\nContent-Length: 1000000000\r\n\r\n";
        break;
      case 2: {  // a chunked body
        req = "POST /v1/predict HTTP/1.1\r\nHost: x\r\nContent-Type: image/png\r\nTransfer-Encoding: chunked\r\n\r\n";
        std::string chunk(65536, 'x');
        for (int i = 0; i < 16; ++i) req += "10000\r\n" + chunk + "\r\n";
        req += "0\r\n\r\n";
        break;
      }
      case 3:  // pipelined
        req = "GET /v1/health HTTP/1.1\r\nHost: x\r\n\r\nGET /v1/model HTTP/1.1\r\nHost: x\r\n\r\n";
        break;
      default: {  // garbage
        req.resize(512);
        for (auto& c : req) c = static_cast<char>(rng());
        req += "\r\n\r\n";
      }
    }
    if (!req.empty()) ::send(fd, req.data(), req.size(), MSG_NOSIGNAL);
    drain(fd, 5000, stop);
    ::close(fd);
  }
}

}  // namespace

int bench_serve_faults_main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: ferkit_bench %s FERKIT_BINARY IMAGE [HONEST] [HOSTILE] [SECONDS] [serve flags...]\n", argv[0]);
    return 2;
  }
  const int honest_n = argc > 3 ? std::atoi(argv[3]) : 8;
  const int hostile_n = argc > 4 ? std::atoi(argv[4]) : 40;
  const double seconds = argc > 5 ? std::atof(argv[5]) : 20;
  std::ifstream in(argv[2], std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string image = ss.str();
  const int port = ferkit::free_port();  // dist/launch.h

  std::vector<std::string> args = {argv[1], "serve", "--port", std::to_string(port), "--detector", "none"};
  for (int i = 6; i < argc; ++i) args.emplace_back(argv[i]);
  const pid_t pid = ::fork();
  if (pid == 0) {
    std::vector<char*> cargs;
    for (auto& a : args) cargs.push_back(a.data());
    cargs.push_back(nullptr);
    const int null = ::open("/dev/null", O_WRONLY);
    ::dup2(null, 1), ::dup2(null, 2);
    ::execv(cargs[0], cargs.data());
    _exit(127);
  }
  // Up when its health answers (at most 30 s).
  bool up = false;
  for (int i = 0; i < 300 && !up; ++i) {
    httplib::Client c("127.0.0.1", port);
    c.set_connection_timeout(1, 0);
    const auto r = c.Get("/v1/health");
    up = r && r->status == 200;
    if (!up) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  if (!up) {
    ::kill(pid, SIGKILL);
    std::fprintf(stderr, "the server did not come up on port %d\n", port);
    return 1;
  }

  std::atomic<bool> stop_hostile{false}, stop_honest{false}, terminated{false};
  std::atomic<int64_t> hostile_connections{0};
  std::vector<std::thread> threads;
  for (int h = 0; h < hostile_n; ++h) threads.emplace_back(hostile, h % 5, port, std::cref(stop_hostile), std::ref(hostile_connections));
  struct Tally {
    std::vector<double> latency_ms;  // answered before the SIGTERM
    int64_t answered = 0, refused_after_stop = 0, unanswered = 0, unanswered_after_stop = 0, wrong_status = 0;
    std::string first_error;
  };
  std::vector<Tally> tallies(honest_n);
  for (int c = 0; c < honest_n; ++c)
    threads.emplace_back([&, c] {
      Tally& t = tallies[c];
      while (!stop_honest) {
        httplib::Client client("127.0.0.1", port);
        client.set_read_timeout(30, 0);
        client.set_connection_timeout(5, 0);
        const bool after = terminated;
        const auto t0 = Clock::now();
        const auto r = client.Post("/v1/predict", image, "image/png");
        if (r) {
          ++t.answered;
          if (r->status != 200) ++t.wrong_status;
          if (!after) t.latency_ms.push_back(ms_since(t0));
        } else if (r.error() == httplib::Error::Connection && terminated) {
          ++t.refused_after_stop;
          std::this_thread::sleep_for(std::chrono::milliseconds(50));
        } else {
          ++t.unanswered;
          if (after) ++t.unanswered_after_stop;
          if (t.first_error.empty()) t.first_error = httplib::to_string(r.error()) + (after ? " (after the SIGTERM)" : "");
        }
      }
    });
  const auto start = Clock::now();
  int64_t peak_kb = 0;
  while (ms_since(start) < seconds * 1000 * 2 / 3) {
    peak_kb = std::max(peak_kb, peak_rss_kb(pid));
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  peak_kb = std::max(peak_kb, peak_rss_kb(pid));
  terminated = true;
  const auto t_term = Clock::now();
  ::kill(pid, SIGTERM);
  int status = 0;
  double drain_s = -1;
  while (ms_since(t_term) < seconds * 1000 / 3 + 30'000) {
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      drain_s = ms_since(t_term) / 1000;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (drain_s < 0) ::kill(pid, SIGKILL), ::waitpid(pid, &status, 0);
  stop_honest = true;
  stop_hostile = true;
  for (auto& t : threads) t.join();

  Tally all;
  for (auto& t : tallies) {
    all.latency_ms.insert(all.latency_ms.end(), t.latency_ms.begin(), t.latency_ms.end());
    all.answered += t.answered, all.refused_after_stop += t.refused_after_stop, all.unanswered += t.unanswered;
    all.wrong_status += t.wrong_status;
    all.unanswered_after_stop += t.unanswered_after_stop;
    if (all.first_error.empty()) all.first_error = t.first_error;
  }
  std::sort(all.latency_ms.begin(), all.latency_ms.end());
  const auto pct = [&](double p) {
    return all.latency_ms.empty() ? -1.0 : all.latency_ms[std::min(all.latency_ms.size() - 1, static_cast<size_t>(p * all.latency_ms.size()))];
  };
  const nlohmann::json out = {{"honest_clients", honest_n},
                              {"hostile_connections", hostile_n},
                              {"hostile_connections_made", hostile_connections.load()},
                              {"seconds", seconds},
                              {"honest_answered", all.answered},
                              {"honest_not_200", all.wrong_status},
                              {"honest_unanswered", all.unanswered},
                              {"honest_unanswered_after_sigterm", all.unanswered_after_stop},
                              {"first_unanswered_error", all.first_error},
                              {"honest_refused_after_sigterm", all.refused_after_stop},
                              {"honest_p50_ms", pct(0.5)},
                              {"honest_p99_ms", pct(0.99)},
                              {"server_peak_rss_mb", peak_kb / 1024.0},
                              {"sigterm_to_exit_s", drain_s},
                              {"exit_status", WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status)}};
  std::printf("%s\n", out.dump().c_str());
  return all.unanswered == 0 && drain_s >= 0 ? 0 : 1;
}
