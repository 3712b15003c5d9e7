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
