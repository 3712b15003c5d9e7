#include "notewise/mosaic/mosaic.hpp"

#include <algorithm>
#include <string>

#include "notewise/core/error.hpp"

namespace notewise::mosaic {

void Options::validate() const {
  stft.validate();
  griffin_lim.validate();
  require(iterations >= 1, "mosaic iterations", iterations, ">= 1");
  require(restrict_every >= 1, "restrict_every", restrict_every, ">= 1");
  require(repetition >= 0, "repetition", repetition, ">= 0");
  require(polyphony >= 1, "polyphony", polyphony, ">= 1");
  require(continuity >= 1 && continuity % 2 == 1, "continuity", continuity, "odd and >= 1");
}

void restrict_repetition(MatrixXf& H, int r, float factor) {
  if (r <= 0) return;
  const Index M = H.rows(), N = H.cols();
  const MatrixXf before = H;
#pragma omp parallel for schedule(static)
  for (Index j = 0; j < N; ++j) {
    const Index a = std::max<Index>(0, j - r), b = std::min<Index>(N - 1, j + r);
    for (Index i = 0; i < M; ++i) {
      // Eq. 3-4: entries that are not the maximum of their neighbourhood in the row decay.
      const float mx = before.row(i).segment(a, b - a + 1).maxCoeff();
      if (before(i, j) < mx) H(i, j) = factor * before(i, j);
    }
  }
}

void restrict_polyphony(MatrixXf& H, int p, float factor) {
  const Index M = H.rows(), N = H.cols();
  if (p >= M) return;
#pragma omp parallel
  {
    std::vector<float> col(static_cast<std::size_t>(M));
#pragma omp for schedule(static)
    for (Index j = 0; j < N; ++j) {
      std::copy(H.col(j).data(), H.col(j).data() + M, col.begin());
      std::nth_element(col.begin(), col.begin() + (p - 1), col.end(), std::greater<float>());
      const float kth = col[static_cast<std::size_t>(p - 1)];  // the p-th largest value
      // Eq. 5: below the p-th largest, entries decay (ties with it are kept, as Kitamura's port).
      for (Index i = 0; i < M; ++i)
        if (H(i, j) < kth) H(i, j) *= factor;
    }
  }
}

MatrixXf enhance_continuity(const MatrixXf& H, int length) {
  const int c = length / 2;
  if (c <= 0) return H;
  const Index M = H.rows(), N = H.cols();
  MatrixXf C = MatrixXf::Zero(M, N);
#pragma omp parallel for schedule(static)
  for (Index j = 0; j < N; ++j)
    for (int k = -c; k <= c; ++k) {
      const Index jj = j + k;
      if (jj < 0 || jj >= N) continue;
      // Eq. 6: C(i, j) += P(i + k, j + k) for the rows i where i + k is a source frame.
      const Index i0 = std::max<Index>(0, -k), i1 = std::min<Index>(M, M - k);
      if (i1 > i0) C.col(j).segment(i0, i1 - i0) += H.col(jj).segment(i0 + k, i1 - i0);
    }
  return C;
}

Result mosaic(const Eigen::Ref<const VectorXf>& target, const Eigen::Ref<const VectorXf>& source, const Options& o,
              const nmf::Callback& on_iteration) {
  o.validate();
  if (target.size() < 1) throw InvalidArgument("mosaic: the target is empty");
  if (source.size() < 1) throw InvalidArgument("mosaic: the source is empty");
  if (!target.allFinite() || !source.allFinite()) throw InvalidArgument("mosaic: the signals hold NaN or Inf");
  Result res;
  const MatrixXcf Xs = stft(source, o.stft);
  const MatrixXf W = Xs.cwiseAbs();
  res.target_V = stft(target, o.stft).cwiseAbs();
  const Index M = W.cols(), N = res.target_V.cols();
  // A random start at the level of the data, so the first updates need not find the scale.
  const double mean_w = std::max(1e-12, static_cast<double>(W.mean()));
  const double mean_v = std::max(1e-12, static_cast<double>(res.target_V.mean()));
  MatrixXf H = nmf::random_matrix<float>(M, N, o.seed) * static_cast<float>(2.0 * mean_v / (mean_w * M));
  H.array() += std::numeric_limits<float>::min();  // no exact zeros: the updates could not revive them

  nmf::Options nmf_options;
  nmf_options.divergence = nmf::Divergence::KullbackLeibler;
  nmf_options.fix_w = true;
  nmf_options.path = nmf::Path::Dense;  // W is the source's dense spectrogram
  const int L = o.iterations;
  bool first = true, cancelled = false;
  int l = 1;
  while (l <= L && !cancelled) {
    if (l % o.restrict_every == 0) {
      const float f = static_cast<float>(1.0 - static_cast<double>(l) / L);
      restrict_repetition(H, o.repetition, f);
      restrict_polyphony(H, o.polyphony, f);
      H = enhance_continuity(H, o.continuity);
      res.restricted_at.push_back(l);
    }
    // Plain updates up to the next restriction.
    const int next = std::min(L + 1, (l / o.restrict_every + 1) * o.restrict_every);
    nmf_options.max_iterations = next - l;
    const int offset = l - 1;
    auto r = nmf::factorize<float>(res.target_V, W, std::move(H), nmf_options, [&](const nmf::Progress& p) {
      if (!on_iteration) return true;
      return on_iteration(nmf::Progress{offset + p.iteration, L, p.loss});
    });
    if (first) res.initial_loss = r.initial_loss;
    first = false;
    res.loss.insert(res.loss.end(), r.loss.begin(), r.loss.end());
    cancelled = r.cancelled;
    H = std::move(r.H);
    l = next;
  }
  res.H = std::move(H);
  res.model = W * res.H;
  const MatrixXcf Y = Xs * res.H.cast<std::complex<float>>();
  res.audio = griffin_lim(res.model, Y, o.stft, target.size(), o.griffin_lim);
  return res;
}

}  // namespace notewise::mosaic
