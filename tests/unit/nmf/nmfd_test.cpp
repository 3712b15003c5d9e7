#include "notewise/nmf/nmfd.hpp"

#include <gtest/gtest.h>

#include "notewise/core/error.hpp"

using namespace notewise;
using namespace notewise::nmf;

namespace {
std::vector<MatrixXd> random_w(Index K, Index R, Index T, std::uint64_t seed) {
  std::vector<MatrixXd> W;
  for (Index t = 0; t < T; ++t) W.push_back(random_matrix<double>(K, R, seed + static_cast<std::uint64_t>(t)) + MatrixXd::Constant(K, R, 0.05));
  return W;
}
MatrixXd positive(Index r, Index c, std::uint64_t seed) { return random_matrix<double>(r, c, seed).array() + 0.05; }

Options with(Divergence d, double beta = 2, int iterations = 30) {
  Options o;
  o.divergence = d;
  o.beta = beta;
  o.max_iterations = iterations;
  return o;
}
}  // namespace

TEST(Nmfd, ConvolveEqualsThePlainSum) {
  const auto W = random_w(7, 3, 4, 1);
  const MatrixXd H = positive(3, 11, 9);
  const MatrixXd L = convolve(W, H);
  for (Index k = 0; k < 7; ++k)
    for (Index n = 0; n < 11; ++n) {
      double s = 0;
      for (Index t = 0; t < 4; ++t)
        for (Index r = 0; r < 3; ++r)
          if (n - t >= 0) s += W[t](k, r) * H(r, n - t);
      EXPECT_NEAR(L(k, n), s, 1e-12);
    }
  MatrixXd parts = MatrixXd::Zero(7, 11);
  for (Index r = 0; r < 3; ++r) parts += convolve_one(W, H, r);
  EXPECT_LE((parts - L).cwiseAbs().maxCoeff(), 1e-12);
}

// With one frame per template NMFD is NMF: the same iterates as the NMF engines.
TEST(Nmfd, OneFrameEqualsNmf) {
  const MatrixXd V = positive(12, 20, 3);
  for (auto [d, beta] : {std::pair{Divergence::KullbackLeibler, 1.0}, std::pair{Divergence::Euclidean, 2.0},
                         std::pair{Divergence::Beta, 0.5}, std::pair{Divergence::Beta, 1.5}}) {
    Options o = with(d, beta, 25);
    o.path = Path::Dense;
    const MatrixXd W0 = positive(12, 4, 5), H0 = positive(4, 20, 6);
    const Result<double> a = factorize<double>(V, W0, H0, o);
    const NmfdResult<double> b = factorize_nmfd<double>(V, {W0}, H0, o);
    EXPECT_LE((a.W - b.W[0]).cwiseAbs().maxCoeff(), 1e-9 * a.W.cwiseAbs().maxCoeff()) << beta;
    EXPECT_LE((a.H - b.H).cwiseAbs().maxCoeff(), 1e-9 * a.H.cwiseAbs().maxCoeff()) << beta;
    ASSERT_EQ(a.loss.size(), b.loss.size());
    EXPECT_NEAR(a.loss.back(), b.loss.back(), 1e-9 * a.loss.back()) << beta;
  }
}

TEST(Nmfd, LossNeverRises) {
  const MatrixXd V = convolve(random_w(16, 2, 5, 11), positive(2, 40, 12)) + positive(16, 40, 13) * 0.1;
  for (auto [d, beta] : {std::pair{Divergence::KullbackLeibler, 1.0}, std::pair{Divergence::Euclidean, 2.0},
                         std::pair{Divergence::Beta, 0.0}, std::pair{Divergence::Beta, 0.5}, std::pair{Divergence::Beta, 1.5}}) {
    const NmfdResult<double> r = factorize_nmfd<double>(V, random_w(16, 3, 5, 20), positive(3, 40, 21), with(d, beta, 40));
    double before = r.initial_loss;
    for (double l : r.loss) {
      EXPECT_LE(l, before * (1 + 1e-12) + 1e-12) << "beta " << beta;
      before = l;
    }
    EXPECT_LT(r.loss.back(), 0.5 * r.initial_loss) << beta;
  }
}

