#include "notewise/core/stft.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <random>

#include "notewise/core/error.hpp"

using namespace notewise;

namespace {
VectorXf random_signal(Index n, unsigned seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  VectorXf x(n);
  for (Index i = 0; i < n; ++i) x[i] = u(gen);
  return x;
}

float round_trip_error(const VectorXf& x, const StftOptions& o) {
  const VectorXf y = istft(stft(x, o), o, x.size());
  return (y - x).cwiseAbs().maxCoeff();
}
}  // namespace

// The whole signal is reconstructed, edges included (centred frames with reflect padding
// cover every sample with a nonzero window sum). Tolerance 1e-5: float32 rounding of the FFT.
class StftRoundTrip : public ::testing::TestWithParam<std::tuple<int, int, Index>> {};

TEST_P(StftRoundTrip, ReproducesSignal) {
  const auto [n_fft, hop, length] = GetParam();
  const StftOptions o{n_fft, hop};
  EXPECT_LE(round_trip_error(random_signal(length, static_cast<unsigned>(length)), o), 1e-5f);
}

INSTANTIATE_TEST_SUITE_P(OddAndEvenLengths, StftRoundTrip,
                         ::testing::Values(std::tuple{2048, 512, Index{22050}}, std::tuple{2048, 512, Index{22051}},
                                           std::tuple{1024, 256, Index{4097}}, std::tuple{4096, 512, Index{9999}},
                                           std::tuple{512, 128, Index{100}},  // shorter than the frame
                                           std::tuple{16, 8, Index{3}}, std::tuple{16, 4, Index{1}},
                                           std::tuple{2048, 1024, Index{7777}}),
                         [](const auto& info) {
                           return "Nfft" + std::to_string(std::get<0>(info.param)) + "_Hop" + std::to_string(std::get<1>(info.param)) +
                                  "_Length" + std::to_string(std::get<2>(info.param));
                         });

TEST(Stft, RoundTrip_Silence) {
  const StftOptions o;
  const VectorXf x = VectorXf::Zero(10000);
  const MatrixXcf X = stft(x, o);
  EXPECT_EQ(X.cwiseAbs().maxCoeff(), 0.0f);
  EXPECT_EQ(istft(X, o, x.size()).cwiseAbs().maxCoeff(), 0.0f);
}

TEST(Stft, RoundTrip_ImpulseInFirstAndLastSample) {
  const StftOptions o;
  for (Index where : {Index{0}, Index{9999}}) {
    VectorXf x = VectorXf::Zero(10000);
    x[where] = 1.0f;
    EXPECT_LE(round_trip_error(x, o), 1e-5f) << "impulse at " << where;
  }
}

TEST(Stft, Shape_FramesAndBins) {
  const StftOptions o{2048, 512};
  const MatrixXcf X = stft(VectorXf::Zero(22050), o);
  EXPECT_EQ(X.rows(), 1025);
  EXPECT_EQ(X.cols(), 1 + 22050 / 512);
}

TEST(Stft, KnownAnswer_SineAtBinFrequency) {
  // A sine of amplitude A exactly on bin k: |X(k, n)| = A * sum(w) / 2 = A * n_fft / 4 for a
  // periodic Hann window, in frames away from the edges.
  const StftOptions o{1024, 256};
  const int k = 40;
  const float A = 0.5f;
  VectorXf x(8192);
  for (Index i = 0; i < x.size(); ++i) x[i] = A * static_cast<float>(std::sin(2 * std::numbers::pi * k * i / 1024.0));
  const MatrixXf mag = stft(x, o).cwiseAbs();
  for (Index n = 4; n < mag.cols() - 4; ++n) {
    Index peak;
    mag.col(n).maxCoeff(&peak);
    EXPECT_EQ(peak, k);
    EXPECT_NEAR(mag(k, n), A * 1024 / 4, 1e-2);
  }
}

TEST(Stft, KnownAnswer_MatchesDirectDft) {
  // Frame 3 of a random signal against a plain O(n^2) DFT of the windowed frame.
  const StftOptions o{64, 16};
  const VectorXf x = random_signal(300, 7);
  const MatrixXcf X = stft(x, o);
  const VectorXf w = hann_periodic(64);
  const Index n = 3, start = n * 16 - 32;
  for (int k = 0; k < 33; ++k) {
    std::complex<double> s = 0;
    for (int i = 0; i < 64; ++i) s += static_cast<double>(x[start + i] * w[i]) * std::polar(1.0, -2 * std::numbers::pi * k * i / 64);
    EXPECT_NEAR(X(k, n).real(), s.real(), 1e-4);
    EXPECT_NEAR(X(k, n).imag(), s.imag(), 1e-4);
  }
}

