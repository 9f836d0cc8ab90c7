// Thread settings: LibTorch starts with one intra-op thread on these machines, so ferkit sets it.
#pragma once

namespace ferkit {

// The number of cores this process may use (affinity mask), at least 1.
int available_cores();

// Sets LibTorch's intra-op threads (and OpenCV's) to n; n <= 0 means available_cores().
// Returns the number set.
int set_threads(int n);

}  // namespace ferkit
