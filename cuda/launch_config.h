// launch_config.h — the launch constants of the kernels, in one place: the device code (gemm_nt.cuh) and the
// native host (native/kernels.h) include this file; the Java host (KernelLaunches.java) mirrors it and a test
// (LaunchConfigTest) fails when the two differ. Plain C++, no CUDA headers, so any host compiler reads it.
#pragma once

namespace ntk_cfg {

// Threads per block of every GEMM-shaped kernel.
constexpr int THREADS = 256;
// Block tiles (rows of A x rows of B) and the k-depth of one shared-memory stage.
constexpr int F32_BM = 128, F32_BN = 128;
constexpr int F64_BM = 64, F64_BN = 64;
constexpr int TF32_BM = 128, TF32_BN = 128;
constexpr int BK = 16;
// Longest fp32 (and TF32) accumulation chain: each thread's fp32 partial sums cover at most SLICE_K consecutive
// k, then are added into an fp64 accumulator, so the fp32 error stops growing with K (see cuda/README.md).
constexpr int SLICE_K = 8192;
// Split-K heuristic: split only when the output tiles do not fill the GPU once; aim at SPLIT_BLOCKS_PER_SM
// blocks per SM, keep at least SPLIT_MIN_KTILES k-tiles per split, at most SPLIT_MAX splits.
constexpr int SPLIT_BLOCKS_PER_SM = 2, SPLIT_MIN_KTILES = 16, SPLIT_MAX = 64;
// Largest grid y and z a launch may use.
constexpr int MAX_GRID_YZ = 65535;
// Leading dimension of a Jacobian column chunk, in elements: a multiple of this keeps every row 16-byte
// aligned for the 16-byte cp.async path of the Gram kernel.
constexpr int J_LD_ALIGN = 32;

}  // namespace ntk_cfg
