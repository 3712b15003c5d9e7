#include "kernels.hpp"

#include <algorithm>
#include <bit>
#include <cfloat>
#include <cmath>
#include <cstdint>

namespace notewise::nmf::detail {
namespace {

// x = m 2^e with m in [sqrt(1/2), sqrt(2)); log x = e ln 2 + log m, log m by Cephes' minimax
// polynomial in (m - 1). Branch-free, so a loop around it vectorises.
[[gnu::always_inline]] inline float log_positive(float x) {
  std::int32_t bits = std::bit_cast<std::int32_t>(x);
  float e = static_cast<float>(((bits >> 23) & 0xff) - 126);
  bits = (bits & 0x807fffff) | 0x3f000000;  // mantissa in [0.5, 1)
  float m = std::bit_cast<float>(bits);
  const bool small = m < 0.70710678f;
  e = small ? e - 1.0f : e;
  m = small ? m + m - 1.0f : m - 1.0f;
  const float z = m * m;
  float y = 7.0376836292e-2f;
  y = y * m - 1.1514610310e-1f;
  y = y * m + 1.1676998740e-1f;
  y = y * m - 1.2420140846e-1f;
  y = y * m + 1.4249322787e-1f;
  y = y * m - 1.6668057665e-1f;
  y = y * m + 2.0000714765e-1f;
  y = y * m - 2.4999993993e-1f;
  y = y * m + 3.3333331174e-1f;
  y = y * m * z;
  y += -2.12194440e-4f * e;
  y += -0.5f * z;
  return m + y + 0.693359375f * e;
}

// Four columns at a time: their four dot products are independent chains (one would wait on
// the latency of each fused multiply-add), and acc is read and written once for all four.
template <class T>
[[gnu::always_inline]] inline void template_pass_impl(const T* a, Index rows, Index cols, const T* w, T* h, const T* den,
                                                      T* num, T* acc, bool update_h, T eps) {
  if (acc)
    for (Index i = 0; i < rows; ++i) acc[i] = 0;
  Index j = 0;
  for (; j + 4 <= cols; j += 4) {
    const T *c0 = a + j * rows, *c1 = c0 + rows, *c2 = c1 + rows, *c3 = c2 + rows;
    T d0 = 0, d1 = 0, d2 = 0, d3 = 0;
#pragma omp simd reduction(+ : d0, d1, d2, d3)
    for (Index i = 0; i < rows; ++i) {
      d0 += c0[i] * w[i];
      d1 += c1[i] * w[i];
      d2 += c2[i] * w[i];
      d3 += c3[i] * w[i];
    }
    const T d[4] = {d0, d1, d2, d3};
    for (int q = 0; q < 4; ++q) {
      num[j + q] = d[q];
      if (update_h) h[j + q] = h[j + q] * d[q] / std::max(den[j + q], eps);
    }
    if (!acc) continue;
    const T h0 = h[j], h1 = h[j + 1], h2 = h[j + 2], h3 = h[j + 3];
#pragma omp simd
    for (Index i = 0; i < rows; ++i) acc[i] += h0 * c0[i] + h1 * c1[i] + h2 * c2[i] + h3 * c3[i];
  }
  for (; j < cols; ++j) {
    const T* col = a + j * rows;
    T dot = 0;
#pragma omp simd reduction(+ : dot)
    for (Index i = 0; i < rows; ++i) dot += col[i] * w[i];
    num[j] = dot;
    if (update_h) h[j] = h[j] * dot / std::max(den[j], eps);
    if (!acc) continue;
    const T hj = h[j];
#pragma omp simd
    for (Index i = 0; i < rows; ++i) acc[i] += hj * col[i];
  }
}

template <class T>
[[gnu::always_inline]] inline void runs_axpy_impl(T a, const T* x, T* y, const Run* runs, Index n) {
  for (Index r = 0; r < n; ++r) {
    const T* xs = x + runs[r].start;
    T* ys = y + runs[r].start;
#pragma omp simd
    for (Index i = 0; i < runs[r].length; ++i) ys[i] += a * xs[i];
  }
}

template <class T>
[[gnu::always_inline]] inline void runs_axpy_packed_impl(T a, const T* x, T* y, const Run* runs, Index n) {
  for (Index r = 0; r < n; ++r) {
    const T* xs = x + runs[r].start;
#pragma omp simd
    for (Index i = 0; i < runs[r].length; ++i) y[i] += a * xs[i];
    y += runs[r].length;
  }
}

template <class T>
[[gnu::always_inline]] inline T runs_dot_impl(const T* x, const T* y, const Run* runs, Index n) {
  T total = 0;
  for (Index r = 0; r < n; ++r) {
    const T* xs = x + runs[r].start;
    const T* ys = y + runs[r].start;
    T sum = 0;
#pragma omp simd reduction(+ : sum)
    for (Index i = 0; i < runs[r].length; ++i) sum += xs[i] * ys[i];
    total += sum;
  }
  return total;
}

// x * 0 is 0 for finite x and NaN for Inf or NaN, so one sum tells finiteness without a
// branch. Squares are summed in T over blocks of 256 (vectorised) and the blocks in double: the
// Euclidean loss is ||V||^2 - 2<WH, V> + ||WH||^2, where a float sum of all of V would lose
// a small loss in rounding.
template <class T>
[[gnu::always_inline]] inline Scan scan_impl(const T* x, Index n) {
  Scan s;
  T zero = 0, low = 0;
  for (Index b = 0; b < n; b += 256) {
    const Index end = std::min(n, b + 256);
    T squares = 0;
#pragma omp simd reduction(+ : zero, squares) reduction(min : low)
    for (Index i = b; i < end; ++i) {
      const T v = x[i];
      zero += v * T(0);
      squares += v * v;
      low = v < low ? v : low;
    }
    s.sum_squares += squares;
  }
  s.finite = zero == T(0);
  s.nonnegative = low >= T(0);
  return s;
}

}  // namespace

#if defined(__x86_64__) && !defined(__SANITIZE_ADDRESS__)
__attribute__((target_clones("avx512f", "avx2", "default")))
#endif
Scan scan(const float* x, Index n) { return scan_impl(x, n); }
Scan scan(const double* x, Index n) { return scan_impl(x, n); }

#if defined(__x86_64__) && !defined(__SANITIZE_ADDRESS__)
__attribute__((target_clones("avx512f", "avx2", "default")))
#endif
void template_pass(const float* a, Index rows, Index cols, const float* w, float* h, const float* den, float* num,
                   float* acc, bool update_h) {
  template_pass_impl(a, rows, cols, w, h, den, num, acc, update_h, FLT_EPSILON);
}

void template_pass(const double* a, Index rows, Index cols, const double* w, double* h, const double* den, double* num,
                   double* acc, bool update_h) {
  template_pass_impl(a, rows, cols, w, h, den, num, acc, update_h, DBL_EPSILON);
}

#if defined(__x86_64__) && !defined(__SANITIZE_ADDRESS__)
__attribute__((target_clones("avx512f", "avx2", "default")))
#endif
void runs_axpy(float a, const float* x, float* y, const Run* runs, Index n) { runs_axpy_impl(a, x, y, runs, n); }
void runs_axpy(double a, const double* x, double* y, const Run* runs, Index n) { runs_axpy_impl(a, x, y, runs, n); }

#if defined(__x86_64__) && !defined(__SANITIZE_ADDRESS__)
__attribute__((target_clones("avx512f", "avx2", "default")))
#endif
void runs_axpy_packed(float a, const float* x, float* y, const Run* runs, Index n) {
  runs_axpy_packed_impl(a, x, y, runs, n);
}
void runs_axpy_packed(double a, const double* x, double* y, const Run* runs, Index n) {
  runs_axpy_packed_impl(a, x, y, runs, n);
}

#if defined(__x86_64__) && !defined(__SANITIZE_ADDRESS__)
__attribute__((target_clones("avx512f", "avx2", "default")))
#endif
float runs_dot(const float* x, const float* y, const Run* runs, Index n) { return runs_dot_impl(x, y, runs, n); }
double runs_dot(const double* x, const double* y, const Run* runs, Index n) { return runs_dot_impl(x, y, runs, n); }

#if defined(__x86_64__) && !defined(__SANITIZE_ADDRESS__)
__attribute__((target_clones("avx512f", "avx2", "default")))
#endif
void gather(const float* x, const std::int32_t* idx, float* out, Index n) {
#pragma omp simd
  for (Index i = 0; i < n; ++i) out[i] = x[idx[i]];
}

void gather(const double* x, const std::int32_t* idx, double* out, Index n) {
  for (Index i = 0; i < n; ++i) out[i] = x[idx[i]];
}

#if defined(__x86_64__) && !defined(__SANITIZE_ADDRESS__)
__attribute__((target_clones("avx512f", "avx2", "default")))
#endif
float indexed_dot(const float* x, const float* y, const std::int32_t* idx, Index n) {
  float dot = 0;
#pragma omp simd reduction(+ : dot)
  for (Index i = 0; i < n; ++i) dot += x[idx[i]] * y[idx[i]];
  return dot;
}

double indexed_dot(const double* x, const double* y, const std::int32_t* idx, Index n) {
  double dot = 0;
  for (Index i = 0; i < n; ++i) dot += x[idx[i]] * y[idx[i]];
  return dot;
}

float fast_log(float x) { return log_positive(x); }

#if defined(__x86_64__) && !defined(__SANITIZE_ADDRESS__)
__attribute__((target_clones("avx512f", "avx2", "default")))
#endif
double kl_ratio(const float* x, float* y, Index n, bool with_loss) {
  constexpr float eps = FLT_EPSILON;
  if (!with_loss) {
#pragma omp simd
    for (Index i = 0; i < n; ++i) y[i] = x[i] / std::max(y[i], eps);
    return 0.0;
  }
  // Blocks of 512 are summed in float (vectorised), the blocks in double.
  double total = 0;
  for (Index b = 0; b < n; b += 512) {
    const Index end = std::min(n, b + 512);
    float acc = 0;
#pragma omp simd reduction(+ : acc)
    for (Index i = b; i < end; ++i) {
      const float xi = x[i], yi = std::max(y[i], eps);
      acc += xi * log_positive(std::max(xi, eps) / yi) - xi + yi;
      y[i] = xi / yi;
    }
    total += acc;
  }
  return total;
}

double kl_ratio(const double* x, double* y, Index n, bool with_loss) {
  constexpr double eps = DBL_EPSILON;
  double total = 0;
  for (Index i = 0; i < n; ++i) {
    const double xi = x[i], yi = std::max(y[i], eps);
    if (with_loss) total += xi * std::log(std::max(xi, eps) / yi) - xi + yi;
    y[i] = xi / yi;
  }
  return total;
}

}  // namespace notewise::nmf::detail
