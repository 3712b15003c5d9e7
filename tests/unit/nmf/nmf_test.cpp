#include "notewise/nmf/nmf.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "notewise/core/error.hpp"

using namespace notewise;
using nmf::Divergence;
using nmf::Options;
using nmf::Path;

namespace {

template <class T>
Matrix<T> rnd(Index r, Index c, std::uint64_t seed) {
  return nmf::random_matrix<T>(r, c, seed).array() + T(0.05);
}

Options opts(Divergence d, int iterations, Path path = Path::Auto, double beta = 2.0) {
  Options o;
  o.divergence = d;
  o.beta = beta;
  o.max_iterations = iterations;
  o.path = path;
  return o;
}

// Plain reference: the update rules written out with explicit loops, in double, no tricks.
void reference_step(const MatrixXd& V, MatrixXd& W, MatrixXd& H, bool kl) {
  const double eps = std::numeric_limits<double>::epsilon();
  const Index K = V.rows(), N = V.cols(), R = W.cols();
  auto model = [&](Index k, Index n) {
    double s = 0;
    for (Index r = 0; r < R; ++r) s += W(k, r) * H(r, n);
    return s;
  };
  MatrixXd Hn = H;
  for (Index r = 0; r < R; ++r)
    for (Index n = 0; n < N; ++n) {
      double num = 0, den = 0;
      for (Index k = 0; k < K; ++k) {
        if (kl) {
          num += W(k, r) * V(k, n) / std::max(model(k, n), eps);
          den += W(k, r);
        } else {
          num += W(k, r) * V(k, n);
          den += W(k, r) * model(k, n);
        }
      }
      Hn(r, n) = H(r, n) * num / std::max(den, eps);
    }
  H = Hn;
  MatrixXd Wn = W;
  for (Index k = 0; k < K; ++k)
    for (Index r = 0; r < R; ++r) {
      double num = 0, den = 0;
      for (Index n = 0; n < N; ++n) {
        if (kl) {
          num += V(k, n) / std::max(model(k, n), eps) * H(r, n);
          den += H(r, n);
        } else {
          num += V(k, n) * H(r, n);
          den += model(k, n) * H(r, n);
        }
      }
      Wn(k, r) = W(k, r) * num / std::max(den, eps);
    }
  W = Wn;
}

// A start with the structure of a score-informed run: W nonzero in bands, H in windows.
template <class T>
void sparse_start(Index K, Index N, Index R, Matrix<T>& W, Matrix<T>& H) {
  W = rnd<T>(K, R, 11);
  H = rnd<T>(R, N, 12);
  for (Index r = 0; r < R; ++r) {
    for (Index k = 0; k < K; ++k)
      if ((k + 3 * r) % 7 > 1) W(k, r) = 0;
    for (Index n = 0; n < N; ++n)
      if ((n / 5 + r) % 4 != 0) H(r, n) = 0;
  }
}

}  // namespace

class NmfMatchesReference : public ::testing::TestWithParam<std::tuple<Divergence, Path>> {};

TEST_P(NmfMatchesReference, FiftyIterations) {
  const auto [d, path] = GetParam();
  const Index K = 13, N = 17, R = 4;
  const MatrixXd V = rnd<double>(K, N, 1);
  MatrixXd W0, H0;
  if (path == Path::Sparse) sparse_start<double>(K, N, R, W0, H0);
  else {
    W0 = rnd<double>(K, R, 2);
    H0 = rnd<double>(R, N, 3);
  }
  const auto res = nmf::factorize<double>(V, W0, H0, opts(d, 50, path));
  EXPECT_EQ(res.sparse_path, path == Path::Sparse);
  MatrixXd W = W0, H = H0;
  for (int i = 0; i < 50; ++i) reference_step(V, W, H, d == Divergence::KullbackLeibler);
  EXPECT_LE((res.W - W).norm(), 1e-5 * W.norm());
  EXPECT_LE((res.H - H).norm(), 1e-5 * H.norm());
  EXPECT_LE((res.W - W).cwiseAbs().maxCoeff(), 1e-5 * W.cwiseAbs().maxCoeff());
  // The recorded loss is the loss of the returned factors.
  EXPECT_NEAR(res.loss.back(), nmf::loss<double>(V, res.W, res.H, opts(d, 0)), 1e-8 * res.loss.back());
}

