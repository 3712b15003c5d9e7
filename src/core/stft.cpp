#include "notewise/core/stft.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <vector>

#include "notewise/core/error.hpp"
#include "notewise/core/fft.hpp"

namespace notewise {

void StftOptions::validate() const {
  require(n_fft >= 4 && n_fft % 2 == 0 && n_fft <= kMaxNfft, "n_fft", n_fft, "even and in 4 .. " + std::to_string(kMaxNfft));
  require(hop >= 1 && hop <= n_fft / 2, "hop", hop, "in 1 .. n_fft/2");
}

VectorXf hann_periodic(int n) {
  VectorXf w(n);
  for (int i = 0; i < n; ++i) w[i] = static_cast<float>(0.5 - 0.5 * std::cos(2.0 * std::numbers::pi * i / n));
  return w;
}

namespace {
// Index into x for position i of the reflect-padded signal (numpy "reflect": the edge sample
// is not repeated). Repeats the reflection for pads longer than the signal.
Index reflect_index(Index i, Index length) {
  if (length == 1) return 0;
  const Index period = 2 * (length - 1);
  i %= period;
  if (i < 0) i += period;
  return i < length ? i : period - i;
}
}  // namespace

MatrixXcf stft(const Eigen::Ref<const VectorXf>& x, const StftOptions& options) {
  options.validate();
  if (x.size() == 0) throw InvalidArgument("stft: empty signal");
  return stft_frames(x, options, 0, options.frames(x.size()));
}

MatrixXcf stft_frames(const Eigen::Ref<const VectorXf>& x, const StftOptions& options, Index first, Index count) {
  return stft_frames(x, 0, x.size(), options, first, count);
}

MatrixXcf stft_frames(const Eigen::Ref<const VectorXf>& segment, Index offset, Index length, const StftOptions& options,
                      Index first, Index count) {
  options.validate();
  if (length == 0) throw InvalidArgument("stft: empty signal");
  if (first < 0 || count < 0 || first + count > options.frames(length))
    throw InvalidArgument("stft_frames: frames " + std::to_string(first) + " + " + std::to_string(count) + " outside 0 .. " +
                          std::to_string(options.frames(length)));
  const int n_fft = options.n_fft;
  const Index half = n_fft / 2;
  if (count > 0) {
    const auto [lo, hi] = stft_frames_span(length, options, first, count);
    if (offset < 0 || offset > lo || offset + segment.size() < hi)
      throw InvalidArgument("stft_frames: the segment [" + std::to_string(offset) + ", " +
                            std::to_string(offset + segment.size()) + ") does not hold samples " + std::to_string(lo) +
                            " .. " + std::to_string(hi));
  }
  const VectorXf window = hann_periodic(n_fft);
  const RealFft fft(n_fft);
  MatrixXcf X(options.bins(), count);

#pragma omp parallel
  {
    std::vector<float> frame(n_fft);
#pragma omp for schedule(static)
    for (Index c = 0; c < count; ++c) {
      const Index start = (first + c) * options.hop - half;  // first sample of the frame in x's coordinates
      for (int i = 0; i < n_fft; ++i) {
        const Index j = start + i;
        const float v = segment[((j >= 0 && j < length) ? j : reflect_index(j, length)) - offset];
        frame[i] = v * window[i];
      }
      fft.forward(frame.data(), X.col(c).data());
    }
  }
  return X;
}

std::pair<Index, Index> stft_frames_span(Index length, const StftOptions& options, Index first, Index count) {
  const Index half = options.n_fft / 2;
  const Index a = first * options.hop - half, b = (first + count - 1) * options.hop + half;
  if (a >= 0 && b <= length) return {a, b};
  // Reflected padding reads samples near the edges (again and again for a pad longer than the
  // signal): the smallest and largest index read, found by walking the padded range.
  Index lo = length, hi = 0;
  for (Index j = a; j < b; ++j) {
    const Index i = (j >= 0 && j < length) ? j : reflect_index(j, length);
    lo = std::min(lo, i);
    hi = std::max(hi, i + 1);
  }
  return {lo, hi};
}

VectorXf istft(const MatrixXcf& X, const StftOptions& options, Index length) {
  options.validate();
  if (X.rows() != options.bins())
    throw InvalidArgument("istft: spectrogram has " + std::to_string(X.rows()) + " bins, n_fft " +
                          std::to_string(options.n_fft) + " needs " + std::to_string(options.bins()));
  require(length >= 0, "istft length", static_cast<double>(length), ">= 0");
  const int n_fft = options.n_fft;
  const Index half = n_fft / 2;
  const Index frames = X.cols();
  const VectorXf window = hann_periodic(n_fft);
  const RealFft fft(n_fft);

  // Overlap-add into the padded signal; frames are split into two interleaved passes so that
  // neighbouring frames written in parallel never overlap (frames k and k+stride are apart by
  // stride*hop >= n_fft samples).
  const Index padded = (frames - 1) * options.hop + n_fft;
  VectorXf y = VectorXf::Zero(padded);
  VectorXf wsum = VectorXf::Zero(padded);
  const Index stride = (n_fft + options.hop - 1) / options.hop;
  for (Index phase = 0; phase < stride; ++phase) {
#pragma omp parallel
    {
      std::vector<float> frame(n_fft);
#pragma omp for schedule(static)
      for (Index n = phase; n < frames; n += stride) {
        fft.inverse(X.col(n).data(), frame.data());
        const Index start = n * options.hop;
        for (int i = 0; i < n_fft; ++i) {
          y[start + i] += frame[i] * window[i];
          wsum[start + i] += window[i] * window[i];
        }
      }
    }
  }
  VectorXf out = VectorXf::Zero(length);
  const Index available = std::min<Index>(length, padded - half);
  // Where the squared windows sum to (almost) nothing, no frame saw the sample: leave it zero
  // rather than amplify rounding noise.
  const float tiny = 1e-8f;
  for (Index i = 0; i < available; ++i) {
    const float s = wsum[i + half];
    out[i] = s > tiny ? y[i + half] / s : 0.0f;
  }
  return out;
}

}  // namespace notewise
