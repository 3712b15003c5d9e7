#include "notewise/align/align.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "notewise/core/error.hpp"
#include "notewise/io/audio.hpp"
#include "notewise/io/score_io.hpp"

using namespace notewise;

TEST(Dtw, KnownAnswer_HandMadeCostMatrix) {
  // Zero-cost cells trace the optimal path; everything else costs 1.
  MatrixXf C = MatrixXf::Ones(4, 5);
  const WarpingPath want{{0, 0}, {1, 1}, {1, 2}, {2, 3}, {3, 4}};
  for (const auto& [i, j] : want) C(i, j) = 0;
  EXPECT_EQ(dtw(C), want);
  EXPECT_DOUBLE_EQ(path_cost(C, want), 0.0);
  // Weights matter: a costly diagonal is avoided when the horizontal and vertical steps are cheap.
  MatrixXf D = MatrixXf::Constant(2, 2, 1.0f);
  D(1, 1) = 1.0f;
  const WarpingPath diag = dtw(D, {1.0, 1.0, 1.0});
  EXPECT_EQ(diag.size(), 2u);  // (0,0) -> (1,1)
  const WarpingPath around = dtw(D, {3.0, 0.5, 0.5});
  EXPECT_EQ(around.size(), 3u);
}

TEST(Dtw, Property_PathIsMonotonicAndComplete) {
  std::mt19937 g(3);
  std::uniform_real_distribution<float> u(0, 1);
  MatrixXf C(37, 23);
  for (Index i = 0; i < C.rows(); ++i)
    for (Index j = 0; j < C.cols(); ++j) C(i, j) = u(g);
  const WarpingPath p = dtw(C);
  EXPECT_EQ(p.front(), (std::pair<Index, Index>{0, 0}));
  EXPECT_EQ(p.back(), (std::pair<Index, Index>{36, 22}));
  for (std::size_t k = 1; k < p.size(); ++k) {
    const Index di = p[k].first - p[k - 1].first, dj = p[k].second - p[k - 1].second;
    EXPECT_TRUE((di == 1 && dj == 1) || (di == 1 && dj == 0) || (di == 0 && dj == 1));
  }
  // No other path is cheaper: compare with a brute-force dynamic programme written here.
  MatrixXd D(37, 23);
  for (Index i = 0; i < 37; ++i)
    for (Index j = 0; j < 23; ++j) {
      double best = (i == 0 && j == 0) ? 0 : 1e300;
      if (i > 0) best = std::min(best, D(i - 1, j));
      if (j > 0) best = std::min(best, D(i, j - 1));
      if (i > 0 && j > 0) best = std::min(best, D(i - 1, j - 1));
      D(i, j) = best + C(i, j);
    }
  EXPECT_NEAR(path_cost(C, p), D(36, 22), 1e-4);
}

namespace {
double cosine_cost(const Eigen::Ref<const VectorXf>& a, const Eigen::Ref<const VectorXf>& b) {
  return 1.0 - a.dot(b) / (a.norm() * b.norm() + 1e-9);
}
}  // namespace

TEST(Dtw, MultiscaleEqualsFullWhereBothFit) {
  // Two versions of one feature sequence, the second played with a varying tempo.
  const Index N = 400;
  MatrixXf A(6, N);
  for (Index n = 0; n < N; ++n)
    for (Index d = 0; d < 6; ++d) A(d, n) = 1.1f + std::sin(0.05f * n * (d + 1) + d);
  std::vector<Index> src;
  for (double t = 0; t < N - 1; t += 0.7 + 0.5 * std::sin(t / 40.0) * std::sin(t / 40.0)) src.push_back(static_cast<Index>(t));
  MatrixXf B(6, static_cast<Index>(src.size()));
  for (std::size_t k = 0; k < src.size(); ++k) B.col(static_cast<Index>(k)) = A.col(src[k]);
  MatrixXf C(A.cols(), B.cols());
  for (Index i = 0; i < A.cols(); ++i)
    for (Index j = 0; j < B.cols(); ++j) C(i, j) = static_cast<float>(cosine_cost(A.col(i), B.col(j)));
  const WarpingPath full = dtw(C);
  MultiscaleOptions o;
  const WarpingPath multi = multiscale_dtw(A, B, &cosine_cost, o);
  EXPECT_EQ(multi, full);
  o.levels = 1;
  EXPECT_EQ(multiscale_dtw(A, B, &cosine_cost, o), full);
}

TEST(Dtw, EmptyAndInvalid) {
  EXPECT_THROW(dtw(MatrixXf()), InvalidArgument);
  EXPECT_THROW(multiscale_dtw(MatrixXf(3, 0), MatrixXf(3, 4), &cosine_cost), InvalidArgument);
  MultiscaleOptions o;
  o.levels = 0;
  EXPECT_THROW(multiscale_dtw(MatrixXf::Ones(3, 4), MatrixXf::Ones(3, 4), &cosine_cost, o), InvalidArgument);
}

