#include "notewise/align/align.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "notewise/core/error.hpp"
#include "notewise/core/stft.hpp"

namespace notewise {
namespace {

constexpr int kTail = 10;  // frames of the onset features' decaying tail

// Pitch energies (128 x N) -> features (24 x N).
MatrixXf features_from_pitch_energy(const MatrixXf& E, const AlignOptions& o, const MatrixXf* onset_impulses) {
  const Index N = E.cols();
  const float peak = E.maxCoeff() > 0 ? E.maxCoeff() : 1.0f;
  const MatrixXf L = (1.0f + static_cast<float>(o.gamma) * E.array() / peak).log().matrix();
  MatrixXf F = MatrixXf::Zero(24, N);
  for (Index p = 0; p < 128; ++p) F.row(p % 12) += L.row(p);
  MatrixXf rise = MatrixXf::Zero(12, N);
  if (onset_impulses) {
    rise = *onset_impulses;
  } else {
    for (Index n = 1; n < N; ++n)
      for (Index p = 0; p < 128; ++p) rise(p % 12, n) += std::max(0.0f, L(p, n) - L(p, n - 1));
  }
  if (o.onset_features)
    for (Index n = 0; n < N; ++n)
      for (int m = 0; m < kTail && m <= n; ++m) F.bottomRows(12).col(n) += (1.0f - static_cast<float>(m) / kTail) * rise.col(n - m);
  for (Index n = 0; n < N; ++n) {
    auto c = F.col(n).head(12);
    const float norm = c.norm();
    if (norm > 1e-6f) c /= norm;
    else c.setConstant(1.0f / std::sqrt(12.0f));
    auto on = F.col(n).tail(12);
    const float onorm = on.norm();
    if (onorm > 1e-6f) on /= onorm;
    else on.setZero();
  }
  return F;
}

double frame_cost(const Eigen::Ref<const VectorXf>& a, const Eigen::Ref<const VectorXf>& b) {
  return (1.0 - a.head(12).dot(b.head(12))) + 0.5 * (a.tail(12) - b.tail(12)).norm();
}

}  // namespace

void AlignOptions::validate() const {
  require(feature_rate >= 10 && feature_rate <= 400, "feature_rate", feature_rate, "in [10, 400] Hz");
  require(n_fft >= 256 && n_fft % 2 == 0, "n_fft", n_fft, "even and >= 256");
  require(gamma > 0, "gamma", gamma, "> 0");
  require(poor_cost > 0, "poor_cost", poor_cost, "> 0");
  require(dtw.weights.diagonal > 0 && dtw.weights.down > 0 && dtw.weights.right > 0, "step weight",
          std::min({dtw.weights.diagonal, dtw.weights.down, dtw.weights.right}), "> 0");
}

MatrixXf audio_features(const Eigen::Ref<const VectorXf>& audio, double sr, const AlignOptions& o) {
  o.validate();
  StftOptions so;
  so.n_fft = o.n_fft;
  so.hop = std::clamp(static_cast<int>(std::lround(sr / o.feature_rate)), 1, o.n_fft / 2);
  const MatrixXcf X = stft(audio, so);
  // Bin -> MIDI pitch (21 .. 108, A0 .. C8), -1 outside.
  std::vector<int> pitch(static_cast<std::size_t>(X.rows()), -1);
  for (Index k = 1; k < X.rows(); ++k) {
    const double f = k * sr / o.n_fft;
    const int p = static_cast<int>(std::lround(69 + 12 * std::log2(f / 440.0)));
    if (p >= 21 && p <= 108) pitch[k] = p;
  }
  MatrixXf E = MatrixXf::Zero(128, X.cols());
  for (Index n = 0; n < X.cols(); ++n)
    for (Index k = 1; k < X.rows(); ++k)
      if (pitch[k] >= 0) E(pitch[k], n) += std::norm(X(k, n));
  return features_from_pitch_energy(E, o, nullptr);
}

MatrixXf score_features(const Score& score, Index frames, double dt, const AlignOptions& o) {
  o.validate();
  MatrixXf E = MatrixXf::Zero(128, frames), impulses = MatrixXf::Zero(12, frames);
  for (const Note& n : score.notes()) {
    const double v = std::max(n.velocity, 1.0) / 127.0;
    const Index a = std::clamp<Index>(static_cast<Index>(std::lround(n.onset / dt)), 0, frames - 1);
    const Index b = std::clamp<Index>(static_cast<Index>(std::lround(n.offset() / dt)), a + 1, frames);
    for (Index f = a; f < b; ++f) {
      const float e = static_cast<float>(v * v * std::exp(-(f - a) * dt / 0.5));
      for (int m = 1; m <= 4; ++m) {
        const int p = n.pitch + static_cast<int>(std::lround(12 * std::log2(m)));
        if (p < 128) E(p, f) += e / (m * m);
      }
    }
    impulses(n.pitch % 12, a) += static_cast<float>(v);
  }
  return features_from_pitch_energy(E, o, &impulses);
}

double warp_time(const std::vector<std::pair<double, double>>& warp, double t) {
  if (warp.empty()) return t;
  if (t <= warp.front().first) return warp.front().second + (t - warp.front().first);
  if (t >= warp.back().first) return warp.back().second + (t - warp.back().first);
  const auto it = std::upper_bound(warp.begin(), warp.end(), t, [](double v, const auto& p) { return v < p.first; });
  const auto& [s1, a1] = *it;
  const auto& [s0, a0] = *(it - 1);
  return a0 + (t - s0) / (s1 - s0) * (a1 - a0);
}

Alignment align_score(const Eigen::Ref<const VectorXf>& audio, double sr, const Score& score, const AlignOptions& o) {
  o.validate();
  if (score.empty()) throw InvalidArgument("align: the score has no notes");
  if (audio.size() == 0) throw InvalidArgument("align: the audio is empty");
  const MatrixXf A = audio_features(audio, sr, o);
  const int hop = std::clamp(static_cast<int>(std::lround(sr / o.feature_rate)), 1, o.n_fft / 2);
  const double dt = hop / sr;
  const Index M = static_cast<Index>(std::ceil(score.end() / dt)) + 2;
  const MatrixXf S = score_features(score, M, dt, o);
  const WarpingPath path = multiscale_dtw(A, S, &frame_cost, o.dtw);

  Alignment out;
  double chroma = 0;
  for (const auto& [i, j] : path) chroma += 1.0 - A.col(i).head(12).dot(S.col(j).head(12));
  out.cost = chroma / static_cast<double>(path.size());
  // A recording of the score plays it at roughly its tempo: half or twice its length means the
  // wrong recording (or a fragment), whatever the path cost says.
  const double ratio = static_cast<double>(audio.size()) / sr / std::max(score.end(), 1e-3);
  char why[160] = "";
  if (ratio < 0.5 || ratio > 2.0)
    std::snprintf(why, sizeof why, "the audio lasts %.1f s, the score %.1f s", static_cast<double>(audio.size()) / sr, score.end());
  else if (out.cost > o.poor_cost)
    std::snprintf(why, sizeof why, "the features do not match (normalised cost %.2f > %.2f)", out.cost, o.poor_cost);
  out.problem = why;
  out.poor = !out.problem.empty();
  // Score frame j -> the mean audio frame the path pairs with it; then strictly increasing.
  std::vector<double> sum(static_cast<std::size_t>(M), 0.0), count(static_cast<std::size_t>(M), 0.0);
  for (const auto& [i, j] : path) {
    sum[j] += static_cast<double>(i);
    count[j] += 1;
  }
  double last = -1e300;
  for (Index j = 0; j < M; ++j) {
    double a = sum[j] / count[j] * dt;
    if (a <= last) a = last + 1e-4;  // strictly monotonic before onsets and offsets are mapped
    out.warp.emplace_back(j * dt, a);
    last = a;
  }
  std::vector<Note> notes = score.notes();
  for (Note& n : notes) {
    const double on = warp_time(out.warp, n.onset), off = warp_time(out.warp, n.offset());
    n.onset = std::max(0.0, on);
    n.duration = std::max(0.0, off - n.onset);
  }
  out.aligned = Score(std::move(notes));
  return out;
}

}  // namespace notewise