INSTANTIATE_TEST_SUITE_P(EuclideanAndKl, NmfMatchesReference,
                         ::testing::Combine(::testing::Values(Divergence::Euclidean, Divergence::KullbackLeibler),
                                            ::testing::Values(Path::Dense, Path::Sparse)),
                         [](const auto& info) {
                           return std::string(std::get<0>(info.param) == Divergence::Euclidean ? "Euclidean" : "KL") +
                                  (std::get<1>(info.param) == Path::Dense ? "_Dense" : "_Sparse");
                         });

// Monotone loss, float32 (the default precision). Tolerance: float rounding of the loss itself,
// 1e-5 of the starting loss (the Euclidean loss uses ||V||^2 - 2<W'V,H> + <W'W,HH'>, whose
// terms are each about the size of the starting loss).
struct Shape {
  Index K, N, R;
};
class NmfMonotone : public ::testing::TestWithParam<std::tuple<Shape, int>> {};

std::string monotone_name(const ::testing::TestParamInfo<std::tuple<Shape, int>>& info) {
  static const char* loss[] = {"Euclidean", "KL", "IS", "Beta0p5", "Beta1p5"};
  const Shape s = std::get<0>(info.param);
  return "K" + std::to_string(s.K) + "_N" + std::to_string(s.N) + "_R" + std::to_string(s.R) + "_" + loss[std::get<1>(info.param)];
}

TEST_P(NmfMonotone, LossNeverIncreases) {
  const auto [s, which] = GetParam();
  const Divergence d = which == 0 ? Divergence::Euclidean : which == 1 ? Divergence::KullbackLeibler : Divergence::Beta;
  const double beta = which == 2 ? 0.0 : which == 3 ? 0.5 : 1.5;
  const MatrixXf V = rnd<float>(s.K, s.N, 5);
  const auto res = nmf::factorize<float>(V, rnd<float>(s.K, s.R, 6), rnd<float>(s.R, s.N, 7), opts(d, 100, Path::Auto, beta));
  ASSERT_EQ(res.loss.size(), 100u);
  double prev = res.initial_loss;
  for (std::size_t i = 0; i < res.loss.size(); ++i) {
    ASSERT_TRUE(std::isfinite(res.loss[i]));
    EXPECT_LE(res.loss[i], prev + 1e-5 * res.initial_loss) << "iteration " << i + 1;
    prev = res.loss[i];
  }
  EXPECT_LT(res.loss.back(), res.initial_loss);
}

INSTANTIATE_TEST_SUITE_P(Shapes, NmfMonotone,
                         ::testing::Combine(::testing::Values(Shape{30, 40, 5}, Shape{30, 40, 1}, Shape{1, 50, 3},
                                                              Shape{64, 7, 7}),
                                            ::testing::Values(0, 1, 2, 3, 4)),
                         monotone_name);

TEST(Nmf, StructuralZerosStayExactlyZero) {
  for (const Divergence d : {Divergence::Euclidean, Divergence::KullbackLeibler, Divergence::Beta})
    for (const Path p : {Path::Dense, Path::Sparse}) {
      if (d == Divergence::Beta && p == Path::Sparse) continue;
      MatrixXf W0, H0;
      sparse_start<float>(40, 60, 6, W0, H0);
      const auto res = nmf::factorize<float>(rnd<float>(40, 60, 9), W0, H0, opts(d, 30, p, 0.5));
      EXPECT_TRUE(((W0.array() == 0).select(res.W.array(), 0.0f) == 0).all());
      EXPECT_TRUE(((H0.array() == 0).select(res.H.array(), 0.0f) == 0).all());
      EXPECT_GT((res.W.array() > 0).count(), 0);
    }
}