TEST(Align, WarpTimeInterpolatesAndExtrapolates) {
  const std::vector<std::pair<double, double>> w{{0, 1}, {1, 3}, {2, 4}};
  EXPECT_DOUBLE_EQ(warp_time(w, 0.5), 2.0);
  EXPECT_DOUBLE_EQ(warp_time(w, 1.5), 3.5);
  EXPECT_DOUBLE_EQ(warp_time(w, 3.0), 5.0);
  EXPECT_DOUBLE_EQ(warp_time(w, -1.0), 0.0);
}

namespace {
struct Errors {
  double mean, p95, within50;
};
Errors onset_errors(const Score& truth, const Score& got) {
  std::vector<double> e;
  for (std::size_t i = 0; i < truth.size(); ++i) e.push_back(std::abs(truth.notes()[i].onset - got.notes()[i].onset) * 1000);
  std::vector<double> s = e;
  std::sort(s.begin(), s.end());
  double mean = 0, within = 0;
  for (double x : e) {
    mean += x / static_cast<double>(e.size());
    within += (x <= 50) / static_cast<double>(e.size());
  }
  return {mean, s[static_cast<std::size_t>(0.95 * static_cast<double>(s.size() - 1))], within};
}
}  // namespace

TEST(Align, DistortedScoreRoundTripOnTheExample) {
  const io::Audio audio = io::read_audio(NOTEWISE_EXAMPLES "/chopin_op64_1/mix.wav");
  const Score truth = io::read_score(NOTEWISE_EXAMPLES "/chopin_op64_1/score.csv");
  // 10 % slower and starting 1 s late.
  const Alignment a = align_score(audio.mono(), audio.sample_rate, truth.warped(1.1, 1.0));
  ASSERT_EQ(a.aligned.size(), truth.size());
  const Errors e = onset_errors(truth, a.aligned);
  EXPECT_LE(e.mean, 20.0);
  EXPECT_LE(e.p95, 50.0);
  EXPECT_GE(e.within50, 0.95);
  EXPECT_FALSE(a.poor) << "cost " << a.cost;
  for (std::size_t k = 1; k < a.warp.size(); ++k) {
    EXPECT_GT(a.warp[k].first, a.warp[k - 1].first);
    EXPECT_GT(a.warp[k].second, a.warp[k - 1].second);  // strictly monotonic
  }
  // Same notes in the same order: only the times changed.
  for (std::size_t i = 0; i < truth.size(); ++i) {
    EXPECT_EQ(a.aligned.notes()[i].pitch, truth.notes()[i].pitch);
    EXPECT_EQ(a.aligned.notes()[i].index, truth.notes()[i].index);
  }
}

TEST(Align, ScoreOfAnotherPieceIsFlagged) {
  const io::Audio audio = io::read_audio(NOTEWISE_EXAMPLES "/chopin_op64_1/mix.wav");
  const Score other = io::read_score(NOTEWISE_FIXTURES "/scores/mozart_k545_1_score.csv");
  const Alignment a = align_score(audio.mono(), audio.sample_rate, other);
  EXPECT_TRUE(a.poor) << "cost " << a.cost;
  const Score right = io::read_score(NOTEWISE_EXAMPLES "/chopin_op64_1/score.csv");
  EXPECT_LT(align_score(audio.mono(), audio.sample_rate, right).cost, AlignOptions{}.poor_cost);
}

TEST(Align, AudioMuchShorterThanTheScoreIsFlagged) {
  const io::Audio audio = io::read_audio(NOTEWISE_EXAMPLES "/chopin_op64_1/mix.wav");
  const Score score = io::read_score(NOTEWISE_EXAMPLES "/chopin_op64_1/score.csv");
  const Alignment a = align_score(audio.mono().head(5 * audio.sample_rate), audio.sample_rate, score);
  EXPECT_TRUE(a.poor);
  EXPECT_NE(a.problem.find("lasts"), std::string::npos) << a.problem;
}

TEST(Align, InvalidInput) {
  EXPECT_THROW(align_score(VectorXf::Zero(1000), 22050, Score()), InvalidArgument);
  EXPECT_THROW(align_score(VectorXf(), 22050, Score({{0, 1, 60, 100, "a", 0}})), InvalidArgument);
  AlignOptions o;
  o.dtw.weights.diagonal = 0;
  EXPECT_THROW(align_score(VectorXf::Zero(22050), 22050, Score({{0, 1, 60, 100, "a", 0}}), o), InvalidArgument);
}