TEST(Stft, ReflectPadding_LikeLibrosa) {
  // Frame 0 is centred on sample 0: its left half mirrors x[1..n_fft/2] (edge not repeated).
  const StftOptions o{8, 2};
  VectorXf x(10);
  for (int i = 0; i < 10; ++i) x[i] = static_cast<float>(i + 1);
  // Build the expected padded frame [x4 x3 x2 x1 | x0 x1 x2 x3] and compare its DC value.
  const VectorXf w = hann_periodic(8);
  const float frame[8] = {5, 4, 3, 2, 1, 2, 3, 4};
  float dc = 0;
  for (int i = 0; i < 8; ++i) dc += frame[i] * w[i];
  EXPECT_NEAR(stft(x, o)(0, 0).real(), dc, 1e-5);
}

TEST(Stft, EmptyInput) { EXPECT_THROW(stft(VectorXf(), StftOptions{}), InvalidArgument); }

TEST(Stft, InvalidParameters) {
  const VectorXf x = VectorXf::Zero(100);
  EXPECT_THROW(stft(x, StftOptions{2047, 512}), InvalidArgument);
  EXPECT_THROW(stft(x, StftOptions{2048, 0}), InvalidArgument);
  EXPECT_THROW(stft(x, StftOptions{2048, 1025}), InvalidArgument);
  EXPECT_THROW(istft(MatrixXcf::Zero(10, 3), StftOptions{2048, 512}, 100), InvalidArgument);
}

TEST(Stft, HannPeriodic) {
  const VectorXf w = hann_periodic(4);
  EXPECT_FLOAT_EQ(w[0], 0.0f);
  EXPECT_FLOAT_EQ(w[1], 0.5f);
  EXPECT_FLOAT_EQ(w[2], 1.0f);
  EXPECT_FLOAT_EQ(w[3], 0.5f);
}

TEST(Stft, FramesAreTheWholeTransformsColumns_AtTheEdgesToo) {
  VectorXf x(3001);
  for (Index i = 0; i < x.size(); ++i) x[i] = std::sin(0.013f * i) + 0.1f * std::cos(0.31f * i);
  const StftOptions o{256, 64};
  const MatrixXcf all = stft(x, o);
  for (const auto& [first, count] : {std::pair<Index, Index>{0, 1}, {0, 5}, {17, 9}, {all.cols() - 3, 3}, {0, all.cols()}}) {
    const MatrixXcf part = stft_frames(x, o, first, count);
    ASSERT_EQ(part.cols(), count);
    EXPECT_EQ((part - all.middleCols(first, count)).cwiseAbs().maxCoeff(), 0.0f) << first << "+" << count;
  }
  EXPECT_EQ(stft_frames(x, o, 3, 0).cols(), 0);
  EXPECT_THROW(stft_frames(x, o, all.cols() - 2, 3), InvalidArgument);
  EXPECT_THROW(stft_frames(x, o, -1, 2), InvalidArgument);
  EXPECT_THROW(stft_frames(VectorXf(), o, 0, 1), InvalidArgument);
}

TEST(Stft, FramesFromASegment_EqualTheWholeSignalsFrames) {
  // Blocks of frames computed from only the samples stft_frames_span names (reflected padding
  // at both edges included, a signal shorter than the pad too) equal the whole transform's.
  const StftOptions o{64, 16};
  for (const Index length : {Index{20}, Index{301}, Index{1000}}) {
    VectorXf x(length);
    for (Index i = 0; i < length; ++i) x[i] = std::sin(0.37f * i) + 0.01f * static_cast<float>(i % 7);
    const MatrixXcf whole = stft(x, o);
    const Index N = whole.cols();
    for (const Index block : {Index{1}, Index{5}, N}) {
      for (Index first = 0; first < N; first += block) {
        const Index count = std::min(block, N - first);
        const auto [lo, hi] = stft_frames_span(length, o, first, count);
        ASSERT_LE(0, lo);
        ASSERT_LE(hi, length);
        const VectorXf segment = x.segment(lo, hi - lo);
        const MatrixXcf part = stft_frames(segment, lo, length, o, first, count);
        // Same samples, same window and FFT: the same numbers exactly.
        EXPECT_EQ((part - whole.middleCols(first, count)).cwiseAbs().maxCoeff(), 0.0f) << length << " " << first;
      }
    }
    // A segment missing a sample the frames read is refused.
    const auto [lo, hi] = stft_frames_span(length, o, 0, N);
    EXPECT_THROW(stft_frames(x.segment(lo, hi - lo - 1), lo, length, o, 0, N), InvalidArgument);
  }
}