TEST(Nmf, FixedFactorsStayBitIdentical) {
  const MatrixXf V = rnd<float>(20, 30, 1), W0 = rnd<float>(20, 4, 2), H0 = rnd<float>(4, 30, 3);
  for (const Divergence d : {Divergence::Euclidean, Divergence::KullbackLeibler}) {
    Options o = opts(d, 20);
    o.fix_w = true;
    auto res = nmf::factorize<float>(V, W0, H0, o);
    EXPECT_EQ(res.W, W0);
    EXPECT_NE(res.H, H0);
    o.fix_w = false;
    o.fix_h = true;
    res = nmf::factorize<float>(V, W0, H0, o);
    EXPECT_EQ(res.H, H0);
    EXPECT_NE(res.W, W0);
    o.fix_h = false;
    o.fixed_w_columns = {1, 3};
    o.fixed_h_rows = {0};
    res = nmf::factorize<float>(V, W0, H0, o);
    EXPECT_EQ(res.W.col(1), W0.col(1));
    EXPECT_EQ(res.W.col(3), W0.col(3));
    EXPECT_NE(res.W.col(0), W0.col(0));
    EXPECT_EQ(res.H.row(0), H0.row(0));
    EXPECT_NE(res.H.row(2), H0.row(2));
  }
}

TEST(Nmf, SparsePathEqualsDensePath) {
  MatrixXf W0, H0;
  sparse_start<float>(200, 300, 12, W0, H0);
  const MatrixXf V = rnd<float>(200, 300, 4);
  for (const Divergence d : {Divergence::Euclidean, Divergence::KullbackLeibler}) {
    const auto dense = nmf::factorize<float>(V, W0, H0, opts(d, 40, Path::Dense));
    const auto sparse = nmf::factorize<float>(V, W0, H0, opts(d, 40, Path::Sparse));
    EXPECT_LE((dense.W - sparse.W).norm(), 1e-3 * dense.W.norm());
    EXPECT_LE((dense.H - sparse.H).norm(), 1e-3 * dense.H.norm());
    EXPECT_NEAR(dense.loss.back(), sparse.loss.back(), 1e-3 * dense.loss.back());
  }
}

// The sparse paths keep W and H compact, form only parts of the Gram matrices (Euclidean) or
// work frame by frame (KL); with frozen parts, fixed factors, per-iteration normalisation
// (which changes W and H outside the updates), the stop rule on ||H - H_prev|| and a frame
// without active templates they must still follow the dense path step for step.
class SparseFollowsDense : public ::testing::TestWithParam<Divergence> {};

