#include "ferkit/util/threads.h"

#include <cstdlib>

#include <sched.h>

#include <atomic>
#include <exception>
#include <mutex>
#include <vector>
#include <thread>

#include <opencv2/core.hpp>
#include <ATen/Parallel.h>

#include "ferkit/util/error.h"

namespace ferkit {

int available_cores() {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    int n = CPU_COUNT(&set);
    if (n > 0) return n;
  }
  unsigned hc = std::thread::hardware_concurrency();
  return hc > 0 ? static_cast<int>(hc) : 1;
}

int set_threads(int n) {
  // Beyond a few threads per core only memory and contention grow.
  const int most = std::max(64, 4 * available_cores());
  if (n < 0 || n > most)
    throw Error("--threads must be 0 (all cores) or from 1 to " + std::to_string(most) + ", not " + std::to_string(n));
  if (n == 0) {
    n = available_cores();
    // Workers of a data-parallel run share the machine (torchrun and ferkit launch set this).
    if (const char* local = std::getenv("LOCAL_WORLD_SIZE"); local && std::atoi(local) > 1) n = std::max(1, n / std::atoi(local));
  }
  at::set_num_threads(n);
  // OpenCV work happens inside ferkit's own worker threads; nested OpenCV threads only contend.
  cv::setNumThreads(0);
  return n;
}

void use_opencv_threads() { cv::setNumThreads(at::get_num_threads()); }

void parallel_for_each(int64_t n, int threads, const std::function<void(int64_t)>& body, int64_t chunk) {
  std::atomic<int64_t> next{0};
  std::exception_ptr failure;
  std::mutex failure_mutex;
  auto work = [&]() {
    try {
      for (int64_t k; (k = next.fetch_add(chunk)) < n;)
        for (int64_t i = k; i < std::min(n, k + chunk); ++i) body(i);
    } catch (...) {
      std::lock_guard<std::mutex> lock(failure_mutex);
      if (!failure) failure = std::current_exception();
      next = n;  // the others stop at their next chunk
    }
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < std::min<int64_t>(threads, (n + chunk - 1) / chunk); ++t) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
  if (failure) std::rethrow_exception(failure);
}

}  // namespace ferkit
