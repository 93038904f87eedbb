// Tuning of glibc's malloc for mer's allocation pattern. Decoding, log-mel
// and above all LibTorch allocate and free buffers of megabytes for every
// batch of windows (a conv block's activations are tens of MB). With
// glibc's defaults each of those is a fresh mmap (or a per-thread arena
// heap that is trimmed when freed), so every batch page-faults its memory
// in again and the kernel zeroes it: on a 10-track index one rank took
// 1.1 million minor faults and 9 s of system time for 14 s of user time.
// Keeping freed memory in one arena for reuse took that to 0.13 million
// faults, 1.5-2 s of system time and half the wall time, at the same peak
// memory (about 0.6 GB).
#ifndef MER_COMMON_CORE_ALLOCATOR_H_
#define MER_COMMON_CORE_ALLOCATOR_H_

namespace mer::core {

// Sets M_ARENA_MAX to 1, M_MMAP_THRESHOLD and M_TRIM_THRESHOLD to 1 GiB,
// each unless the environment sets it (MALLOC_ARENA_MAX,
// MALLOC_MMAP_THRESHOLD_, MALLOC_TRIM_THRESHOLD_: those win, so the
// defaults can be had back). Call first in main, before any thread starts.
// A no-op on a C library other than glibc.
void TuneAllocatorForBatches();

}  // namespace mer::core

#endif  // MER_COMMON_CORE_ALLOCATOR_H_