TEST_P(SparseFollowsDense, WithFrozenPartsFixedFactorsNormalisationAndStopRule) {
  MatrixXd W0, H0;
  sparse_start<double>(60, 80, 7, W0, H0);
  H0.col(13).setZero();  // a frame without active templates
  const MatrixXd V = rnd<double>(60, 80, 4);
  for (int variant = 0; variant < 5; ++variant) {
    Options o = opts(GetParam(), variant == 4 ? 500 : 25);
    if (variant == 4) o.tol = 1e-4;  // the stop rule reads H and W after every iteration
    if (variant == 0) {
      o.fixed_w_columns = {1, 4};
      o.fixed_h_rows = {0};
    }
    o.fix_w = variant == 1;
    o.fix_h = variant == 2;
    if (variant == 3) {
      o.normalize_w = nmf::Normalization::SumToOne;
      o.normalize_every_iteration = true;
    }
    o.path = Path::Dense;
    const auto dense = nmf::factorize<double>(V, W0, H0, o);
    o.path = Path::Sparse;
    const auto sparse = nmf::factorize<double>(V, W0, H0, o);
    ASSERT_TRUE(sparse.sparse_path);
    EXPECT_EQ(dense.iterations, sparse.iterations) << "variant " << variant;
    EXPECT_EQ(dense.converged, sparse.converged) << "variant " << variant;
    EXPECT_LE((dense.W - sparse.W).norm(), 1e-9 * dense.W.norm()) << "variant " << variant;
    EXPECT_LE((dense.H - sparse.H).norm(), 1e-9 * dense.H.norm()) << "variant " << variant;
    ASSERT_EQ(dense.loss.size(), sparse.loss.size());
    for (std::size_t i = 0; i < dense.loss.size(); ++i)
      EXPECT_NEAR(dense.loss[i], sparse.loss[i], 1e-9 * dense.loss[0]) << "variant " << variant << ", iteration " << i;
    if (variant == 0) {
      EXPECT_EQ(sparse.W.col(1), W0.col(1));
      EXPECT_EQ(sparse.H.row(0), H0.row(0));
    }
    if (variant == 4) {
      EXPECT_TRUE(sparse.converged);
      EXPECT_LT(sparse.iterations, 500);
    }
    if (variant == 1) {
      EXPECT_EQ(sparse.W, W0);
    }
    if (variant == 2) {
      EXPECT_EQ(sparse.H, H0);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(EuclideanAndKl, SparseFollowsDense,
                         ::testing::Values(Divergence::Euclidean, Divergence::KullbackLeibler),
                         [](const auto& info) { return info.param == Divergence::Euclidean ? "Euclidean" : "KL"; });

// V in a ColumnStore, read a segment at a time: the W step's sums are accumulated over the
// segments, so the run must follow the whole-V sparse run step for step, for any segment length
// (one frame, lengths that do not divide N, longer than N), with frozen parts, a fixed W and a
// frame without active templates.
TEST(Nmf, SegmentedVFollowsWholeV) {
  MatrixXd W0, H0;
  sparse_start<double>(60, 83, 7, W0, H0);
  H0.col(13).setZero();
  const MatrixXd V = rnd<double>(60, 83, 4);
  nmf::MemoryColumns<double> store;
  for (Index j0 = 0; j0 < V.cols(); j0 += 10) store.append(V.middleCols(j0, std::min<Index>(10, V.cols() - j0)));
  ASSERT_EQ(store.cols(), V.cols());
  for (int variant = 0; variant < 3; ++variant) {
    Options o = opts(Divergence::KullbackLeibler, 30, Path::Sparse);
    if (variant == 1) {
      o.fixed_w_columns = {1, 4};
      o.fixed_h_rows = {0};
    }
    o.fix_w = variant == 2;
    const auto whole = nmf::factorize<double>(V, W0, H0, o);
    for (const Index segment : {Index(1), Index(9), Index(40), Index(500)}) {
      const auto parts = nmf::factorize<double>(store, W0, H0, o, {}, segment);
      ASSERT_TRUE(parts.sparse_path);
      EXPECT_LE((whole.W - parts.W).norm(), 1e-12 * whole.W.norm()) << "variant " << variant << ", segment " << segment;
      EXPECT_LE((whole.H - parts.H).norm(), 1e-12 * whole.H.norm()) << "variant " << variant << ", segment " << segment;
      ASSERT_EQ(whole.loss.size(), parts.loss.size());
      EXPECT_NEAR(whole.initial_loss, parts.initial_loss, 1e-12 * whole.initial_loss);
      for (std::size_t i = 0; i < whole.loss.size(); ++i) EXPECT_NEAR(whole.loss[i], parts.loss[i], 1e-12 * whole.loss[i]);
    }
  }
  // The segments hold the data: a store whose columns differ gives another result.
  nmf::MemoryColumns<double> other;
  MatrixXd V2 = V;
  V2.col(70).array() += 1.0;
  other.append(V2);
  const auto changed = nmf::factorize<double>(other, W0, H0, opts(Divergence::KullbackLeibler, 30, Path::Sparse), {}, 9);
  EXPECT_GT((changed.H - nmf::factorize<double>(V, W0, H0, opts(Divergence::KullbackLeibler, 30, Path::Sparse)).H).norm(), 1e-6);
}

TEST(Nmf, SegmentedVRefusesWhatItCannotRun) {
  MatrixXf W0, H0;
  sparse_start<float>(20, 30, 3, W0, H0);
  nmf::MemoryColumns<float> store;
  store.append(rnd<float>(20, 30, 4));
  EXPECT_THROW(nmf::factorize<float>(store, W0, H0, opts(Divergence::Euclidean, 5)), InvalidArgument);
  EXPECT_THROW(nmf::factorize<float>(store, W0, H0, opts(Divergence::KullbackLeibler, 5, Path::Dense)), InvalidArgument);
  EXPECT_THROW(nmf::factorize<float>(store, W0, H0, opts(Divergence::KullbackLeibler, 5), {}, 0), InvalidArgument);
  EXPECT_THROW(store.append(MatrixXf::Ones(19, 2)), InvalidArgument);  // not V's rows
  MatrixXf out(20, 5);
  EXPECT_THROW(store.read(26, out), InvalidArgument);  // past the last column
  MatrixXf nan = rnd<float>(20, 30, 4);
  nan(3, 17) = std::nanf("");
  nmf::MemoryColumns<float> bad;
  bad.append(nan);
  EXPECT_THROW(nmf::factorize<float>(bad, W0, H0, opts(Divergence::KullbackLeibler, 5)), InvalidArgument);
}

// Run after run, the same input gives bit-identical factors and losses on every path (the
// sparse KL path sums its W numerators per thread: over fixed frames, in a fixed order).
TEST(Nmf, RepeatedRunsAreBitIdentical) {
  MatrixXf W0, H0;
  sparse_start<float>(120, 400, 9, W0, H0);
  const MatrixXf V = rnd<float>(120, 400, 4);
  for (const Divergence d : {Divergence::Euclidean, Divergence::KullbackLeibler})
    for (const Path p : {Path::Dense, Path::Sparse}) {
      const auto first = nmf::factorize<float>(V, W0, H0, opts(d, 30, p));
      for (int run = 0; run < 3; ++run) {
        const auto again = nmf::factorize<float>(V, W0, H0, opts(d, 30, p));
        EXPECT_EQ(first.W, again.W);
        EXPECT_EQ(first.H, again.H);
        EXPECT_EQ(first.loss, again.loss);
      }
    }
}

TEST(Nmf, AutoPathFollowsTheDensity) {
  // Narrow bands (10 % of W) and short windows (5 % of H): the sparse path.
  MatrixXf W0 = rnd<float>(100, 10, 2), H0 = rnd<float>(10, 200, 3);
  for (Index r = 0; r < 10; ++r) {
    for (Index k = 0; k < 100; ++k)
      if ((k + 3 * r) % 10 != 0) W0(k, r) = 0;
    for (Index n = 0; n < 200; ++n)
      if ((n / 5 + r) % 20 != 0) H0(r, n) = 0;
  }
  EXPECT_TRUE(nmf::factorize<float>(rnd<float>(100, 200, 1), W0, H0, opts(Divergence::Euclidean, 1)).sparse_path);
  // KL works frame by frame along each template's span of bins: short windows suffice.
  EXPECT_TRUE(nmf::factorize<float>(rnd<float>(100, 200, 1), W0, H0, opts(Divergence::KullbackLeibler, 1)).sparse_path);
  MatrixXf H_half = H0;
  for (Index r = 0; r < 10; ++r)
    for (Index n = 0; n < 200; ++n)
      if ((n / 5 + r) % 2 == 0) H_half(r, n) = 1.0f;  // half of H: dense is faster
  EXPECT_FALSE(nmf::factorize<float>(rnd<float>(100, 200, 1), W0, H_half, opts(Divergence::KullbackLeibler, 1)).sparse_path);
  // Wide bands and long windows, as a real score gives (57 % and 25 %): dense is faster.
  MatrixXf W1, H1;
  sparse_start<float>(100, 200, 10, W1, H1);
  for (Index r = 0; r < 10; ++r)
    for (Index k = 0; k < 100; ++k)
      if ((k + 3 * r) % 7 < 4) W1(k, r) = 1.0f;
  EXPECT_FALSE(nmf::factorize<float>(rnd<float>(100, 200, 1), W1, H1, opts(Divergence::Euclidean, 1)).sparse_path);
  EXPECT_FALSE(nmf::factorize<float>(rnd<float>(100, 200, 1), rnd<float>(100, 10, 2), rnd<float>(10, 200, 3),
                                     opts(Divergence::KullbackLeibler, 1))
                   .sparse_path);
}

// The toy example of the FMP notebook on NMF (C8S3): V is 5 x 8, R = 2. Reference value from a
// plain numpy implementation of the same updates from the same start (1000 iterations):
// 37.19077045941104; 1 iteration: 118.4926724922422.
TEST(Nmf, KnownAnswer_FmpToyMatrix) {
  MatrixXd V(5, 8);
  V << 0, 1, 2, 3, 4, 5, 6, 7,  //
      0, 1, 2, 3, 3, 2, 1, 0,   //
      0, 0, 0, 0, 0, 0, 0, 0,   //
      7, 0, 0, 0, 0, 0, 0, 0,   //
      7, 6, 5, 4, 3, 2, 1, 0;
  MatrixXd W0(5, 2), H0(2, 8);
  W0 << 1.0, 0.5, 0.5, 1.0, 1.0, 1.0, 0.5, 0.5, 1.0, 0.25;
  H0.row(0).setOnes();
  H0.row(1) = Eigen::RowVectorXd::LinSpaced(8, 0.25, 2.0);
  for (const Path p : {Path::Dense, Path::Sparse}) {
    const auto res = nmf::factorize<double>(V, W0, H0, opts(Divergence::Euclidean, 1000, p));
    EXPECT_NEAR(res.loss.front(), 118.4926724922422, 1e-9);
    EXPECT_NEAR(res.loss.back(), 37.19077045941104, 1e-8);
    for (std::size_t i = 1; i < res.loss.size(); ++i) EXPECT_LE(res.loss[i], res.loss[i - 1] + 1e-9);
    // Row 2 of V is silent: the model must learn zero there.
    EXPECT_LT((res.W.row(2) * res.H).cwiseAbs().maxCoeff(), 1e-6);
  }
}

TEST(Nmf, SilenceGivesZerosNotNaN) {
  for (const Divergence d : {Divergence::Euclidean, Divergence::KullbackLeibler, Divergence::Beta})
    for (const Path p : {Path::Dense, Path::Sparse}) {
      if (d == Divergence::Beta && p == Path::Sparse) continue;
      MatrixXf W0 = rnd<float>(10, 3, 1), H0 = rnd<float>(3, 12, 2);
      W0.col(1).setZero();  // a zero template
      H0.row(2).setZero();  // a zero activation row
      const auto res = nmf::factorize<float>(MatrixXf::Zero(10, 12), W0, H0, opts(d, 20, p, 0.0));
      EXPECT_TRUE(res.W.allFinite() && res.H.allFinite());
      for (double l : res.loss) EXPECT_TRUE(std::isfinite(l));
      if (d == Divergence::Euclidean) {
        EXPECT_LT((res.W * res.H).cwiseAbs().maxCoeff(), 1e-3);
      }
    }
}

TEST(Nmf, EmptyAndInvalidInput) {
  const MatrixXf V = rnd<float>(5, 6, 1), W = rnd<float>(5, 2, 2), H = rnd<float>(2, 6, 3);
  const Options o = opts(Divergence::Euclidean, 5);
  EXPECT_THROW(nmf::factorize<float>(MatrixXf(0, 0), MatrixXf(0, 2), MatrixXf(2, 0), o), InvalidArgument);
  EXPECT_THROW(nmf::factorize<float>(V, rnd<float>(4, 2, 2), H, o), InvalidArgument);
  EXPECT_THROW(nmf::factorize<float>(V, W, rnd<float>(3, 6, 2), o), InvalidArgument);
  MatrixXf bad = V;
  bad(1, 1) = -1;
  EXPECT_THROW(nmf::factorize<float>(bad, W, H, o), InvalidArgument);
  bad(1, 1) = std::numeric_limits<float>::quiet_NaN();
  EXPECT_THROW(nmf::factorize<float>(bad, W, H, o), InvalidArgument);
  EXPECT_THROW(nmf::factorize<float>(V, W, H, opts(Divergence::Beta, 5, Path::Auto, 2.5)), InvalidArgument);
  Options neg = o;
  neg.max_iterations = -1;
  EXPECT_THROW(nmf::factorize<float>(V, W, H, neg), InvalidArgument);
  Options out_of_range = o;
  out_of_range.fixed_w_columns = {7};
  EXPECT_THROW(nmf::factorize<float>(V, W, H, out_of_range), InvalidArgument);
}

TEST(Nmf, StopRulesAndCancellation) {
  const MatrixXd V = rnd<double>(20, 25, 1);
  Options o = opts(Divergence::Euclidean, 5000);
  o.tol = 1e-3;
  auto res = nmf::factorize<double>(V, rnd<double>(20, 3, 2), rnd<double>(3, 25, 3), o);
  EXPECT_TRUE(res.converged);
  EXPECT_LT(res.iterations, 5000);
  o.tol = 0;
  o.rel_loss_tol = 1e-4;
  res = nmf::factorize<double>(V, rnd<double>(20, 3, 2), rnd<double>(3, 25, 3), o);
  EXPECT_TRUE(res.converged);
  const double last = res.loss.back(), before = res.loss[res.loss.size() - 2];
  EXPECT_LE(before - last, 1e-4 * before);
  o.rel_loss_tol = 0;
  o.stop_norm = nmf::StopNorm::Spectral;
  o.tol = 1e-3;
  EXPECT_TRUE(nmf::factorize<double>(V, rnd<double>(20, 3, 2), rnd<double>(3, 25, 3), o).converged);
  int calls = 0;
  res = nmf::factorize<double>(V, rnd<double>(20, 3, 2), rnd<double>(3, 25, 3), opts(Divergence::KullbackLeibler, 100),
                               [&](const nmf::Progress& p) { return ++calls < 7 && p.iteration < 100; });
  EXPECT_TRUE(res.cancelled);
  EXPECT_EQ(res.iterations, 7);
  EXPECT_EQ(res.loss.size(), 7u);
}

TEST(Nmf, NormalizationKeepsTheModel) {
  const MatrixXd V = rnd<double>(15, 20, 1), W0 = rnd<double>(15, 3, 2), H0 = rnd<double>(3, 20, 3);
  Options o = opts(Divergence::KullbackLeibler, 30);
  const auto plain = nmf::factorize<double>(V, W0, H0, o);
  for (const auto how : {nmf::Normalization::SumToOne, nmf::Normalization::MaxToOne})
    for (const bool every : {false, true}) {
      o.normalize_w = how;
      o.normalize_every_iteration = every;
      const auto res = nmf::factorize<double>(V, W0, H0, o);
      for (Index r = 0; r < 3; ++r)
        EXPECT_NEAR(how == nmf::Normalization::SumToOne ? res.W.col(r).sum() : res.W.col(r).maxCoeff(), 1.0, 1e-12);
      // KL updates are scale-invariant per template, so WH is the same as without normalising.
      EXPECT_LE((res.W * res.H - plain.W * plain.H).norm(), 1e-8 * V.norm());
    }
}

TEST(Nmf, SameSeedSameStart) {
  EXPECT_EQ(nmf::random_matrix<float>(5, 7, 42), nmf::random_matrix<float>(5, 7, 42));
  EXPECT_NE(nmf::random_matrix<float>(5, 7, 42), nmf::random_matrix<float>(5, 7, 43));
  const MatrixXf m = nmf::random_matrix<float>(50, 50, 1);
  EXPECT_GE(m.minCoeff(), 0.0f);
  EXPECT_LT(m.maxCoeff(), 1.0f);
}
