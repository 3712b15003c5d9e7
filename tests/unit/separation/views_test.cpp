#include "notewise/separation/views.hpp"

#include <gtest/gtest.h>

#include <random>

#include "notewise/core/error.hpp"
#include "notewise/plot/figure.hpp"
#include "notewise/separation/separate.hpp"

using namespace notewise;

namespace {

Geometry small_geometry(Index frames) { return {8000, 256, 64, frames}; }  // 129 bins, Nyquist 4 kHz

MatrixXf random_matrix(Index rows, Index cols, unsigned seed, float scale = 1) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(0, scale);
  MatrixXf m(rows, cols);
  for (Index j = 0; j < cols; ++j)
    for (Index i = 0; i < rows; ++i) m(i, j) = u(rng);
  return m;
}

// Two masks that sum to one, as soft masks do.
std::vector<MatrixXf> two_masks(Index rows, Index cols, unsigned seed) {
  const MatrixXf a = random_matrix(rows, cols, seed);
  return {a, (1 - a.array()).matrix()};
}

}  // namespace

TEST(Views, OneFramePerColumn_EqualLogFrequencyOfMixStemsAndMasks) {
  const Geometry g = small_geometry(37);
  const MatrixXf V = random_matrix(g.bins(), g.frames, 1, 3);
  const auto M = two_masks(g.bins(), g.frames, 2);
  const RunViews v = run_views(V, M, g, 1000);  // more columns than frames: one frame each
  const LogAxis axis = log_axis(g.sample_rate / 2);
  ASSERT_EQ(v.columns(), g.frames);
  ASSERT_EQ(v.mix.rows(), axis.rows);
  EXPECT_EQ(v.ref, V.maxCoeff());
  EXPECT_DOUBLE_EQ(v.seconds(), g.frames * g.frame_seconds());
  EXPECT_EQ((v.mix - to_log_frequency(V, g.bin_hz(), axis, false)).cwiseAbs().maxCoeff(), 0.0f);
  for (std::size_t k = 0; k < 2; ++k) {
    const MatrixXf stem = M[k].cwiseProduct(V);
    EXPECT_EQ((v.stems[k] - to_log_frequency(stem, g.bin_hz(), axis, false)).cwiseAbs().maxCoeff(), 0.0f);
    EXPECT_EQ((v.masks[k] - to_log_frequency(M[k], g.bin_hz(), axis, true)).cwiseAbs().maxCoeff(), 0.0f);
  }
}

TEST(Views, FewerColumnsThanFrames_EqualPlotPoolOfTheFullViews) {
  for (const Index N : {Index{100}, Index{2500}}) {  // 2500: more than one chunk of run_views
    const Geometry g = small_geometry(N);
    const MatrixXf V = random_matrix(g.bins(), N, 3, 2);
    const auto M = two_masks(g.bins(), N, 4);
    const LogAxis axis = log_axis(g.sample_rate / 2);
    for (const Index C : {Index{1}, Index{7}, Index{33}, N - 1}) {
      const RunViews v = run_views(V, M, g, C);
      ASSERT_EQ(v.columns(), C);
      const MatrixXf mix = plot::pool(to_log_frequency(V, g.bin_hz(), axis, false), axis.rows, C, plot::Pooling::Max);
      EXPECT_EQ((v.mix - mix).cwiseAbs().maxCoeff(), 0.0f) << N << " " << C;  // a max is exact
      for (std::size_t k = 0; k < 2; ++k) {
        const MatrixXf mask = plot::pool(to_log_frequency(M[k], g.bin_hz(), axis, true), axis.rows, C, plot::Pooling::Mean);
        EXPECT_LE((v.masks[k] - mask).cwiseAbs().maxCoeff(), 1e-5f) << N << " " << C;  // sums in another order
        const MatrixXf stem = M[k].cwiseProduct(V);
        const MatrixXf pooled = plot::pool(to_log_frequency(stem, g.bin_hz(), axis, false), axis.rows, C, plot::Pooling::Max);
        EXPECT_EQ((v.stems[k] - pooled).cwiseAbs().maxCoeff(), 0.0f);
      }
      EXPECT_DOUBLE_EQ(v.seconds(), N * g.frame_seconds());  // the pooled columns still span the piece
    }
  }
}

TEST(Views, ChunksOfAnySizeGiveTheSameViews) {
  const Geometry g = small_geometry(61);
  const MatrixXf V = random_matrix(g.bins(), g.frames, 5);
  const auto M = two_masks(g.bins(), g.frames, 6);
  const RunViews whole = run_views(V, M, g, 20);
  for (const Index chunk : {Index{1}, Index{13}, Index{61}}) {
    ViewBuilder b(g, 2, 20);
    for (Index j0 = 0; j0 < g.frames; j0 += chunk) {
      const Index n = std::min(chunk, g.frames - j0);
      b.add(j0, V.middleCols(j0, n), {M[0].middleCols(j0, n), M[1].middleCols(j0, n)});
    }
    const RunViews v = b.finish();
    EXPECT_EQ((v.mix - whole.mix).cwiseAbs().maxCoeff(), 0.0f) << chunk;
    EXPECT_LE((v.masks[1] - whole.masks[1]).cwiseAbs().maxCoeff(), 1e-6f) << chunk;
    EXPECT_EQ((v.stems[0] - whole.stems[0]).cwiseAbs().maxCoeff(), 0.0f) << chunk;
  }
}

TEST(Views, RejectsChunksOutOfOrderOrOfTheWrongShape_AndAnUnfinishedPiece) {
  const Geometry g = small_geometry(10);
  const MatrixXf V = random_matrix(g.bins(), 10, 7);
  ViewBuilder b(g, 1, 4);
  EXPECT_THROW(b.add(3, V.leftCols(2), {V.leftCols(2)}), InvalidArgument);   // does not start at 0
  EXPECT_THROW(b.add(0, V.leftCols(2), {}), InvalidArgument);                 // a mask missing
  EXPECT_THROW(b.add(0, V.topRows(5).leftCols(2), {V.topRows(5).leftCols(2)}), InvalidArgument);  // bins
  EXPECT_THROW(b.add(0, V.leftCols(2), {V.leftCols(3)}), InvalidArgument);     // a mask of another shape
  b.add(0, V.leftCols(4), {V.leftCols(4)});
  EXPECT_THROW(b.finish(), InvalidArgument);  // 6 frames missing
  EXPECT_THROW(ViewBuilder(small_geometry(0), 1, 4), InvalidArgument);
  EXPECT_THROW(ViewBuilder(g, 1, 0), InvalidArgument);
}
