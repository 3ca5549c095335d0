#pragma once
// The float32 multiply-add peak of this build on a number of threads: kernels::fma_probe run on
// every thread of a pool at once, the flops of all threads over the wall time of the slowest, best
// of several rounds. On two vCPUs that are two real cores this is about twice the one-thread peak;
// on two hyperthreads of one core it is about the same (lscpu: "Thread(s) per core"), which is
// what a benchmark's thread scaling has to be read against.
#include <cstddef>

namespace diffuse {

// GFLOP/s of `threads` (>= 1) threads running the probe together.
double fma_peak_gflops(std::size_t threads);

}  // namespace diffuse
