#include "nmf/kernels.hpp"  // internal header (src/)

#include <gtest/gtest.h>

#include <cfloat>
#include <cmath>
#include <random>
#include <vector>

using namespace notewise;

TEST(NmfKernels, FastLogMatchesStdLog) {
  // Over 1e-30 .. 1e30: absolute error within 3 float ulps of the result (or 1e-7 near log = 0).
  for (double e = -30; e <= 30; e += 0.0137) {
    const float x = static_cast<float>(std::pow(10.0, e));
    const double want = std::log(static_cast<double>(x));
    EXPECT_NEAR(nmf::detail::fast_log(x), want, std::max(3 * std::abs(want) * FLT_EPSILON, 1e-7)) << x;
  }
  EXPECT_EQ(nmf::detail::fast_log(1.0f), 0.0f);
}

TEST(NmfKernels, KlRatioMatchesDoubleReference) {
  std::mt19937 g(5);
  std::uniform_real_distribution<float> u(0.0f, 3.0f);
  for (Index n : {Index{1}, Index{7}, Index{513}, Index{2049}}) {
    std::vector<float> x(n), y(n);
    for (Index i = 0; i < n; ++i) {
      x[i] = i % 5 == 0 ? 0.0f : u(g);  // zeros in V: 0 log 0 = 0
      y[i] = u(g) + 1e-3f;
    }
    std::vector<double> xd(x.begin(), x.end()), yd(y.begin(), y.end());
    const double want = nmf::detail::kl_ratio(xd.data(), yd.data(), n, true);
    const double got = nmf::detail::kl_ratio(x.data(), y.data(), n, true);
    EXPECT_NEAR(got, want, 1e-5 * std::abs(want) + 1e-3) << n;
    for (Index i = 0; i < n; ++i) EXPECT_NEAR(y[i], yd[i], 1e-6 * std::abs(yd[i]) + 1e-6);
  }
  // A zero model value is floored at the float epsilon: a finite ratio, a finite loss.
  float x = 2.0f, y = 0.0f;
  EXPECT_TRUE(std::isfinite(nmf::detail::kl_ratio(&x, &y, 1, true)));
  EXPECT_FLOAT_EQ(y, 2.0f / FLT_EPSILON);
}
