// The data-parallel worker of the distributed tests (tests/dist/dist_worker.cpp), run by the test
// program when its first argument is --dist-worker (tests/main.cpp).
#pragma once

namespace ferkit::test {

// argv[0] is "--dist-worker"; argv[1..] are the worker's own arguments. Returns the exit status.
int dist_worker_main(int argc, char** argv);

}  // namespace ferkit::test
