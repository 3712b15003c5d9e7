#pragma once
// Elementwise kernels of the NMF updates that BLAS does not cover, written so that the compiler
// vectorises them for the CPU it runs on (function multi-versioning: AVX-512, AVX2 or baseline
// x86-64, picked at load time), while the default build stays portable.
#include <cstdint>

#include "notewise/core/types.hpp"

namespace notewise::nmf::detail {

// For i < n: y[i] <- x[i] / max(y[i], eps); returns, if with_loss, the KL divergence
// sum x log(x / y) - x + y over the floored y (0 log 0 = 0), accumulated in double.
double kl_ratio(const float* x, float* y, Index n, bool with_loss);
double kl_ratio(const double* x, double* y, Index n, bool with_loss);

// One vectorised pass over x[0..n): whether every entry is finite and >= 0, and sum x^2
// (in double, across blocks).
struct Scan {
  bool finite = true;
  bool nonnegative = true;
  double sum_squares = 0;
};
Scan scan(const float* x, Index n);
Scan scan(const double* x, Index n);

// One pass over template r's gathered block a (column-major, rows x cols: V at the
// template's bins and frames) for both of its Euclidean numerators, each column used while it
// is in L1: num[j] = a_j' w; if update_h, h[j] <- h[j] num[j] / max(den[j], eps); then, if
// acc is given, acc += h[j] a_j with the new h[j].
void template_pass(const float* a, Index rows, Index cols, const float* w, float* h, const float* den, float* num,
                   float* acc, bool update_h);
void template_pass(const double* a, Index rows, Index cols, const double* w, double* h, const double* den, double* num,
                   double* acc, bool update_h);

// Runs of bins: a template's band of nonzero bins as [start, start + length). The sparse KL
// path works on a column of K bins only along the runs of the templates active in a frame.
struct Run {
  std::int32_t start, length;
};
// y[k] += a x[k] for k in the runs.
void runs_axpy(float a, const float* x, float* y, const Run* runs, Index n);
void runs_axpy(double a, const double* x, double* y, const Run* runs, Index n);
// y[i] += a x[k], y packed (the i-th bin of the runs, in order).
void runs_axpy_packed(float a, const float* x, float* y, const Run* runs, Index n);
void runs_axpy_packed(double a, const double* x, double* y, const Run* runs, Index n);
// sum of x[k] y[k] over the runs.
float runs_dot(const float* x, const float* y, const Run* runs, Index n);
double runs_dot(const double* x, const double* y, const Run* runs, Index n);

// out[i] = x[idx[i]] for i < n.
void gather(const float* x, const std::int32_t* idx, float* out, Index n);
void gather(const double* x, const std::int32_t* idx, double* out, Index n);

// sum_i x[idx[i]] y[idx[i]] for i < n: W'W over the bins two templates share.
float indexed_dot(const float* x, const float* y, const std::int32_t* idx, Index n);
double indexed_dot(const double* x, const double* y, const std::int32_t* idx, Index n);

// Natural logarithm for positive normal floats, max error about 2 ulp (Cephes' logf
// polynomial), in a form the compiler vectorises. Exposed for tests.
float fast_log(float x);

}  // namespace notewise::nmf::detail
