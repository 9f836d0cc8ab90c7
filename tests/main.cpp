// The test program's entry point: GoogleTest, or with --dist-worker first the data-parallel worker
// the distributed tests start (tests/dist/dist_worker.cpp).
#include <cstring>

#include <gtest/gtest.h>

#include "dist/dist_worker.h"

int main(int argc, char** argv) {
  if (argc > 1 && std::strcmp(argv[1], "--dist-worker") == 0) return ferkit::test::dist_worker_main(argc - 1, argv + 1);
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