TEST(Nmfd, ZerosStayZeroAndFixedPartsStayFixed) {
  const MatrixXd V = positive(10, 30, 1);
  auto W0 = random_w(10, 3, 4, 2);
  MatrixXd H0 = positive(3, 30, 3);
  W0[1](4, 0) = 0;
  W0[3].col(2).setZero();
  H0.block(1, 5, 1, 10).setZero();
  Options o = with(Divergence::KullbackLeibler);
  o.fixed_w_columns = {1};
  o.fixed_h_rows = {2};
  const NmfdResult<double> r = factorize_nmfd<double>(V, W0, H0, o);
  EXPECT_EQ(r.W[1](4, 0), 0.0);
  EXPECT_TRUE(r.W[3].col(2).isZero(0));
  EXPECT_TRUE(r.H.block(1, 5, 1, 10).isZero(0));
  for (Index t = 0; t < 4; ++t) EXPECT_EQ(r.W[t].col(1), W0[t].col(1)) << t;
  EXPECT_EQ(r.H.row(2), H0.row(2));
  EXPECT_NE(r.W[0].col(0), W0[0].col(0));  // the rest learns
  Options fw = with(Divergence::Beta, 0.5);
  fw.fix_w = true;
  const NmfdResult<double> f = factorize_nmfd<double>(V, W0, H0, fw);
  for (Index t = 0; t < 4; ++t) EXPECT_EQ(f.W[t], W0[t]);
  EXPECT_NE(f.H, H0);
}

// Known answer: with the true templates fixed, the activations of a generated V are found
// (strokes where they were, nearly nothing elsewhere) and the loss goes to nearly zero.
TEST(Nmfd, FixedTrueTemplatesRecoverTheStrokes) {
  const Index K = 24, N = 80, T = 6;
  auto Wt = random_w(K, 2, T, 30);
  for (Index t = 0; t < T; ++t) {  // decaying sounds
    Wt[t].col(0) *= std::exp(-0.5 * t);
    Wt[t].col(1) *= std::exp(-0.2 * t);
  }
  MatrixXd Ht = MatrixXd::Zero(2, N);
  for (Index n : {3, 20, 41, 60}) Ht(0, n) = 1.0;
  for (Index n : {10, 30, 41, 70}) Ht(1, n) = 0.7;
  const MatrixXd V = convolve(Wt, Ht);
  Options o = with(Divergence::KullbackLeibler, 1, 300);
  o.fix_w = true;
  const NmfdResult<double> r = factorize_nmfd<double>(V, Wt, positive(2, N, 31), o);
  EXPECT_LT(r.loss.back(), 1e-3 * r.initial_loss);
  for (Index n : {3, 20, 41, 60}) EXPECT_NEAR(r.H(0, n), 1.0, 0.05) << n;
  for (Index n : {10, 30, 41, 70}) EXPECT_NEAR(r.H(1, n), 0.7, 0.05) << n;
  EXPECT_LT((r.H - Ht).cwiseAbs().sum(), 0.1 * Ht.sum());
}

TEST(Nmfd, NormalisationKeepsTheModel) {
  const MatrixXd V = positive(10, 30, 40);
  Options o = with(Divergence::KullbackLeibler, 1, 10);
  const NmfdResult<double> a = factorize_nmfd<double>(V, random_w(10, 2, 3, 41), positive(2, 30, 42), o);
  o.normalize_w = Normalization::SumToOne;
  const NmfdResult<double> b = factorize_nmfd<double>(V, random_w(10, 2, 3, 41), positive(2, 30, 42), o);
  EXPECT_LE((convolve(a.W, a.H) - convolve(b.W, b.H)).cwiseAbs().maxCoeff(), 1e-9);
  for (Index r = 0; r < 2; ++r) {
    double s = 0;
    for (const auto& w : b.W) s += w.col(r).sum();
    EXPECT_NEAR(s, 1.0, 1e-12);
  }
}

TEST(Nmfd, InvalidInput) {
  const MatrixXd V = positive(5, 8, 1);
  const auto W = random_w(5, 2, 3, 2);
  const MatrixXd H = positive(2, 8, 3);
  const Options o = with(Divergence::KullbackLeibler);
  EXPECT_THROW(factorize_nmfd<double>(V, {}, H, o), InvalidArgument);
  EXPECT_THROW(factorize_nmfd<double>(V, W, positive(3, 8, 4), o), InvalidArgument);
  EXPECT_THROW(factorize_nmfd<double>(V, {W[0], positive(4, 2, 5)}, H, o), InvalidArgument);
  EXPECT_THROW(factorize_nmfd<double>(MatrixXd(0, 0), W, H, o), InvalidArgument);
  EXPECT_THROW(factorize_nmfd<double>(-V, W, H, o), InvalidArgument);
  EXPECT_THROW(factorize_nmfd<double>(V, {-W[0]}, H, o), InvalidArgument);
  Options sparse = with(Divergence::Euclidean);
  sparse.path = Path::Sparse;  // the sparse path is KL's only
  EXPECT_THROW(factorize_nmfd<double>(V, W, H, sparse), InvalidArgument);
  Options fixed = o;
  fixed.fixed_h_rows = {5};
  EXPECT_THROW(factorize_nmfd<double>(V, W, H, fixed), InvalidArgument);
  // Silence: no NaN.
  const NmfdResult<double> s = factorize_nmfd<double>(MatrixXd::Zero(5, 8), W, H, o);
  EXPECT_TRUE(s.H.allFinite());
  for (const auto& w : s.W) EXPECT_TRUE(w.allFinite());
}

