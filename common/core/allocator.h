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

// OpenMP's idle threads (LibTorch's intra-op pool) spin, by default, before
// they sleep; with decode threads, the coordinator and other ranks sharing
// few cores that spinning costs about a fifth of the CPU time of an index
// job (41 tracks, one rank: 47 -> 36 CPU-s, 27 -> 22 s wall). libgomp reads
// OMP_WAIT_POLICY when it loads, before main, so when the variable is unset
// this sets it to PASSIVE and re-executes the program (same pid, argv and
// descriptors: harmless under mpirun and srun). Set OMP_WAIT_POLICY
// yourself to keep another policy. Returns only when no re-exec happened.
// Call first in main, before any thread of ours starts.
void RunOpenMpPassively(char** argv);

}  // namespace mer::core

#endif  // MER_COMMON_CORE_ALLOCATOR_H_
