#include "ferkit/dist/launch.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "ferkit/util/error.h"
#include "ferkit/util/threads.h"

namespace ferkit {
namespace {

std::atomic<int> forwarded_signal{0};
extern "C" void remember_signal(int sig) { forwarded_signal = sig; }

int exit_code_of(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 1;
}

std::string describe(int status) {
  if (WIFEXITED(status)) return fmt::format("exited with code {}", WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return fmt::format("was killed by signal {} ({})", WTERMSIG(status), strsignal(WTERMSIG(status)));
  return "stopped";
}

// The worker with local index `local`: torchrun's environment, then the program itself. Runs in
// the forked child; never returns.
[[noreturn]] void exec_worker(const std::vector<std::string>& argv, const LaunchOptions& o, int local, int port, int threads,
                              const struct sigaction& old_int, const struct sigaction& old_term) {
  sigaction(SIGINT, &old_int, nullptr);
  sigaction(SIGTERM, &old_term, nullptr);
  setenv("RANK", std::to_string(o.node_rank * o.nproc + local).c_str(), 1);
  setenv("LOCAL_RANK", std::to_string(local).c_str(), 1);
  setenv("WORLD_SIZE", std::to_string(o.nnodes * o.nproc).c_str(), 1);
  setenv("LOCAL_WORLD_SIZE", std::to_string(o.nproc).c_str(), 1);
  setenv("MASTER_ADDR", o.master_addr.c_str(), 1);
  setenv("MASTER_PORT", std::to_string(port).c_str(), 1);
  setenv("OMP_NUM_THREADS", std::to_string(threads).c_str(), 1);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  execv(args[0], args.data());
  std::fprintf(stderr, "launch: cannot run %s: %s\n", args[0], std::strerror(errno));
  std::_Exit(127);
}

// Waits for the workers, passing signals on; when one fails, the others get SIGTERM (SIGKILL
// 10 s later). Returns the first failure's exit code (128 + signal after a passed-on signal).
int supervise(std::vector<pid_t>& pids, const LaunchOptions& o) {
  int result = 0;
  size_t running = pids.size();
  bool terminating = false;
  auto deadline = std::chrono::steady_clock::time_point::max();
  auto signal_all = [&](int sig) {
    for (pid_t p : pids)
      if (p > 0) kill(p, sig);
  };
  while (running > 0) {
    if (int sig = forwarded_signal.exchange(0); sig != 0) {
      spdlog::warn("launch: passing signal {} on to the workers", sig);
      signal_all(sig);
      if (result == 0) result = 128 + sig;
    }
    int status = 0;
    const pid_t done = waitpid(-1, &status, WNOHANG);
    if (done > 0) {
      auto it = std::find(pids.begin(), pids.end(), done);
      if (it == pids.end()) continue;
      const int rank = o.node_rank * o.nproc + static_cast<int>(it - pids.begin());
      *it = -1;
      --running;
      if (exit_code_of(status) != 0 && !terminating) {
        if (result == 0)  // after a passed-on Ctrl-C the workers' exits are expected
          spdlog::error("launch: worker {} {}; stopping the others", rank, describe(status));
        if (result == 0) result = exit_code_of(status);
        terminating = true;
        signal_all(SIGTERM);
        deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
      }
      continue;
    }
    if (terminating && std::chrono::steady_clock::now() > deadline) {
      spdlog::error("launch: workers still running 10 s after SIGTERM; killing them");
      signal_all(SIGKILL);
      deadline = std::chrono::steady_clock::time_point::max();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return result;
}

}  // namespace

int free_port() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  FERKIT_CHECK(fd >= 0, std::string("socket: ") + std::strerror(errno));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  socklen_t len = sizeof(a);
  const bool ok = bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0 &&
                  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0;
  close(fd);
  FERKIT_CHECK(ok, std::string("cannot find a free port: ") + std::strerror(errno));
  return ntohs(a.sin_port);
}

int launch_workers(const std::vector<std::string>& argv, const LaunchOptions& o) {
  FERKIT_CHECK(!argv.empty(), "launch: nothing to run");
  FERKIT_CHECK(o.nproc >= 1, "launch: --nproc must be >= 1");
  FERKIT_CHECK(o.nnodes >= 1 && o.node_rank >= 0 && o.node_rank < o.nnodes, "launch: --node-rank must be in [0, --nnodes)");
  FERKIT_CHECK(o.nnodes == 1 || o.master_port > 0, "launch: several machines need an agreed --master-port");
  const int port = o.master_port > 0 ? o.master_port : free_port();
  const int threads = o.threads_per_worker > 0 ? o.threads_per_worker : std::max(1, available_cores() / o.nproc);
  spdlog::info("launch: {} workers here ({} in all), rendezvous {}:{}, {} threads each", o.nproc, o.nnodes * o.nproc, o.master_addr,
               port, threads);
  struct sigaction sa {};
  sa.sa_handler = remember_signal;
  sigemptyset(&sa.sa_mask);
  struct sigaction old_int {}, old_term {};
  sigaction(SIGINT, &sa, &old_int);
  sigaction(SIGTERM, &sa, &old_term);
  std::vector<pid_t> pids;
  for (int local = 0; local < o.nproc; ++local) {
    const pid_t pid = fork();
    FERKIT_CHECK(pid >= 0, std::string("fork: ") + std::strerror(errno));
    if (pid == 0) exec_worker(argv, o, local, port, threads, old_int, old_term);
    pids.push_back(pid);
  }
  const int result = supervise(pids, o);
  sigaction(SIGINT, &old_int, nullptr);
  sigaction(SIGTERM, &old_term, nullptr);
  return result;
}

}  // namespace ferkit
