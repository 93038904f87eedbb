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

// The thread pools under LibTorch spin while they wait for work, and read
// how long when their libraries load, before main:
//  * libgomp (LibTorch's intra-op pool) spins by default before it sleeps;
//    OMP_WAIT_POLICY=PASSIVE makes idle threads sleep at once. With decode
//    threads, the coordinator and other ranks sharing few cores, spinning
//    cost about a fifth of an index job's CPU time (41 tracks, one rank:
//    47 -> 36 CPU-s).
//  * OpenBLAS (the GRU's and heads' matrix products) starts a pthread pool
//    of one thread per core whose idle threads call sched_yield in a loop:
//    with LibTorch at one thread that pool still kept a second core busy,
//    mostly in system time. Its matrices here are small, so
//    OPENBLAS_NUM_THREADS=1 (no pool) loses nothing.
// And glibc's malloc reads its tunables when the C library starts:
//  * GLIBC_TUNABLES=glibc.malloc.hugetlb=1 (glibc 2.35+) asks for
//    transparent huge pages on malloc's heap (madvise), so the arena of
//    a few hundred MB that a rank fills once faults in 2 MB at a time:
//    one rank indexing 41 tracks took 14 500 minor faults instead of
//    81 000 and a fifth less system time. Where THP is off ("never"), or
//    on an older glibc, it changes nothing.
//  * glibc.malloc.mxfast=0 turns off malloc's fastbins (the per-thread
//    tcache still serves small blocks): with them, every free of a block
//    over 64 KB (oneDNN's buffers, once per convolution) first merged all
//    fastbin chunks, malloc_consolidate at 2-3 % of a worker's CPU.
// ExecWithThreadEnvironment() makes sure all three are set (a value the
// user set wins, GLIBC_TUNABLES as a whole): if one is missing it
// re-executes the program (same pid, argv and descriptors: harmless under
// mpirun and srun) with it added. It runs from
// the executable's .preinit_array, before any shared library's constructor,
// so the re-exec costs only the loading of the libraries, not LibTorch's
// start-up (about half a second less than a re-exec from main). Put
// MER_THREAD_ENVIRONMENT_PREINIT() in the file with main() of every
// executable that runs a model. Returns when nothing was missing, or when
// the exec failed (no /proc): then the program runs with the libraries'
// defaults.
//
// Called before the C library's own start-up, so it only reads `envp` and
// builds the new environment on its stack (no malloc, no getenv).
void ExecWithThreadEnvironment(int argc, char** argv, char** envp);

}  // namespace mer::core

// One .preinit_array entry (allowed only in an executable, hence a macro
// for the file that defines main).
#define MER_THREAD_ENVIRONMENT_PREINIT()                                     \
  __attribute__((section(".preinit_array"), used)) static void (             \
      *const mer_thread_environment_preinit)(int, char**, char**) =          \
      &::mer::core::ExecWithThreadEnvironment

#endif  // MER_COMMON_CORE_ALLOCATOR_H_
