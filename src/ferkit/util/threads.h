// Thread settings: LibTorch starts with one intra-op thread on these machines, so ferkit sets it.
#pragma once
#include <cstdint>
#include <functional>

namespace ferkit {

// The number of cores this process may use (affinity mask), at least 1.
int available_cores();

// Sets LibTorch's intra-op threads (and OpenCV's) to n; n <= 0 means available_cores(), divided
// by LOCAL_WORLD_SIZE when torchrun or ferkit launch started several workers on this machine.
// Returns the number set.
int set_threads(int n);

// Lets OpenCV's own parallel loops (face detection's detectMultiScale runs its scales in
// parallel) use as many threads as LibTorch has. set_threads turns them off, because training
// calls OpenCV from its own loader threads; predict and serve call this: with OpenCV's threads off
// the cascade took 1.7x as long per photo on 2 cores (bench/results.md, predict on a photo).
void use_opencv_threads();

// Runs body(k) for k in [0, n) on `threads` threads, `chunk` indices at a time (a plain pool:
// at::parallel_for is serial unless the caller is compiled with OpenMP, which ferkit is not).
// The first exception a body throws is rethrown once all threads have stopped.
void parallel_for_each(int64_t n, int threads, const std::function<void(int64_t)>& body, int64_t chunk = 64);

}  // namespace ferkit
