#include "notewise/mosaic/mosaic.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "notewise/core/error.hpp"
#include "notewise/nmf/nmf.hpp"
#include "test_signals.hpp"

using namespace notewise;

namespace {
MatrixXf random_h(Index m, Index n, std::uint64_t seed) { return nmf::random_matrix<float>(m, n, seed); }
}  // namespace

TEST(MosaicRestrictions, Repetition_HardLeavesNoTwoEntriesOfARowWithinR) {
  MatrixXf H = random_h(20, 60, 1);
  const MatrixXf before = H;
  mosaic::restrict_repetition(H, 3, 0.0f);
  for (Index i = 0; i < H.rows(); ++i)
    for (Index j = 0; j < H.cols(); ++j) {
      if (H(i, j) == 0) continue;
      EXPECT_EQ(H(i, j), before(i, j));  // survivors untouched
      for (Index k = std::max<Index>(0, j - 3); k <= std::min<Index>(H.cols() - 1, j + 3); ++k)
        if (k != j) {
          EXPECT_EQ(H(i, k), 0.0f) << i << " " << j << " " << k;
        }
    }
  // Every neighbourhood's maximum survives.
  for (Index i = 0; i < H.rows(); ++i) EXPECT_GT(H.row(i).maxCoeff(), 0.0f);
}

TEST(MosaicRestrictions, Repetition_SoftScalesTheOthers) {
  MatrixXf H = random_h(5, 30, 2);
  const MatrixXf before = H;
  mosaic::restrict_repetition(H, 2, 0.5f);
  for (Index i = 0; i < H.rows(); ++i)
    for (Index j = 0; j < H.cols(); ++j) {
      const Index a = std::max<Index>(0, j - 2), b = std::min<Index>(H.cols() - 1, j + 2);
      const bool is_max = before(i, j) >= before.row(i).segment(a, b - a + 1).maxCoeff();
      EXPECT_FLOAT_EQ(H(i, j), is_max ? before(i, j) : 0.5f * before(i, j));
    }
  MatrixXf same = before;
  mosaic::restrict_repetition(same, 0, 0.0f);  // r = 0: off
  EXPECT_EQ(same, before);
}

TEST(MosaicRestrictions, Polyphony_KeepsThePLargestPerColumn) {
  MatrixXf H = random_h(40, 25, 3);
  const MatrixXf before = H;
  mosaic::restrict_polyphony(H, 10, 0.0f);
  for (Index j = 0; j < H.cols(); ++j) {
    EXPECT_EQ((H.col(j).array() > 0).count(), 10);
    std::vector<float> v(before.col(j).data(), before.col(j).data() + before.rows());
    std::sort(v.rbegin(), v.rend());
    for (Index i = 0; i < H.rows(); ++i) EXPECT_EQ(H(i, j) > 0, before(i, j) >= v[9]);
  }
  MatrixXf soft = before;
  mosaic::restrict_polyphony(soft, 10, 1.0f);  // factor 1: unchanged
  EXPECT_EQ(soft, before);
}

TEST(MosaicRestrictions, Continuity_EqualsThePlainDiagonalSum) {
  const MatrixXf P = random_h(17, 23, 4);
  const MatrixXf C = mosaic::enhance_continuity(P, 7);
  for (Index i = 0; i < P.rows(); ++i)
    for (Index j = 0; j < P.cols(); ++j) {
      double s = 0;
      for (int k = -3; k <= 3; ++k)
        if (i + k >= 0 && i + k < P.rows() && j + k >= 0 && j + k < P.cols()) s += P(i + k, j + k);
      EXPECT_NEAR(C(i, j), s, 1e-5) << i << " " << j;
    }
  EXPECT_EQ(mosaic::enhance_continuity(P, 1), P);
}

