#pragma once
// Elementwise kernels of the NMF updates that BLAS does not cover, written so that the compiler
// vectorises them for the CPU it runs on (function multi-versioning: AVX-512, AVX2 or baseline
// x86-64, picked at load time), while the default build stays portable.
#include "notewise/core/types.hpp"

namespace notewise::nmf::detail {

// For i < n: y[i] <- x[i] / max(y[i], eps); returns, if with_loss, the KL divergence
// sum x log(x / y) - x + y over the floored y (0 log 0 = 0), accumulated in double.
double kl_ratio(const float* x, float* y, Index n, bool with_loss);
double kl_ratio(const double* x, double* y, Index n, bool with_loss);

// Natural logarithm for positive normal floats, max error about 2 ulp (Cephes' logf
// polynomial), in a form the compiler vectorises. Exposed for tests.
float fast_log(float x);

}  // namespace notewise::nmf::detail
