#pragma once
#include <utility>
// Short-time Fourier transform with librosa's `center=True` convention.
//
//   window     periodic Hann of length n_fft: w[n] = 0.5 - 0.5 cos(2 pi n / n_fft)
//   padding    the signal is extended by n_fft/2 samples on each side by reflection
//              (numpy "reflect", repeated for signals shorter than the pad)
//   frames     N = 1 + floor(length / hop); frame n is centred on sample n * hop,
//              i.e. at time n * hop / sample_rate seconds
//   bins       K = n_fft / 2 + 1; bin k is at k * sample_rate / n_fft Hz
//   scaling    unnormalised DFT of the windowed frame (as numpy.fft.rfft / librosa.stft)
//   result     K x N complex matrix (column = one frame)
//
// istft inverts by weighted overlap-add: y = sum_n w * ifft(X_n) / sum_n w^2, so that
// istft(stft(x)) == x up to float rounding for any hop <= n_fft / 2.
// Thread safety: pure functions; frames are computed in parallel with OpenMP.
#include "notewise/core/types.hpp"

namespace notewise {

// The largest FFT any STFT here takes (4 M points): beyond it FFTW's plans fail on assertions,
// and no musical analysis needs it.
constexpr int kMaxNfft = 1 << 22;

struct StftOptions {
  int n_fft = 2048;  // samples; even, 4 .. kMaxNfft
  int hop = 512;     // samples; 1 .. n_fft / 2

  void validate() const;
  int bins() const { return n_fft / 2 + 1; }
  Index frames(Index length) const { return 1 + length / hop; }
};

VectorXf hann_periodic(int n);

// x: mono signal, length >= 1. Returns K x N.
MatrixXcf stft(const Eigen::Ref<const VectorXf>& x, const StftOptions& options);

// Frames [first, first + count) of stft(x, options) (the same values: same padding, window and
// FFT), K x count; for block-by-block processing of long signals. 0 <= first, first + count <=
// options.frames(x.size()).
MatrixXcf stft_frames(const Eigen::Ref<const VectorXf>& x, const StftOptions& options, Index first, Index count);

// The same frames from a segment of the signal: `segment` holds samples [offset, offset +
// segment.size()) of a signal of `length` samples, at least those stft_frames_span names (the
// reflected padding included), so a long signal can be read block by block. InvalidArgument if
// the segment misses a sample the frames read.
MatrixXcf stft_frames(const Eigen::Ref<const VectorXf>& segment, Index offset, Index length, const StftOptions& options,
                      Index first, Index count);
// [lo, hi): the samples frames [first, first + count) of a signal of `length` samples read.
std::pair<Index, Index> stft_frames_span(Index length, const StftOptions& options, Index first, Index count);

// X: K x N with K == options.bins(). Returns `length` samples (the length of the signal that
// produced X; samples beyond the frames' reach are zero).
VectorXf istft(const MatrixXcf& X, const StftOptions& options, Index length);

}  // namespace notewise
