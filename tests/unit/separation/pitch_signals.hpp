#pragma once
// Generated piano-like notes (8 partials 1/m^1.5, 0.6 s decay, 50 ms release) and a fine
// spectrum scan for the pitch-editing tests.
#include <cmath>
#include <complex>
#include <numbers>
#include <vector>

#include "notewise/core/types.hpp"
#include "notewise/score/score.hpp"

namespace notewise::test {

inline VectorXf piano_like(const std::vector<Note>& notes, double seconds, int rate) {
  VectorXf x = VectorXf::Zero(static_cast<Index>(seconds * rate));
  for (const Note& n : notes) {
    const double f = pitch_to_hz(n.pitch);
    const Index start = static_cast<Index>(n.onset * rate), len = static_cast<Index>((n.duration + 0.3) * rate);
    for (Index i = 0; i < len && start + i < x.size(); ++i) {
      const double t = static_cast<double>(i) / rate;
      double env = std::exp(-t / 0.6) * std::min(1.0, t / 0.005);
      if (t > n.duration) env *= std::exp(-(t - n.duration) / 0.05);
      double v = 0;
      for (int m = 1; m <= 8; ++m) v += std::sin(2 * std::numbers::pi * m * f * t) / std::pow(m, 1.5);
      x[start + i] += static_cast<float>(0.2 * env * v);
    }
  }
  return x;
}

// |sum_n w[n] x[n] e^{-i 2 pi f n / rate}| with a Hann window over x.
inline double magnitude_at(const Eigen::Ref<const VectorXf>& x, double f, int rate) {
  std::complex<double> s = 0;
  const Index n = x.size();
  for (Index i = 0; i < n; ++i) {
    const double w = 0.5 - 0.5 * std::cos(2 * std::numbers::pi * i / n);
    s += w * x[i] * std::polar(1.0, -2 * std::numbers::pi * f * i / rate);
  }
  return std::abs(s);
}

// The frequency of the largest magnitude in [lo, hi], scanned in steps of 0.25 Hz.
inline double peak_between(const Eigen::Ref<const VectorXf>& x, double lo, double hi, int rate) {
  double best = lo, mag = -1;
  for (double f = lo; f <= hi; f += 0.25) {
    const double m = magnitude_at(x, f, rate);
    if (m > mag) {
      mag = m;
      best = f;
    }
  }
  return best;
}

inline double cents(double f, double ref) { return 1200 * std::log2(f / ref); }

}  // namespace notewise::test
