#pragma once
// Generated signals for the mosaicing tests: a harmonic tone whose pitch glides over three
// octaves, so that every source frame has a pitch of its own and the right source frame of a
// target frame is unique; the target plays pieces of the same glide in another order.
#include <cmath>
#include <numbers>
#include <utility>
#include <vector>

#include "notewise/core/types.hpp"

namespace notewise::test {

// The glide's tone from source time t0 to t1 (s): f(t) = 150 Hz * 8^(t / 6 s), 8 partials 1/m.
inline VectorXf glide(double t0, double t1, int rate) {
  const Index n = static_cast<Index>(std::lround((t1 - t0) * rate));
  VectorXf x(n);
  double phase = 0;
  for (Index i = 0; i < n; ++i) {
    const double t = t0 + static_cast<double>(i) / rate;
    phase += 2 * std::numbers::pi * 150.0 * std::pow(8.0, t / 6.0) / rate;
    double v = 0;
    for (int m = 1; m <= 8; ++m) v += std::sin(m * phase) / m;
    x[i] = static_cast<float>(0.1 * v);
  }
  return x;
}

inline VectorXf concat(const std::vector<VectorXf>& parts) {
  Index n = 0;
  for (const auto& p : parts) n += p.size();
  VectorXf x(n);
  Index at = 0;
  for (const auto& p : parts) {
    x.segment(at, p.size()) = p;
    at += p.size();
  }
  return x;
}

// Source: the whole 6 s glide. Target: 1 s pieces from source times 3, 1, 4.5 and 0.5 s.
inline std::pair<VectorXf, VectorXf> glide_source_and_target(int rate) {
  return {glide(0, 6, rate), concat({glide(3, 4, rate), glide(1, 2, rate), glide(4.5, 5.5, rate), glide(0.5, 1.5, rate)})};
}

// Fraction of target frames n (n + 1 not across one of the `cuts`, given in frames) whose
// strongest source frame advances by exactly one from frame n to n + 1: 1 for a mosaic that
// plays the source in order.
inline double diagonal_fraction(const MatrixXf& H, const std::vector<Index>& cuts) {
  Index good = 0, total = 0;
  for (Index n = 0; n + 1 < H.cols(); ++n) {
    bool cut = false;
    for (Index c : cuts) cut = cut || (n + 1 >= c - 1 && n <= c + 1);
    if (cut) continue;
    Index a = 0, b = 0;
    H.col(n).maxCoeff(&a);
    H.col(n + 1).maxCoeff(&b);
    good += (b - a == 1);
    ++total;
  }
  return total ? static_cast<double>(good) / total : 0.0;
}

// Pearson correlation of two matrices' entries (log-magnitude in dB floored at -80 dB of
// their common maximum).
inline double log_correlation(const MatrixXf& a, const MatrixXf& b) {
  const float ref = std::max(a.maxCoeff(), b.maxCoeff());
  const auto la = (20.0f * (a.array() / ref).max(1e-4f).log10()).cast<double>();
  const auto lb = (20.0f * (b.array() / ref).max(1e-4f).log10()).cast<double>();
  const double ma = la.mean(), mb = lb.mean();
  const double cov = ((la - ma) * (lb - mb)).sum();
  return cov / std::sqrt(((la - ma).square().sum()) * ((lb - mb).square().sum()));
}

}  // namespace notewise::test
