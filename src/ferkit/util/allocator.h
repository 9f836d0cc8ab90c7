// Process-wide settings of the C allocator (glibc malloc) for training and inference workloads.
#pragma once

namespace ferkit {

// LibTorch's CPU allocator hands every tensor to malloc and back. glibc serves blocks above a
// dynamic threshold (128 KiB at start) with fresh mmap pages and trims the heap top after free,
// so each training step pays page faults and page zeroing for its activations again: 17 % of a
// small_cnn training profile was kernel time (exc_page_fault, clear_page). Raising the mmap
// threshold to 32 MiB (glibc's largest) and the trim threshold to 1 GiB keeps freed blocks in the
// heap for the next step (+30 % training throughput for small_cnn on 2 cores; bench/results.md).
// Leaves the settings alone when the user set GLIBC_TUNABLES (their choice wins) or
// FERKIT_MALLOC=default. Returns true when it changed them. No-op outside glibc.
bool tune_allocator();

}  // namespace ferkit
