#pragma once
// Matrices for the NMF benchmarks: a dense random start, and a score-like start (H nonzero
// only in note windows, W only in harmonic bands), both seeded.
#include <cmath>

#include "notewise/nmf/nmf.hpp"

namespace notewise::bench {

inline MatrixXf positive(Index r, Index c, std::uint64_t seed) {
  return (nmf::random_matrix<float>(r, c, seed).array() + 0.01f).matrix();
}

// W: template r is a pitch with fundamental at bin f0 = 3 + r * (K/4) / R (up to a quarter of
// the bins), nonzero in bands of +-band_rel around each partial: about w_density of its bins.
// H: each template is active in windows of `window` frames starting every `period` frames, so
// that about h_density of H is nonzero.
inline void score_like_start(Index K, Index N, Index R, double w_density, double h_density, MatrixXf& W,
                             MatrixXf& H) {
  W = MatrixXf::Zero(K, R);
  for (Index r = 0; r < R; ++r) {
    const double f0 = 3.0 + static_cast<double>(r) * (K / 4.0) / R;
    // Band half-width chosen so that the bands cover about w_density of the K bins.
    const double partials = std::floor((K - 1) / f0);
    const double half = std::max(0.5, w_density * K / (2.0 * partials));
    for (int m = 1; m * f0 < K; ++m)
      for (Index k = std::max<Index>(0, std::lround(m * f0 - half)); k <= std::min<Index>(K - 1, std::lround(m * f0 + half)); ++k)
        W(k, r) = 1.0f / m;
  }
  H = MatrixXf::Zero(R, N);
  const Index window = 40, period = static_cast<Index>(window / h_density);
  for (Index r = 0; r < R; ++r) {
    const Index offset = (r * 37) % period;
    for (Index n = offset; n < N; n += period)
      for (Index j = n; j < std::min(N, n + window); ++j) H(r, j) = 0.5f + 0.5f * static_cast<float>((j * 7 + r) % 11) / 11.0f;
  }
}

}  // namespace notewise::bench