TEST(Mosaic, InvalidInputThrows) {
  const VectorXf x = VectorXf::Ones(4096);
  mosaic::Options o;
  EXPECT_THROW(mosaic::mosaic(VectorXf(), x, o), InvalidArgument);
  EXPECT_THROW(mosaic::mosaic(x, VectorXf(), o), InvalidArgument);
  VectorXf bad = x;
  bad[5] = std::nanf("");
  EXPECT_THROW(mosaic::mosaic(bad, x, o), InvalidArgument);
  for (auto f : {+[](mosaic::Options& p) { p.continuity = 4; }, +[](mosaic::Options& p) { p.polyphony = 0; },
                 +[](mosaic::Options& p) { p.iterations = 0; }, +[](mosaic::Options& p) { p.restrict_every = 0; },
                 +[](mosaic::Options& p) { p.repetition = -1; }, +[](mosaic::Options& p) { p.stft.hop = 0; }}) {
    mosaic::Options p;
    f(p);
    EXPECT_THROW(p.validate(), InvalidArgument);
  }
}

TEST(Mosaic, SilentSourceGivesSilence) {
  const VectorXf target = test::glide(0, 1, 22050);
  mosaic::Options o;
  o.griffin_lim.iterations = 3;
  const mosaic::Result r = mosaic::mosaic(target, VectorXf::Zero(11025), o);
  EXPECT_TRUE(r.audio.allFinite());
  EXPECT_EQ(r.audio.size(), target.size());
  EXPECT_EQ(r.audio.cwiseAbs().maxCoeff(), 0.0f);
}

TEST(Mosaic, WithoutRestrictionsTheLossNeverRises) {
  const auto [source, target] = test::glide_source_and_target(22050);
  mosaic::Options o;
  o.repetition = 0;
  o.polyphony = 100000;
  o.continuity = 1;
  o.griffin_lim.iterations = 0;
  const mosaic::Result r = mosaic::mosaic(target, source, o);
  ASSERT_EQ(r.loss.size(), 30u);
  double before = r.initial_loss;
  for (double l : r.loss) {
    EXPECT_LE(l, before * (1 + 1e-5));  // float rounding of the model's sum
    before = l;
  }
}

// The paper's claim on a signal where it can be checked: the mosaic plays the source's frames
// in their order (diagonals in H) and sounds like the target.
TEST(Mosaic, GlidePieces_DiagonalActivationsAndTargetSpectrogram) {
  const int rate = 22050;
  const auto [source, target] = test::glide_source_and_target(rate);
  mosaic::Options o;  // the defaults: p 10, r 3, c 3, 30 iterations, restrictions every 5th, 50 GL
  const mosaic::Result r = mosaic::mosaic(target, source, o);
  EXPECT_EQ(r.restricted_at, (std::vector<int>{5, 10, 15, 20, 25, 30}));
  EXPECT_EQ(r.H.rows(), o.stft.frames(source.size()));
  EXPECT_EQ(r.H.cols(), o.stft.frames(target.size()));
  EXPECT_EQ(r.audio.size(), target.size());
  EXPECT_TRUE(r.audio.allFinite());
  // After the last, hard polyphony restriction at most p source frames per target frame.
  for (Index n = 0; n < r.H.cols(); ++n) EXPECT_LE((r.H.col(n).array() > 0).count(), 10 * 7) << n;
  const Index piece = rate / o.stft.hop;  // frames per 1 s piece (cuts between them excluded)
  const double diag = test::diagonal_fraction(r.H, {piece, 2 * piece, 3 * piece});
  EXPECT_GT(diag, 0.9);
  // Each piece's strongest source frames lie where the piece came from (±2 frames).
  const double starts[] = {3, 1, 4.5, 0.5};
  for (int p = 0; p < 4; ++p)
    for (Index n = p * piece + 3; n < (p + 1) * piece - 3; n += 5) {
      Index m = 0;
      r.H.col(n).maxCoeff(&m);
      const double expected = (starts[p] + static_cast<double>(n - p * piece) * o.stft.hop / rate) * rate / o.stft.hop;
      EXPECT_NEAR(static_cast<double>(m), expected, 2.5) << "piece " << p << " frame " << n;
    }
  const MatrixXf Vm = stft(r.audio, o.stft).cwiseAbs();
  const double corr = test::log_correlation(Vm, r.target_V);
  EXPECT_GT(corr, 0.8);
  // Against a mosaic of nothing in order (the source reversed) the same measure is lower.
  const VectorXf reversed = r.audio.reverse();
  EXPECT_GT(corr, test::log_correlation(stft(reversed, o.stft).cwiseAbs(), r.target_V) + 0.1);
}
