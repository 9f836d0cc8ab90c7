#include "ferkit/util/threads.h"

#include <sched.h>
#include <thread>

#include <opencv2/core.hpp>
#include <ATen/Parallel.h>

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
  if (n <= 0) n = available_cores();
  at::set_num_threads(n);
  // OpenCV work happens inside ferkit's own worker threads; nested OpenCV threads only contend.
  cv::setNumThreads(0);
  return n;
}

}  // namespace ferkit