// The sparse KL path (products over H's nonzeros only) gives the dense path's iterates to
// rounding: a band-like model (templates of 1, 3 and 6 frames, some pairs all zero), H about
// a fifth nonzero in runs (note windows), a fixed template and a fixed activation row, strokes
// near the end whose shifted frames fall off the last column.
TEST(Nmfd, SparseKLPathFollowsTheDensePath) {
  const Index K = 24, N = 60, R = 4, T = 6;
  auto W0 = random_w(K, R, T, 31);
  for (Index t = 1; t < T; ++t) W0[static_cast<std::size_t>(t)].col(0).setZero();  // one frame
  for (Index t = 3; t < T; ++t) W0[static_cast<std::size_t>(t)].col(1).setZero();  // three frames
  W0[2].col(3).setZero();  // a gap inside a template
  MatrixXd H0 = MatrixXd::Zero(R, N);
  for (Index r = 0; r < R; ++r)
    for (Index n = 0; n < N; ++n)
      if ((n / 4 + r) % 5 == 0 || n >= N - 2) H0(r, n) = 0.2 + 0.01 * static_cast<double>((n * 7 + r * 3) % 11);
  const MatrixXd V = convolve(random_w(K, R, T, 40), positive(R, N, 41)) + positive(K, N, 42) * 0.05;
  for (int variant = 0; variant < 2; ++variant) {
    Options o = with(Divergence::KullbackLeibler, 1, 25);
    if (variant == 1) {
      o.fixed_w_columns = {2};
      o.fixed_h_rows = {1};
    }
    o.path = Path::Dense;
    const NmfdResult<double> dense = factorize_nmfd<double>(V, W0, H0, o);
    o.path = Path::Sparse;
    const NmfdResult<double> sparse = factorize_nmfd<double>(V, W0, H0, o);
    o.path = Path::Auto;  // H0 is about a fifth nonzero: the sparse path
    const NmfdResult<double> automatic = factorize_nmfd<double>(V, W0, H0, o);
    EXPECT_LE((sparse.H - dense.H).cwiseAbs().maxCoeff(), 1e-9 * dense.H.cwiseAbs().maxCoeff()) << variant;
    EXPECT_TRUE((sparse.H.array() == 0).cwiseEqual(H0.array() == 0).all()) << variant;
    for (Index t = 0; t < T; ++t) {
      const auto& w = dense.W[static_cast<std::size_t>(t)];
      EXPECT_LE((sparse.W[static_cast<std::size_t>(t)] - w).cwiseAbs().maxCoeff(), 1e-9 * w.cwiseAbs().maxCoeff() + 1e-300)
          << variant << " frame " << t;
      EXPECT_EQ(automatic.W[static_cast<std::size_t>(t)], sparse.W[static_cast<std::size_t>(t)]) << variant;
    }
    EXPECT_EQ(automatic.H, sparse.H) << variant;
    ASSERT_EQ(sparse.loss.size(), dense.loss.size());
    EXPECT_NEAR(sparse.initial_loss, dense.initial_loss, 1e-10 * dense.initial_loss);
    for (std::size_t i = 0; i < dense.loss.size(); ++i) EXPECT_NEAR(sparse.loss[i], dense.loss[i], 1e-9 * dense.loss[i]) << i;
    EXPECT_LT(sparse.loss.back(), 0.9 * sparse.initial_loss) << variant;  // it learns
    if (variant == 1) {
      EXPECT_EQ(sparse.H.row(1), H0.row(1));
      for (Index t = 0; t < T; ++t) EXPECT_EQ(sparse.W[static_cast<std::size_t>(t)].col(2), W0[static_cast<std::size_t>(t)].col(2));
    }
  }
}
