#include "notewise/core/fft.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <vector>

#include "notewise/core/error.hpp"

using namespace notewise;

TEST(RealFft, KnownAnswer_CosineLandsInItsBin) {
  const int n = 64, k0 = 5;
  std::vector<float> x(n);
  for (int i = 0; i < n; ++i) x[i] = static_cast<float>(std::cos(2 * std::numbers::pi * k0 * i / n));
  std::vector<std::complex<float>> X(n / 2 + 1);
  RealFft(n).forward(x.data(), X.data());
  for (int k = 0; k <= n / 2; ++k) EXPECT_NEAR(std::abs(X[k]), k == k0 ? n / 2.0 : 0.0, 1e-4) << "bin " << k;
}

TEST(RealFft, Property_InverseUndoesForward_OddSize) {
  const int n = 45;
  std::vector<float> x(n), y(n);
  for (int i = 0; i < n; ++i) x[i] = std::sin(0.3f * i * i);
  std::vector<std::complex<float>> X(n / 2 + 1);
  RealFft fft(n);
  fft.forward(x.data(), X.data());
  const auto copy = X;
  fft.inverse(X.data(), y.data());
  for (int i = 0; i < n; ++i) EXPECT_NEAR(y[i], x[i], 1e-5);
  EXPECT_EQ(X, copy) << "inverse must not modify its input";
}

TEST(RealFft, InvalidSize) { EXPECT_THROW(RealFft(1), InvalidArgument); }

// The plans are made for aligned arrays; buffers at any offset go through aligned scratch
// copies, so the results are the same bit for bit wherever the caller's buffers lie.
TEST(RealFft, Property_AnyAlignmentGivesTheSameResult_Nfft4096) {
  const int n = 4096, bins = n / 2 + 1;
  RealFft fft(n);
  std::vector<float> x(n + 3), y(n + 3);
  for (int i = 0; i < n + 3; ++i) x[i] = std::sin(0.01f * i * i) + 0.25f * std::cos(0.7f * i);
  std::vector<std::complex<float>> X(bins + 1), Y(bins + 1);
  fft.forward(x.data(), X.data());  // vectors' data: aligned
  std::vector<float> back(n), back_off(n + 1);
  fft.inverse(X.data(), back.data());
  for (int off = 1; off <= 3; ++off) {
    std::copy(x.begin(), x.begin() + n, y.begin() + off);  // same samples, shifted by off floats
    fft.forward(y.data() + off, Y.data() + 1);              // both buffers off FFTW's alignment
    for (int k = 0; k < bins; ++k) ASSERT_EQ(Y[k + 1], X[k]) << "offset " << off << ", bin " << k;
    fft.inverse(Y.data() + 1, back_off.data() + 1);
    for (int i = 0; i < n; ++i) ASSERT_EQ(back_off[i + 1], back[i]) << "offset " << off << ", sample " << i;
  }
  for (int i = 0; i < n; ++i) EXPECT_NEAR(back[i], x[i], 1e-5f);
}

TEST(RealFft, InverseUnnormalisedIsNTimesInverse_AnyAlignment) {
  const int n = 1024, bins = n / 2 + 1;
  RealFft fft(n);
  std::vector<float> x(n), y(n), z(n + 1);
  for (int i = 0; i < n; ++i) x[i] = std::cos(0.05f * i) * std::sin(0.002f * i * i);
  std::vector<std::complex<float>> X(bins), work(bins + 1);
  fft.forward(x.data(), X.data());
  fft.inverse(X.data(), y.data());
  for (int off = 0; off <= 1; ++off) {
    std::copy(X.begin(), X.end(), work.begin() + off);
    fft.inverse_unnormalised(work.data() + off, z.data() + off);
    for (int i = 0; i < n; ++i) ASSERT_NEAR(z[i + off] / n, y[i], 1e-6f) << "offset " << off << ", sample " << i;
  }
}
