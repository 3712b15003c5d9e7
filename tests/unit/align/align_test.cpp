#include "notewise/align/align.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

#include "notewise/core/error.hpp"
#include "notewise/io/audio.hpp"
#include "notewise/io/score_io.hpp"
#include "unit/align/piece_signals.hpp"

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

TEST(Dtw, MultiscaleWidensItsBandWhereThePathRunsAlongIt) {
  // Sequences of short random events (a few frames each, shorter than a coarse frame), the
  // second a tempo-varied copy: with a narrow band the coarse path goes astray. Widening only
  // enlarges the band, so its path can cost no more than without it and no less than the
  // full DTW's; on these sequences it must find the full DTW's cost more often.
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> u(0.0f, 1.0f);
  int widened_optimal = 0, narrow_optimal = 0, improved = 0;
  for (int trial = 0; trial < 40; ++trial) {
    const Index N = 160;
    MatrixXf A(4, N);
    for (Index n = 0; n < N;) {
      const VectorXf v = VectorXf::NullaryExpr(4, [&](Index) { return 0.05f + u(rng); });
      for (Index len = 1 + static_cast<Index>(u(rng) * 5); len > 0 && n < N; --len) A.col(n++) = v;
    }
    std::vector<Index> src;
    const double rate = 0.6 + 0.8 * u(rng);
    for (double t = 0; t < N - 1; t += rate * (0.7 + 0.6 * u(rng))) src.push_back(static_cast<Index>(t));
    MatrixXf B(4, static_cast<Index>(src.size()));
    for (std::size_t k = 0; k < src.size(); ++k) B.col(static_cast<Index>(k)) = A.col(src[k]);
    MatrixXf C(A.cols(), B.cols());
    for (Index i = 0; i < A.cols(); ++i)
      for (Index j = 0; j < B.cols(); ++j) C(i, j) = static_cast<float>(cosine_cost(A.col(i), B.col(j)));
    const double full = path_cost(C, dtw(C));
    MultiscaleOptions o;
    o.radius = 1;
    const double wide = path_cost(C, multiscale_dtw(A, B, &cosine_cost, o));
    o.widen = false;
    const double narrow = path_cost(C, multiscale_dtw(A, B, &cosine_cost, o));
    const double tol = 1e-6 * (1 + full);
    EXPECT_LE(full, wide + tol);
    EXPECT_LE(wide, narrow + tol);
    widened_optimal += wide <= full + tol;
    narrow_optimal += narrow <= full + tol;
    improved += wide < narrow - tol;
  }
  EXPECT_GT(improved, 0);
  EXPECT_GT(widened_optimal, narrow_optimal);
}

TEST(Dtw, MultiscalePoolsOnsetRowsByTheirMaximum) {
  // Features shaped like the aligner's: held chords of 0.3-0.8 s at 100 frames a second, runs
  // of frames with the same "chroma" (rows 0..3), the chord often repeated, so that only the
  // "onset" row 4 (a linearly decaying 10-frame tail at each chord's start) tells the repeats
  // apart; the second sequence is a tempo-varied copy. The coarsest level (16 frames a cell)
  // averages a tail to a third, and its path follows the chroma; pooled by the maximum, the
  // onset stays whole and the multiscale path (no widening, to see the pooling alone) finds
  // the full DTW's cost more often and comes closer to it. Pooling changes only the search:
  // every path is costed on the same fine matrix. (With tails shorter than a coarse cell,
  // as in 3-frame impulses, the mean's graded values carry the onset's place in the cell and
  // won instead; on the real recordings of docs/RESULTS.md the maximum did, at every radius.)
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> u(0.0f, 1.0f);
  const auto cost = [](const Eigen::Ref<const VectorXf>& a, const Eigen::Ref<const VectorXf>& b) {
    return cosine_cost(a.head(4), b.head(4)) + 0.5 * std::abs(a(4) - b(4));
  };
  int peak_optimal = 0, mean_optimal = 0;
  double peak_excess = 0, mean_excess = 0;
  for (int trial = 0; trial < 40; ++trial) {
    const Index N = 1200;
    MatrixXf A = MatrixXf::Zero(5, N);
    VectorXf chord = VectorXf::NullaryExpr(4, [&](Index) { return 0.05f + u(rng); });
    for (Index n = 0; n < N;) {
      if (u(rng) < 0.3f) chord = VectorXf::NullaryExpr(4, [&](Index) { return 0.05f + u(rng); });
      const Index len = 30 + static_cast<Index>(u(rng) * 50);
      for (Index k = 0; k < len && n + k < N; ++k) {
        A.col(n + k).head(4) = chord;
        A(4, n + k) = k < 10 ? 1.0f - static_cast<float>(k) / 10.0f : 0.0f;
      }
      n += len;
    }
    std::vector<Index> src;
    for (double t = 0; t < N - 1; t += 0.7 + 0.6 * u(rng)) src.push_back(static_cast<Index>(t));
    MatrixXf B(5, static_cast<Index>(src.size()));
    for (std::size_t k = 0; k < src.size(); ++k) B.col(static_cast<Index>(k)) = A.col(src[k]);
    MatrixXf C(A.cols(), B.cols());
    for (Index i = 0; i < A.cols(); ++i)
      for (Index j = 0; j < B.cols(); ++j) C(i, j) = static_cast<float>(cost(A.col(i), B.col(j)));
    const double full = path_cost(C, dtw(C)), tol = 1e-6 * (1 + full);
    MultiscaleOptions o;
    o.radius = 16;
    o.widen = false;
    const double mean = path_cost(C, multiscale_dtw(A, B, cost, o));
    o.peak_rows = {4, 5};
    const double peak = path_cost(C, multiscale_dtw(A, B, cost, o));
    EXPECT_LE(full, peak + tol);
    EXPECT_LE(full, mean + tol);
    peak_optimal += peak <= full + tol;
    mean_optimal += mean <= full + tol;
    peak_excess += peak - full;
    mean_excess += mean - full;
  }
  // Measured: optimal 40 / 35 times, excess cost 0 / 36 in all.
  EXPECT_GT(peak_optimal, mean_optimal);
  EXPECT_LT(peak_excess, mean_excess);
}

TEST(Dtw, Subsequence_FindsTheStretchThatMatches_NoPathIsCheaper) {
  // B: 60 random columns; A: B's columns 20..39, some of them twice (played slower).
  std::mt19937 g(11);
  std::uniform_real_distribution<float> u(0.05f, 1.0f);
  const MatrixXf B = MatrixXf::NullaryExpr(5, 60, [&](Index, Index) { return u(g); });
  std::vector<Index> src;
  for (Index j = 20; j < 40; ++j) {
    src.push_back(j);
    if (j % 3 == 0) src.push_back(j);
  }
  MatrixXf A(5, static_cast<Index>(src.size()));
  for (std::size_t k = 0; k < src.size(); ++k) A.col(static_cast<Index>(k)) = B.col(src[k]);
  MatrixXf C(A.cols(), B.cols());
  for (Index i = 0; i < A.cols(); ++i)
    for (Index j = 0; j < B.cols(); ++j) C(i, j) = static_cast<float>(cosine_cost(A.col(i), B.col(j)));
  const WarpingPath p = subsequence_dtw(C);
  EXPECT_EQ(p.front(), (std::pair<Index, Index>{0, 20}));
  EXPECT_EQ(p.back(), (std::pair<Index, Index>{A.cols() - 1, 39}));
  for (std::size_t k = 1; k < p.size(); ++k) {
    const Index di = p[k].first - p[k - 1].first, dj = p[k].second - p[k - 1].second;
    EXPECT_TRUE((di == 1 && dj == 1) || (di == 1 && dj == 0) || (di == 0 && dj == 1));
  }
  // No cheaper path from row 0 to the last row: a dynamic programme written here.
  MatrixXd D(C.rows(), C.cols());
  for (Index i = 0; i < C.rows(); ++i)
    for (Index j = 0; j < C.cols(); ++j) {
      double best = i == 0 ? 0 : 1e300;
      if (i > 0) best = std::min(best, D(i - 1, j));
      if (i > 0 && j > 0) best = std::min({best, D(i, j - 1), D(i - 1, j - 1)});
      D(i, j) = best + C(i, j);
    }
  EXPECT_NEAR(path_cost(C, p), D.row(C.rows() - 1).minCoeff(), 1e-4);
  EXPECT_NEAR(path_cost(C, p), 0.0, 1e-4);
  // The whole DTW must start at column 0 and end at the last: it costs more.
  EXPECT_GT(path_cost(C, dtw(C)), path_cost(C, p) + 1);
}

TEST(Dtw, MultiscaleSubsequenceFindsTheStretchOfALongSequence) {
  // B: 800 frames of short random events (2-7 frames each); A: a tempo-varied copy of its frames
  // 300..499. The coarse levels find the stretch, the finer ones keep to it: the path starts
  // and ends in the events of the copy's ends (their frames are equal, so any of them is
  // optimal) and costs what the full subsequence DTW's does.
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> u(0.0f, 1.0f);
  MatrixXf B(4, 800);
  for (Index n = 0; n < B.cols();) {
    const VectorXf v = VectorXf::NullaryExpr(4, [&](Index) { return 0.05f + u(rng); });
    for (Index len = 2 + static_cast<Index>(u(rng) * 6); len > 0 && n < B.cols(); --len) B.col(n++) = v;
  }
  std::vector<Index> src;
  for (double t = 300; t < 499.5; t += 0.8 + 0.4 * u(rng)) src.push_back(static_cast<Index>(t));
  src.push_back(499);
  MatrixXf A(4, static_cast<Index>(src.size()));
  for (std::size_t k = 0; k < src.size(); ++k) A.col(static_cast<Index>(k)) = B.col(src[k]);
  MatrixXf C(A.cols(), B.cols());
  for (Index i = 0; i < A.cols(); ++i)
    for (Index j = 0; j < B.cols(); ++j) C(i, j) = static_cast<float>(cosine_cost(A.col(i), B.col(j)));
  MultiscaleOptions o;
  o.subsequence = true;
  const WarpingPath p = multiscale_dtw(A, B, &cosine_cost, o);
  EXPECT_TRUE(B.col(p.front().second) == B.col(300)) << p.front().second;
  EXPECT_TRUE(B.col(p.back().second) == B.col(499)) << p.back().second;
  EXPECT_NEAR(static_cast<double>(p.front().second), 300.0, 7.0);
  EXPECT_NEAR(static_cast<double>(p.back().second), 499.0, 7.0);
  EXPECT_EQ(p.front().first, 0);
  EXPECT_EQ(p.back().first, A.cols() - 1);
  EXPECT_NEAR(path_cost(C, p), path_cost(C, subsequence_dtw(C)), 1e-4);
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

TEST(Align, OpeningOfTheRecording_AlignedAsAnExcerpt_FlaggedWithoutSubsequence) {
  // The first 8 s of the example against its whole (synchronised) score: an excerpt, matched to
  // the score's opening. Without subsequence alignment the whole score is squeezed into 8 s.
  const io::Audio audio = io::read_audio(NOTEWISE_EXAMPLES "/chopin_op64_1/mix.wav");
  const Score score = io::read_score(NOTEWISE_EXAMPLES "/chopin_op64_1/score.csv");
  const VectorXf head = audio.mono().head(8 * audio.sample_rate);
  const Alignment a = align_score(head, audio.sample_rate, score);
  EXPECT_TRUE(a.excerpt);
  EXPECT_FALSE(a.poor) << a.problem;
  EXPECT_NEAR(a.score_end, 8.0, 0.3);
  ASSERT_EQ(a.aligned.size(), a.score_notes.size());
  ASSERT_EQ(a.confidence.size(), a.aligned.size());
  double mean = 0;
  for (std::size_t k = 0; k < a.aligned.size(); ++k)
    mean += std::abs(a.aligned.notes()[k].onset - score.notes()[a.score_notes[k]].onset) / static_cast<double>(a.aligned.size());
  EXPECT_LT(mean, 0.03);
  AlignOptions off;
  off.subsequence = AlignOptions::Subsequence::Off;
  const Alignment b = align_score(head, audio.sample_rate, score, off);
  EXPECT_FALSE(b.excerpt);
  EXPECT_EQ(b.aligned.size(), score.size());
  EXPECT_TRUE(b.poor);
  EXPECT_NE(b.problem.find("lasts"), std::string::npos) << b.problem;
}

TEST(Align, ExcerptOfAWholePiece_ItsSpanFound_NotesInsideOnTime_NoneOutside) {
  // A 60 s piece, its recording cut to 20-45 s, aligned with the whole score.
  const int sr = 22050;
  const double from = 20, to = 45;
  const Score score = test::random_piece(60, 11);
  const VectorXf full = test::piano_like(score.notes(), 60, sr);
  const VectorXf excerpt = full.segment(static_cast<Index>(from * sr), static_cast<Index>((to - from) * sr));
  const Alignment a = align_score(excerpt, sr, score);
  EXPECT_TRUE(a.excerpt);
  EXPECT_FALSE(a.poor) << a.problem;
  EXPECT_NEAR(a.score_start, from, 0.1);
  EXPECT_NEAR(a.score_end, to, 0.3);
  ASSERT_EQ(a.aligned.size(), a.score_notes.size());
  ASSERT_EQ(a.confidence.size(), a.aligned.size());
  // Every note starting inside (0.1 s from the cuts: where the path enters and leaves) is
  // there, at its true onset within 3 frames (30 ms); no note from outside is.
  std::vector<double> e;
  for (std::size_t i = 0; i < score.size(); ++i) {
    const Note& n = score.notes()[i];
    const auto at = std::find(a.score_notes.begin(), a.score_notes.end(), i);
    if (n.onset < from - 0.1 || n.onset > to + 0.1) {
      EXPECT_EQ(at, a.score_notes.end()) << "note " << i << " at " << n.onset;
    }
    if (n.onset < from + 0.1 || n.onset > to - 0.1) continue;
    ASSERT_NE(at, a.score_notes.end()) << "note " << i << " at " << n.onset << " s is missing";
    const Note& got = a.aligned.notes()[static_cast<std::size_t>(at - a.score_notes.begin())];
    EXPECT_EQ(got.pitch, n.pitch);
    EXPECT_EQ(got.index, n.index);
    e.push_back(std::abs(got.onset - (n.onset - from)) * 1000);
  }
  ASSERT_GT(e.size(), 50u);
  EXPECT_LE(*std::max_element(e.begin(), e.end()), 30.0);
  EXPECT_LE(std::accumulate(e.begin(), e.end(), 0.0) / static_cast<double>(e.size()), 20.0);  // measured 16.5
  for (std::size_t k = 1; k < a.warp.size(); ++k) EXPECT_GT(a.warp[k].second, a.warp[k - 1].second);
  EXPECT_NEAR(a.warp.front().first, a.score_start, 0.02);
}

TEST(Align, ExcerptInsideAHeldChord_TheChordsNotesAreAligned) {
  // Notes, a chord held 10 s, notes; the recording of 3 s from inside the chord. No note starts
  // in the span found: the notes sounding there are the excerpt's.
  const int sr = 22050;
  std::vector<Note> notes;
  for (int k = 0; k < 4; ++k) notes.push_back({0.5 * k, 0.5, 62 + 3 * k, 90, "a", notes.size()});
  for (int p : {48, 55, 64}) notes.push_back({2.0, 10.0, p, 90, "a", notes.size()});
  for (int k = 0; k < 4; ++k) notes.push_back({12.0 + 0.5 * k, 0.5, 71 - 2 * k, 90, "a", notes.size()});
  VectorXf x = VectorXf::Zero(15 * sr);
  for (const Note& n : notes)  // sustained harmonic tones (an organ), 10 ms ramps
    for (Index i = static_cast<Index>(n.onset * sr); i < static_cast<Index>(n.offset() * sr); ++i) {
      const double t = static_cast<double>(i) / sr - n.onset;
      const double env = std::min({1.0, t / 0.01, (n.duration - t) / 0.01});
      for (int m = 1; m <= 4; ++m) x(i) += static_cast<float>(0.05 * env * std::sin(2 * M_PI * m * pitch_to_hz(n.pitch) * t) / m);
    }
  const Alignment a = align_score(x.segment(5 * sr, 3 * sr), sr, Score(notes));
  EXPECT_TRUE(a.excerpt);
  EXPECT_GE(a.score_start, 2.0);
  EXPECT_LE(a.score_end, 12.1);
  ASSERT_EQ(a.score_notes, (std::vector<std::size_t>{4, 5, 6}));
  for (const Note& n : a.aligned.notes()) EXPECT_EQ(n.onset, 0.0);  // started before the recording
}

TEST(Align, WholeRecording_NoExcerpt_SameResultAsWithoutSubsequence) {
  // A recording of the whole piece (its score 10 % slower and 0.5 s late): Auto does what the
  // whole alignment did, to the last value; forced subsequence finds the whole piece too.
  const int sr = 22050;
  const Score truth = test::random_piece(25, 5);
  const VectorXf audio = test::piano_like(truth.notes(), 26, sr);
  const Score late = truth.warped(1.1, 0.5);
  const Alignment a = align_score(audio, sr, late);
  EXPECT_FALSE(a.excerpt);
  ASSERT_EQ(a.aligned.size(), truth.size());
  for (std::size_t i = 0; i < truth.size(); ++i) EXPECT_EQ(a.score_notes[i], i);
  EXPECT_DOUBLE_EQ(a.score_end, late.end());
  AlignOptions off;
  off.subsequence = AlignOptions::Subsequence::Off;
  const Alignment b = align_score(audio, sr, late, off);
  EXPECT_EQ(a.warp, b.warp);
  for (std::size_t i = 0; i < truth.size(); ++i) EXPECT_EQ(a.aligned.notes()[i].onset, b.aligned.notes()[i].onset);
  AlignOptions on;
  on.subsequence = AlignOptions::Subsequence::On;
  const Alignment c = align_score(audio, sr, late, on);
  EXPECT_TRUE(c.excerpt);
  EXPECT_EQ(c.aligned.size(), truth.size());
  std::vector<double> e;
  for (std::size_t k = 0; k < c.aligned.size(); ++k) e.push_back(std::abs(c.aligned.notes()[k].onset - truth.notes()[c.score_notes[k]].onset));
  EXPECT_LE(*std::max_element(e.begin(), e.end()), 0.03);
}

TEST(Align, ScoreLengthBound_AnHourOnAnyClip_NotADay) {
  // A whole piece's score may be aligned to an excerpt of any length, up to an hour; a day's
  // score on a 4 s clip is refused before any work.
  const Score hour({{0.1, 3500, 60, 90, "a", 0}});
  const Score day({{0.1, 86400, 60, 90, "a", 0}});
  EXPECT_EQ(score_length_problem(hour, 4.0), "");
  EXPECT_NE(score_length_problem(day, 4.0).find("cannot be aligned"), std::string::npos);
  EXPECT_EQ(score_length_problem(day, 30000.0), "");  // 4 x 30000 s + 30 s
  EXPECT_DOUBLE_EQ(max_alignable_score_seconds(4.0), kMaxExcerptScore);
  EXPECT_DOUBLE_EQ(max_alignable_score_seconds(10000.0), 40030.0);
  EXPECT_THROW(align_score(VectorXf::Ones(4 * 22050), 22050, day), InvalidArgument);
}

TEST(Align, InvalidInput) {
  EXPECT_THROW(align_score(VectorXf::Zero(1000), 22050, Score()), InvalidArgument);
  EXPECT_THROW(align_score(VectorXf(), 22050, Score({{0, 1, 60, 100, "a", 0}})), InvalidArgument);
  AlignOptions o;
  o.dtw.weights.diagonal = 0;
  EXPECT_THROW(align_score(VectorXf::Zero(22050), 22050, Score({{0, 1, 60, 100, "a", 0}}), o), InvalidArgument);
}

namespace {
// A synthetic chorale performance: four sustained voices (harmonic tones, partials 1..6 at
// 1/m, 20 ms attack and release, like winds and strings rather than a piano), chords of a
// fixed progression, 0.5 s each in the score. The performance plays 8 % slower, holds the
// chords listed in `fermata` three times as long and breathes (silence) after them, and can
// skip a range of chords. Returns the audio and fills the true onsets (audio s) per note.
struct Performance {
  VectorXf audio;
  Score score;                 // constant tempo, as written
  std::vector<double> onsets;  // true audio onset of each score note (skipped notes: -1)
  std::vector<double> offsets; // true audio end of each score note's sound (skipped notes: -1)
};

// A quiet room (-80 dBFS noise), so that silence is not digital zero: added to x from `from` on.
void add_room_noise(VectorXf& x, unsigned seed, Index from = 0) {
  std::mt19937 g(seed);
  std::normal_distribution<float> noise(0, 1e-4f);
  for (Index k = from; k < x.size(); ++k) x(k) += noise(g);
}

// With `breath_level` > 0 the breath is not silent: the held chord goes on at that amplitude
// (a soft release, the other players sustaining) until the next chord; with `repeat` the chord
// after each fermata has the fermata's own pitches (only its onset tells it apart).
Performance chorale(double sr, const std::vector<int>& fermata, double breath, int skip_from = -1, int skip_to = -1,
                    double breath_level = 0, bool repeat = false, double swell = 0) {
  // I-IV-V-I-vi-ii-V-I ... in C, four voices (bass, tenor, alto, soprano), 24 chords.
  const int prog[8][4] = {{48, 55, 64, 72}, {53, 57, 65, 72}, {43, 55, 62, 71}, {48, 55, 64, 72},
                          {45, 57, 64, 72}, {50, 57, 65, 69}, {43, 55, 62, 67}, {48, 52, 60, 67}};
  const int chords = 24;
  const char* labels[4] = {"bassoon", "saxophone", "clarinet", "violin"};
  std::vector<Note> notes;
  std::vector<double> start, length;  // appended (GCC 12 warns falsely of start[-1] when indexed)
  double t = 0.3;
  for (int c = 0; c < chords; ++c) {
    const bool held = std::find(fermata.begin(), fermata.end(), c) != fermata.end();
    const bool skipped = c >= skip_from && c <= skip_to;
    start.push_back(t);
    length.push_back(skipped ? 0 : 0.5 * 1.08 * (held ? 3.0 : 1.0));
    t += length.back() + (held && !skipped ? breath : 0.0);
    const bool after_fermata = c > 0 && std::find(fermata.begin(), fermata.end(), c - 1) != fermata.end();
    const int from = repeat && after_fermata ? c - 1 : c;
    for (int v = 0; v < 4; ++v)
      notes.push_back({1.0 + 0.5 * c, 0.5, prog[from % 8][v] + (from / 8 == 1 ? 2 : 0), 90, labels[v], notes.size()});
  }
  Performance p;
  p.score = Score(notes);
  p.audio = VectorXf::Zero(static_cast<Index>((t + 0.5) * sr));
  for (const Note& n : notes) {
    const int c = static_cast<int>(std::lround((n.onset - 1.0) / 0.5));
    if (length[c] == 0) {
      p.onsets.push_back(-1);
      p.offsets.push_back(-1);
      continue;
    }
    p.onsets.push_back(start[c]);
    p.offsets.push_back(start[c] + length[c]);
    // Legato within a phrase: a note lasts to the next chord (the breath after a fermata is silent).
    const double f0 = 440.0 * std::pow(2.0, (n.pitch - 69) / 12.0);
    const bool held = std::find(fermata.begin(), fermata.end(), c) != fermata.end();
    const double sounding = length[c] + (held && breath_level > 0 ? breath : 0.0);
    const Index a = static_cast<Index>(start[c] * sr), len = static_cast<Index>(sounding * sr);
    for (Index k = 0; k < len && a + k < p.audio.size(); ++k) {
      const double s = static_cast<double>(k) / sr;
      double env = std::min({1.0, s / 0.02, (sounding - s) / 0.02});
      if (s > length[c]) env *= breath_level;  // the breath: the chord goes on softly
      else if (held && breath_level > 0)  // and swells while it is held (a player's vibrato of loudness)
        env *= std::max(breath_level, std::min(1.0, (length[c] - s) / 0.02)) * (0.7 + 0.3 * std::sin(2 * M_PI * 4 * s));
      // A swell of the top voice late in a held chord (a bow's or a breath's new push): its level
      // jumps by `swell` at 70 % of the hold and falls back over 0.3 s.
      const double u = s - 0.7 * length[c];
      if (held && swell > 0 && n.label == "violin" && u >= 0 && s <= length[c])
        env *= 1 + swell * std::min(u / 0.01, 1.0) * std::max(0.0, 1 - u / 0.3);
      double x = 0;
      for (int m = 1; m <= 6; ++m) x += std::sin(2 * M_PI * m * f0 * s) / m;
      p.audio(a + k) += static_cast<float>(0.05 * env * x);
    }
  }
  add_room_noise(p.audio, 7);
  return p;
}

std::vector<double> onset_errors_ms(const Performance& p, const Score& got) {
  std::vector<double> e;
  for (std::size_t i = 0; i < p.onsets.size(); ++i)
    if (p.onsets[i] >= 0) e.push_back(std::abs(got.notes()[i].onset - p.onsets[i]) * 1000);
  return e;
}
// The same for the notes of the listed chords only.
std::vector<double> onset_errors_ms(const Performance& p, const Score& got, const std::vector<int>& chords) {
  std::vector<double> e;
  for (std::size_t i = 0; i < p.onsets.size(); ++i) {
    const int c = static_cast<int>(std::lround((p.score.notes()[i].onset - 1.0) / 0.5));
    if (p.onsets[i] >= 0 && std::find(chords.begin(), chords.end(), c) != chords.end())
      e.push_back(std::abs(got.notes()[i].onset - p.onsets[i]) * 1000);
  }
  return e;
}
double mean_of(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return s / static_cast<double>(v.size());
}
}  // namespace

TEST(Align, FermatasAndBreaths_ChordsEnterOnTime) {
  // Fermatas on chords 7, 15 and the last; a 0.6 s breath after each. The DTW alone has to
  // stretch the held chord and place the silence; the refinement puts each chord on its rise.
  const Performance p = chorale(22050, {7, 15, 23}, 0.6);
  const Alignment a = align_score(p.audio, 22050, p.score);
  ASSERT_EQ(a.aligned.size(), p.score.size());
  const std::vector<double> e = onset_errors_ms(p, a.aligned);
  // Onsets are exact in the signal; 20 ms covers the 10 ms frame grid and the attack's rise
  // (the rise is centred on the 20 ms attack, a frame or two after the true start).
  EXPECT_LE(mean_of(e), 20.0);
  EXPECT_LE(*std::max_element(e.begin(), e.end()), 40.0);
  EXPECT_FALSE(a.poor) << a.problem;
  ASSERT_EQ(a.confidence.size(), p.score.size());
  EXPECT_GT(a.mean_confidence, 0.5);
}

TEST(Align, FermatasAndBreaths_DtwAloneBringsEveryChordWithinTheRefinementWindow) {
  const Performance p = chorale(22050, {7, 15, 23}, 0.6);
  AlignOptions o;
  o.refine = false;
  const std::vector<double> e = onset_errors_ms(p, align_score(p.audio, 22050, p.score, o).aligned);
  // The global path alone must bring every chord well within the refinement's window (measured:
  // mean 9 ms, max 32 ms; the bounds leave room for the 10 ms frame grid).
  EXPECT_LE(mean_of(e), 20.0);
  EXPECT_LE(*std::max_element(e.begin(), e.end()), 60.0);
}

TEST(Align, SoftBreathBeforeTheSameChord_ChordEntersAfterTheBreath) {
  // Fermatas on chords 5, 11 and 17, each followed by a 0.2 s breath in which the chord goes on
  // 10 dB softer (not silent: above the floor), then by a chord of the same pitches. Chroma
  // cannot tell the two chords apart; the onsets after the breaths must. On this clean signal
  // the chords enter on time with or without the breath rule (Bach10's breaths are where it
  // mattered: docs/RESULTS.md); what the rule itself does is checked on the features below.
  const Performance p = chorale(22050, {5, 11, 17}, 0.2, -1, -1, std::pow(10.0, -10.0 / 20), true);
  const Alignment a = align_score(p.audio, 22050, p.score);
  const std::vector<double> e = onset_errors_ms(p, a.aligned, {6, 12, 18});
  ASSERT_EQ(e.size(), 12u);
  EXPECT_LE(*std::max_element(e.begin(), e.end()), 50.0) << mean_of(e);
  EXPECT_LE(mean_of(onset_errors_ms(p, a.aligned)), 20.0);
  // The breaths are silent frames (the silent row), 10 dB under the music but far above the floor, so
  // only the breath rule finds them; the chords are not.
  auto silent_share = [&](const MatrixXf& F, double a, double b) {
    double n = 0, s = 0;
    for (Index f = static_cast<Index>(a * 100); f < static_cast<Index>(b * 100); ++f, ++n) s += F(feature_rows::kSilent, f);
    return s / n;
  };
  AlignOptions off;
  off.breath_db = 0;
  const MatrixXf F = audio_features(p.audio, 22050, AlignOptions{}), F0 = audio_features(p.audio, 22050, off);
  for (int c : {5, 11, 17}) {
    const double end = p.offsets[static_cast<std::size_t>(4 * c)];  // the fermata's end: the breath follows
    EXPECT_GE(silent_share(F, end + 0.05, end + 0.15), 0.9) << "chord " << c;
    EXPECT_EQ(silent_share(F0, end + 0.05, end + 0.15), 0.0) << "chord " << c;
    EXPECT_EQ(silent_share(F, end - 0.6, end - 0.1), 0.0) << "chord " << c;
  }
}

TEST(Align, SwellBeforeABreath_TheNextChordEntersAfterTheBreath) {
  // Fermatas on chords 5, 11 and 17. Late in each the violin's level jumps fourfold and falls
  // back (a new push of the bow), a 0.1 s breath follows, then a chord of the same pitches.
  // Chroma cannot tell the two chords apart, and the swell is an onset as strong as the chord's:
  // only where the sound resumes says where the next chord starts.
  const Performance p = chorale(22050, {5, 11, 17}, 0.1, -1, -1, 0, true, 3.0);
  const Alignment a = align_score(p.audio, 22050, p.score);
  const std::vector<double> e = onset_errors_ms(p, a.aligned, {6, 12, 18});
  ASSERT_EQ(e.size(), 12u);
  EXPECT_LE(*std::max_element(e.begin(), e.end()), 40.0) << mean_of(e);
  EXPECT_LE(mean_of(onset_errors_ms(p, a.aligned)), 20.0);
  // Without the entries the path starts a chord on the swell (so this test can fail).
  AlignOptions off;
  off.entry_cost = 0;
  const std::vector<double> e0 = onset_errors_ms(p, align_score(p.audio, 22050, p.score, off).aligned, {6, 12, 18});
  EXPECT_GE(*std::max_element(e0.begin(), e0.end()), 200.0);
}

TEST(Align, ScoreWithLeadingSilence_FirstChordsOnTime) {
  // The score's leading silence (a count-in, an excerpt's offset) must not push the first
  // chords late; the piece is played 8 % slower, with fermatas.
  // The audio starts with the first chord (an excerpt), the score 4 s later.
  Performance p = chorale(22050, {7, 15}, 0.4);
  const Index cut = static_cast<Index>(0.3 * 22050);
  const VectorXf audio = p.audio.tail(p.audio.size() - cut);
  for (double& t : p.onsets) t -= 0.3;
  const Score late = p.score.warped(1.0, 3.0);
  const Alignment a = align_score(audio, 22050, late);
  const std::vector<double> e = onset_errors_ms(p, a.aligned);
  EXPECT_LE(*std::max_element(e.begin(), e.begin() + 16), 40.0);  // the first four chords
  EXPECT_LE(mean_of(e), 20.0);
}

TEST(Align, ScoreStartingAtZero_FirstChordAfterTheRecordingsSilence) {
  // A score whose first note is at 0 (no count-in) against a recording that starts with 0.3 s
  // of room noise: the first chord sounds after the silence, not at the file's first frame.
  Performance p = chorale(22050, {7, 15}, 0.4);
  const Score at_zero = p.score.warped(1.0, -1.0);
  const Alignment a = align_score(p.audio, 22050, at_zero);
  const std::vector<double> e = onset_errors_ms(p, a.aligned);
  EXPECT_LE(*std::max_element(e.begin(), e.begin() + 8), 40.0);  // the first two chords
  EXPECT_LE(mean_of(e), 20.0);
  // The warp maps the score's own times only: it starts at 0 (no padding before it).
  ASSERT_FALSE(a.warp.empty());
  EXPECT_EQ(a.warp.front().first, 0.0);
  EXPECT_NEAR(a.warp.front().second, p.onsets[0], 0.04);
}

TEST(Align, OffsetsBeforeARestFollowTheRelease) {
  // The chords before the breaths (7, 15) and the final chord (23) end where the player stops:
  // the fermata is held three times as long as written, and the score marks a rest after the
  // chords before a breath (written 0.4 s of the 0.5 s). Their ends come from the fall of
  // their pitches' energy; every other note is legato and ends where the next chord starts.
  Performance p = chorale(22050, {7, 15, 23}, 0.6);
  std::vector<Note> notes = p.score.notes();
  for (Note& n : notes)
    if (const int c = static_cast<int>(std::lround((n.onset - 1.0) / 0.5)); c == 7 || c == 15) n.duration = 0.4;
  const Score score(notes);
  auto errors = [&](const Alignment& a, bool released) {
    std::vector<double> e;
    for (std::size_t i = 0; i < notes.size(); ++i) {
      const int c = static_cast<int>(std::lround((notes[i].onset - 1.0) / 0.5));
      if ((c == 7 || c == 15 || c == 23) == released) e.push_back(std::abs(a.aligned.notes()[i].offset() - p.offsets[i]) * 1000);
    }
    return e;
  };
  const Alignment a = align_score(p.audio, 22050, score);
  const std::vector<double> released = errors(a, true), legato = errors(a, false);
  ASSERT_EQ(released.size(), 12u);
  // The 10 ms frame grid, the 20 ms release and the 93 ms analysis window, whose log energy
  // falls steepest a little after the sound has stopped (measured: mean 23 ms, max 30 ms).
  EXPECT_LE(*std::max_element(released.begin(), released.end()), 40.0) << mean_of(released);
  EXPECT_LE(mean_of(legato), 20.0);
  // Without the refinement the warp puts these ends in proportion between the onsets around
  // them, into the breath (measured: 57 ms off on average).
  AlignOptions o;
  o.refine = false;
  const std::vector<double> warped = errors(align_score(p.audio, 22050, score, o), true);
  EXPECT_GT(mean_of(warped), 2 * mean_of(released)) << mean_of(warped) << " vs " << mean_of(released);
}

TEST(Align, MissingSectionIsFlaggedWithItsTimes) {
  // The performance skips chords 10..17 (4 s of score, written at 6.0-10.0 s).
  const Performance p = chorale(22050, {}, 0.0, 10, 17);
  const Alignment a = align_score(p.audio, 22050, p.score);
  EXPECT_TRUE(a.poor);
  bool found = false;
  for (const AlignIssue& is : a.issues)
    if (is.what.find("missing") != std::string::npos) {
      found = true;
      // Within a second of the skipped 6.0-10.0 s (the path spreads a skip over its neighbours).
      EXPECT_NEAR(is.score_start, 6.0, 1.0) << is.what;
      EXPECT_NEAR(is.score_end, 10.0, 1.0) << is.what;
    }
  EXPECT_TRUE(found) << a.problem;
  const std::vector<double> e = onset_errors_ms(p, a.aligned);
  // Most of the played chords are still placed right; the chords at the junction are not (the
  // path spreads the skip over them: 0.3-0.9 s off here), hence the median.
  std::vector<double> sorted = e;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_LE(sorted[sorted.size() / 2], 30.0);
}

TEST(Align, NoteNotPlayedHasLowConfidence) {
  Performance p = chorale(22050, {}, 0.0);
  std::vector<Note> notes = p.score.notes();
  notes[4 * 12 + 3].pitch += 5;  // the soprano of chord 12 written a fourth higher than played
  const Alignment a = align_score(p.audio, 22050, Score(notes));
  EXPECT_LT(a.confidence[4 * 12 + 3], 0.3);
  EXPECT_GT(a.mean_confidence, 0.5);
}

namespace {
// A piano texture like Chopin's E minor prelude: a loud melody note held (pedalled, decaying
// slowly) over soft repeated chords of the same pitches, played with rubato. Piano tones:
// partials 1..8 at 1/m, a 5 ms attack, amplitude decaying with `decay` s (the melody) and
// 0.6 s (the chords, each damped when the next chord comes). The score is at constant tempo,
// 0.5 s a chord, every note at the same velocity (as in the Disklavier piece's score: the
// score does not say that the melody is louder); the performance's chord lengths swing by
// +-30 % around 0.55 s and its chords are 18 dB under the melody. The harmony changes every 8
// chords; each melody note starts 2 chords after a change and is held over the 6 repeated
// chords that follow and over the next change.
Performance held_melody(double sr, double decay) {
  const int harm[4][3] = {{52, 55, 59}, {50, 54, 60}, {52, 55, 59}, {47, 54, 57}};  // e, D7, e, B7
  const int melody[5] = {71, 72, 71, 69, 71};
  const int chords = 24;
  std::vector<Note> notes;
  std::vector<double> start(chords + 1);
  double t = 0.3;
  for (int c = 0; c <= chords; ++c) {
    start[static_cast<std::size_t>(c)] = t;
    t += 0.55 * (1 + 0.3 * std::sin(2 * M_PI * c / 7.0 + 0.5));
  }
  struct Sound { double at, len, f0, amp, decay; };
  std::vector<Sound> sounds;
  Performance p;
  for (int c = 0; c < chords; ++c) {
    for (int v = 0; v < 3; ++v) {
      notes.push_back({1.0 + 0.5 * c, 0.5, harm[(c / 8) % 4][v], 100, "left", notes.size()});
      sounds.push_back({start[c], start[c + 1] - start[c], 440.0 * std::pow(2.0, (notes.back().pitch - 69) / 12.0), 0.12, 0.6});
      p.onsets.push_back(start[c]);
    }
    if (c % 8 == 2 || c == 0) {
      const int m = c == 0 ? 0 : c / 8 + 1, until = std::min(chords, c == 0 ? 2 : c + 8);
      notes.push_back({1.0 + 0.5 * c, 0.5 * (until - c), melody[m], 100, "right", notes.size()});
      sounds.push_back({start[c], start[until] - start[c], 440.0 * std::pow(2.0, (melody[m] - 69) / 12.0), 1.0, decay});
      p.onsets.push_back(start[c]);
    }
  }
  p.score = Score(notes);
  p.audio = VectorXf::Zero(static_cast<Index>((t + 0.5) * sr));
  for (const Sound& s : sounds) {
    const Index a = static_cast<Index>(s.at * sr), len = static_cast<Index>((s.len + 0.05) * sr);
    for (Index k = 0; k < len && a + k < p.audio.size(); ++k) {
      const double u = static_cast<double>(k) / sr;
      const double env = std::min({1.0, u / 0.005, (s.len + 0.05 - u) / 0.05}) * std::exp(-u / s.decay);
      double x = 0;
      for (int m = 1; m <= 8; ++m) x += std::sin(2 * M_PI * m * s.f0 * u) / m;
      p.audio(a + k) += static_cast<float>(0.03 * s.amp * env * x);
    }
  }
  add_room_noise(p.audio, 11);
  return p;
}
}  // namespace

TEST(Align, HeldMelodyOverRepeatedChords_EveryChordOnTime) {
  // The chords under a held note have the same pitches, so only their onsets tell them apart,
  // and the held note stays in the sound (chroma) to its end. A score model in which held notes
  // fade made the held note vanish from the score's chroma while the recording kept it, and the
  // path held the first chord and then ran through the others (the real Disklavier piece of
  // docs/RESULTS.md: repeated chords 1.9 s late).
  const Performance p = held_melody(22050, 3.0);
  const Alignment a = align_score(p.audio, 22050, p.score);
  const std::vector<double> e = onset_errors_ms(p, a.aligned);
  // Measured: mean 12 ms, max 34 ms; the third round's aligner (notes decaying in 0.5 s): 123 / 630 ms.
  EXPECT_LE(*std::max_element(e.begin(), e.end()), 50.0) << mean_of(e);
  EXPECT_LE(mean_of(e), 20.0);
}

TEST(Align, FinalChordWrittenLongerThanItSounds_IsNotFlaggedMissing) {
  // The last chord is written 6 s long; it sounds for half a second and dies away, and the
  // recording goes on 6 s in a quiet room (a piano's final chord under a long written hold).
  // However the path crosses that chord, no note of the score is missing from the audio.
  Performance p = chorale(22050, {}, 0.0);
  std::vector<Note> notes = p.score.notes();
  for (std::size_t i = notes.size() - 4; i < notes.size(); ++i) notes[i].duration = 6.0;
  const Score score(notes);
  VectorXf audio = VectorXf::Zero(p.audio.size() + 6 * 22050);
  audio.head(p.audio.size()) = p.audio;
  add_room_noise(audio, 3, p.audio.size());
  const Alignment a = align_score(audio, 22050, score);
  for (const AlignIssue& is : a.issues) EXPECT_EQ(is.what.find("missing"), std::string::npos) << is.what;
  EXPECT_LE(mean_of(onset_errors_ms(p, a.aligned)), 20.0);
}

TEST(AlignFeatures, LowPitchesNameTheirOwnPitchClass) {
  // A sustained sine at each pitch from E1 to C4: its chroma's strongest class must be the
  // pitch's own. At 22.05 kHz the 2048-sample window's bins lie 10.8 Hz apart, further than
  // semitones below MIDI 55, so with one window (low_pitch_doublings = 0) low fundamentals fall
  // in other pitches' bins (E1's 41.2 Hz in F1's at 43.1 Hz); the longer windows resolve them.
  const double sr = 22050;
  AlignOptions one;
  one.low_pitch_doublings = 0;
  int wrong_one = 0;
  for (int pitch = 28; pitch <= 60; ++pitch) {
    const double f = 440.0 * std::pow(2.0, (pitch - 69) / 12.0);
    VectorXf x(static_cast<Index>(1.5 * sr));
    for (Index t = 0; t < x.size(); ++t) x(t) = 0.5f * static_cast<float>(std::sin(2 * M_PI * f * static_cast<double>(t) / sr));
    auto strongest = [&](const AlignOptions& o) {
      const MatrixXf F = audio_features(x, sr, o);
      const VectorXf mid = F.block(0, F.cols() / 2 - 20, 12, 40).rowwise().mean();  // away from the ends
      Index c;
      mid.maxCoeff(&c);
      return static_cast<int>(c);
    };
    EXPECT_EQ(strongest(AlignOptions{}), pitch % 12) << "pitch " << pitch;
    wrong_one += strongest(one) != pitch % 12;
  }
  // With one window, many of the 27 pitches below 55 are named wrong (so this test can fail).
  EXPECT_GE(wrong_one, 5);
}

TEST(AlignFeatures, EntriesMarkSoundAfterAPauseNotADecayAcrossTheThreshold) {
  // Sound resuming after the breaths (and at the start) is marked at its onset; nothing else is.
  const Performance p = chorale(22050, {7, 15}, 0.4);
  const MatrixXf F = audio_features(p.audio, 22050, AlignOptions{});
  std::vector<double> starts;  // chords after silence: the first and those after the fermatas
  for (int c : {0, 8, 16}) starts.push_back(p.onsets[static_cast<std::size_t>(4 * c)]);
  std::vector<int> marked(starts.size(), 0);
  for (Index n = 0; n < F.cols(); ++n) {
    if (F(feature_rows::kEntry, n) == 0) continue;
    const double t = static_cast<double>(n) * 0.01;
    bool near = false;
    for (std::size_t k = 0; k < starts.size(); ++k)
      if (t >= starts[k] - 0.02 && t <= starts[k] + 0.04) {
        near = true;
        ++marked[k];
      }
    EXPECT_TRUE(near) << "entry at " << t << " s";
  }
  for (std::size_t k = 0; k < starts.size(); ++k) EXPECT_GE(marked[k], 1) << "no entry at " << starts[k] << " s";

  // A note that decays through the silence threshold with a slight tremolo (a piano's, a
  // pedalled chord's) flickers between silent and sounding frames; none of that is an entry.
  const double sr = 22050;
  VectorXf x = VectorXf::Zero(static_cast<Index>(9.0 * sr));
  for (Index k = static_cast<Index>(0.3 * sr); k < x.size(); ++k) {
    const double t = static_cast<double>(k) / sr - 0.3;
    double v = 0;
    for (int m = 1; m <= 6; ++m) v += std::sin(2 * M_PI * m * 220.0 * t) / m;
    x(k) = static_cast<float>(0.3 * std::min(1.0, t / 0.01) * std::exp(-t / 2.0) * (1 + 0.3 * std::sin(2 * M_PI * 1.0 * t)) * v);
  }
  std::mt19937 g(11);
  std::normal_distribution<float> hiss(0, 3e-3f);  // a noisier room: the note reaches the floor sooner
  for (Index k = 0; k < x.size(); ++k) x(k) += hiss(g);
  const MatrixXf G = audio_features(x, sr, AlignOptions{});
  int silent_runs = 0, entries_after_start = 0;
  for (Index n = 1; n < G.cols(); ++n) {
    silent_runs += G(feature_rows::kSilent, n) > 0.5f && G(feature_rows::kSilent, n - 1) < 0.5f && n > 40;
    entries_after_start += n > 40 && G(feature_rows::kEntry, n) > 0;
  }
  EXPECT_GE(silent_runs, 2);  // it does flicker (so this test can fail)
  EXPECT_EQ(entries_after_start, 0);
}

namespace {
// Three players (bassoon, clarinet, violin: harmonic tones, partials 1..6 at 1/m, 20 ms attack and
// release, legato within a part) at a constant tempo of 0.5 s a score event, 0.4 s into the
// recording; at every event each part enters on its own, `jitter` away from the event's time:
// 20-80 ms early or late, drawn per part and per event. The score places all three at the event.
struct Ensemble {
  Score score;
  VectorXf audio;
  std::vector<double> onsets;  // each score note's true onset in the audio
};

Ensemble jittered_trio(double sr, unsigned seed) {
  const int prog[8][3] = {{48, 64, 72}, {53, 65, 69}, {43, 62, 71}, {48, 60, 67},
                          {45, 64, 72}, {50, 65, 69}, {43, 62, 67}, {48, 64, 72}};
  const char* labels[3] = {"bassoon", "clarinet", "violin"};
  constexpr int events = 16;
  std::mt19937 g(seed);
  std::uniform_real_distribution<double> size(0.02, 0.08);
  std::bernoulli_distribution sign(0.5);
  // start[v][e]: the true onset of part v's note of event e; the last note ends at 8.6 s.
  double start[3][events + 1];
  for (int v = 0; v < 3; ++v) {
    for (int e = 0; e < events; ++e) start[v][e] = 0.4 + 0.5 * e + (e == 0 ? 0.0 : (sign(g) ? 1 : -1) * size(g));
    start[v][events] = 0.4 + 0.5 * events;
  }
  Ensemble out;
  std::vector<Note> notes;
  out.audio = VectorXf::Zero(static_cast<Index>(9.0 * sr));
  for (int e = 0; e < events; ++e)
    for (int v = 0; v < 3; ++v) {
      const int pitch = prog[e % 8][v] + (e / 8 == 1 ? 2 : 0);
      notes.push_back({1.0 + 0.5 * e, 0.5, pitch, 90, labels[v], notes.size()});
      out.onsets.push_back(start[v][e]);
      const double f0 = 440.0 * std::pow(2.0, (pitch - 69) / 12.0), len = start[v][e + 1] - start[v][e];
      const Index a = static_cast<Index>(start[v][e] * sr), n = static_cast<Index>(len * sr);
      for (Index k = 0; k < n && a + k < out.audio.size(); ++k) {
        const double s = static_cast<double>(k) / sr;
        const double env = std::min({1.0, s / 0.02, (len - s) / 0.02});
        double x = 0;
        for (int m = 1; m <= 6; ++m) x += std::sin(2 * M_PI * m * f0 * s) / m;
        out.audio(a + k) += static_cast<float>(0.05 * env * x);
      }
    }
  out.score = Score(notes);
  add_room_noise(out.audio, seed + 1);
  return out;
}

std::vector<double> errors_ms(const Ensemble& p, const Score& got) {
  std::vector<double> e;
  for (std::size_t i = 0; i < p.onsets.size(); ++i) e.push_back(std::abs(got.notes()[i].onset - p.onsets[i]) * 1000);
  return e;
}
}  // namespace

TEST(Align, PerVoice_EachPartOnItsOwnTime) {
  // Two seeds, so that no single draw of the jitter decides. The score's events are exact; only
  // the players' own times differ from them. One time per event cannot be nearer than the
  // jitter's spread (the three parts 40-160 ms apart at most events); each part on its own can.
  for (unsigned seed : {11u, 23u}) {
    const Ensemble p = jittered_trio(22050, seed);
    AlignOptions without;
    without.per_voice = false;
    const Alignment a = align_score(p.audio, 22050, p.score), b = align_score(p.audio, 22050, p.score, without);
    ASSERT_EQ(a.aligned.size(), p.score.size());
    const std::vector<double> e = errors_ms(p, a.aligned), f = errors_ms(p, b.aligned);
    const double within = static_cast<double>(std::count_if(e.begin(), e.end(), [](double x) { return x <= 30; })) / static_cast<double>(e.size());
    std::vector<double> sorted = e;
    std::sort(sorted.begin(), sorted.end());
    std::printf("seed %u: per-voice mean %.1f ms, within 30 ms %.0f %%, max %.0f ms; without %.1f ms\n", seed, mean_of(e), 100 * within,
                sorted.back(), mean_of(f));
    EXPECT_LT(mean_of(e), 20.0) << "seed " << seed;
    EXPECT_GE(within, 0.85) << "seed " << seed;
    EXPECT_LT(sorted.back(), 80.0) << "seed " << seed;
    // Without the per-voice refinement every part of an event is placed together.
    EXPECT_GT(mean_of(f), 2 * mean_of(e)) << "seed " << seed;
    // Two parts entering apart are placed apart, in the right order: the signed offset between
    // each pair of parts at each event, against the played one.
    int right = 0, pairs = 0;
    for (std::size_t i = 0; i + 2 < p.onsets.size(); i += 3)
      for (std::size_t u = 0; u < 3; ++u)
        for (std::size_t v = u + 1; v < 3; ++v) {
          const double played = p.onsets[i + v] - p.onsets[i + u];
          const double got = a.aligned.notes()[i + v].onset - a.aligned.notes()[i + u].onset;
          if (std::abs(played) < 0.04) continue;
          ++pairs;
          right += got * played > 0 && std::abs(got - played) <= 0.4 * std::abs(played) + 0.015;
        }
    EXPECT_GE(right, pairs * 8 / 10) << "seed " << seed << ": " << right << " of " << pairs;
    // Confidence per note and per part.
    ASSERT_EQ(a.voice_confidence.size(), a.aligned.size());
    ASSERT_EQ(a.part_confidence.size(), 3u);
    for (const auto& [label, c] : a.part_confidence) EXPECT_GT(c, 0.5) << label;
    EXPECT_TRUE(b.voice_confidence.empty());
    // The event-level onsets kept beside the per-voice ones are exactly the onsets without it.
    ASSERT_EQ(a.event_onset.size(), a.aligned.size());
    for (std::size_t i = 0; i < a.event_onset.size(); ++i) EXPECT_EQ(a.event_onset[i], b.aligned.notes()[i].onset) << i;
    EXPECT_TRUE(b.event_onset.empty());
    // Parts of a struck instrument (the hands of a piano: one player) keep their event's time.
    if (seed == 11) {
      std::vector<Note> hands = p.score.notes();
      for (Note& n : hands) n.label = "piano " + n.label;
      const Alignment c = align_score(p.audio, 22050, Score(hands));
      for (std::size_t i = 0; i < hands.size(); ++i) EXPECT_EQ(c.aligned.notes()[i].onset, b.aligned.notes()[i].onset) << i;
    }
  }
}

namespace {
// A flute melody (a note a bar, 2 s, harmonic tones) over a drum groove: a kick (a 0.15 s
// falling sine from 90 to 45 Hz) on every beat and a snare (0.12 s of decaying noise) half way
// between, for 12 bars with rubato (each beat 0.5 s +-20 %, drawn). The score is at constant
// tempo (0.5 s a beat) from 1 s; its drum notes are GM drum keys on channel 10 (36 kick, 38
// snare). Between the melody's notes only the drums say where the beats are.
Ensemble flute_and_drums(double sr, unsigned seed) {
  constexpr int beats = 48;
  std::mt19937 g(seed);
  std::uniform_real_distribution<double> swing(0.8, 1.2);
  std::vector<double> beat(beats + 1);
  beat[0] = 0.4;
  for (int b = 1; b <= beats; ++b) beat[b] = beat[b - 1] + 0.5 * swing(g);
  Ensemble out;
  out.audio = VectorXf::Zero(static_cast<Index>((beat[beats] + 0.5) * sr));
  std::vector<Note> notes;
  std::normal_distribution<float> noise(0, 1);
  const int melody[6] = {72, 74, 76, 77, 79, 76};
  for (int b = 0; b < beats; ++b) {
    for (int d = 0; d < 2; ++d) {  // kick on the beat, snare half way to the next
      const double at = d == 0 ? beat[b] : 0.5 * (beat[b] + beat[b + 1]);
      Note n{1.0 + 0.5 * b + 0.25 * d, 0.1, d == 0 ? 36 : 38, 100, "drums", notes.size()};
      n.channel = 9;
      notes.push_back(n);
      out.onsets.push_back(at);
      const Index a = static_cast<Index>(at * sr);
      double phase = 0;
      for (Index k = 0; k < static_cast<Index>(0.15 * sr) && a + k < out.audio.size(); ++k) {
        const double s = static_cast<double>(k) / sr;
        if (d == 0) {
          phase += 2 * M_PI * (45 + 45 * std::exp(-s / 0.03)) / sr;
          out.audio(a + k) += static_cast<float>(0.4 * std::exp(-s / 0.05) * std::sin(phase));
        } else {
          out.audio(a + k) += static_cast<float>(0.15 * std::exp(-s / 0.03)) * noise(g);
        }
      }
    }
    if (b % 4 == 0) {  // the melody: a note a bar, legato
      const int pitch = melody[(b / 4) % 6];
      notes.push_back({1.0 + 0.5 * b, 2.0, pitch, 80, "flute", notes.size()});
      out.onsets.push_back(beat[b]);
      const double f0 = 440.0 * std::pow(2.0, (pitch - 69) / 12.0), len = beat[std::min(beats, b + 4)] - beat[b];
      const Index a = static_cast<Index>(beat[b] * sr);
      for (Index k = 0; k < static_cast<Index>(len * sr) && a + k < out.audio.size(); ++k) {
        const double s = static_cast<double>(k) / sr;
        const double env = std::min({1.0, s / 0.03, (len - s) / 0.03});
        double x = 0;
        for (int m = 1; m <= 4; ++m) x += std::sin(2 * M_PI * m * f0 * s) / (m * m);
        out.audio(a + k) += static_cast<float>(0.05 * env * x);
      }
    }
  }
  out.score = Score(notes);
  add_room_noise(out.audio, seed + 1);
  return out;
}
}  // namespace

TEST(Align, DrumNotesAreRhythmNotPitches) {
  const Ensemble p = flute_and_drums(22050, 5);
  AlignOptions pitched;
  pitched.drums_as_rhythm = false;
  const Alignment a = align_score(p.audio, 22050, p.score), b = align_score(p.audio, 22050, p.score, pitched);
  const std::vector<double> e = errors_ms(p, a.aligned), f = errors_ms(p, b.aligned);
  const double beyond = static_cast<double>(std::count_if(e.begin(), e.end(), [](double x) { return x > 50; }));
  std::printf("drums as rhythm: mean %.1f ms, %.0f beyond 50 ms of %zu, max %.0f; as pitches: mean %.1f ms, max %.0f\n", mean_of(e),
              beyond, e.size(), *std::max_element(e.begin(), e.end()), mean_of(f), *std::max_element(f.begin(), f.end()));
  EXPECT_LT(mean_of(e), 25.0);
  EXPECT_LE(beyond, 0.05 * static_cast<double>(e.size()));
  // Taken as pitches (keys 36 and 38 as C2 and D2 in the chroma, their hits as those pitches'
  // rises), the same drums were placed worse (measured: mean 45 ms, one hit 0.32 s off).
  EXPECT_GT(mean_of(f), mean_of(e));
}

namespace {
// A trio in which the lead rests for 24 s: a loud melody ("trumpet", a note an event) over two
// soft accompanying parts (clarinet and bassoon, each `soft` times the lead's amplitude: at 0.1,
// 20 dB down), 80 events of 0.5 s in the score (from 1 s), the lead playing events 0-15 and
// 64-79 only. The accompaniment's pitches are drawn (seeded), so that no stretch sounds like
// another. Played with rubato: each event lasts 0.5 s +-15 %, drawn, from 0.4 s into the
// recording. While the lead rests, only the soft parts say where the performance is. The room's
// noise (white, `noise` rms) is a real recording's floor: Bach10's lies 21 dB under its music.
Ensemble resting_lead(double sr, unsigned seed, double soft, double noise) {
  constexpr int events = 80, rest_from = 16, rest_to = 63;
  std::mt19937 g(seed);
  std::uniform_real_distribution<double> swing(0.85, 1.15);
  std::uniform_int_distribution<int> low(43, 55), mid(60, 69), top(72, 81);
  std::vector<double> start(events + 1);
  start[0] = 0.4;
  // While the lead rests, the soft parts push on and then broaden (up to 35 % faster, then
  // slower): a path drawn straight across the rest would be seconds off in its middle.
  for (int e = 1; e <= events; ++e) {
    const double arch = e > rest_from && e <= rest_to + 1 ? 1 - 0.35 * std::sin(2 * M_PI * (e - rest_from) / (rest_to + 1 - rest_from)) : 1.0;
    start[e] = start[e - 1] + 0.5 * swing(g) * arch;
  }
  Ensemble out;
  out.audio = VectorXf::Zero(static_cast<Index>((start[events] + 0.5) * sr));
  std::vector<Note> notes;
  const auto play = [&](int pitch, double from, double to, double amp) {
    const double f0 = 440.0 * std::pow(2.0, (pitch - 69) / 12.0), len = to - from;
    const Index a = static_cast<Index>(from * sr);
    for (Index k = 0; k < static_cast<Index>(len * sr) && a + k < out.audio.size(); ++k) {
      const double s = static_cast<double>(k) / sr;
      const double env = std::min({1.0, s / 0.02, (len - s) / 0.02});
      double x = 0;
      for (int m = 1; m <= 6; ++m) x += std::sin(2 * M_PI * m * f0 * s) / m;
      out.audio(a + k) += static_cast<float>(amp * env * x);
    }
  };
  for (int e = 0; e < events; ++e) {
    const double at = 1.0 + 0.5 * e;
    if (e < rest_from || e > rest_to) {
      const int p = top(g);
      notes.push_back({at, 0.5, p, 100, "trumpet", notes.size()});
      out.onsets.push_back(start[e]);
      play(p, start[e], start[e + 1], 0.2);
    }
    const int pc = mid(g), pb = low(g);
    notes.push_back({at, 0.5, pc, 60, "clarinet", notes.size()});
    out.onsets.push_back(start[e]);
    play(pc, start[e], start[e + 1], 0.2 * soft);
    notes.push_back({at, 0.5, pb, 60, "bassoon", notes.size()});
    out.onsets.push_back(start[e]);
    play(pb, start[e], start[e + 1], 0.2 * soft);
  }
  out.score = Score(notes);
  std::normal_distribution<float> hiss(0, static_cast<float>(noise));
  for (Index k = 0; k < out.audio.size(); ++k) out.audio(k) += hiss(g);
  return out;
}
}  // namespace

TEST(Align, LeadRestsFor24s_TheSoftPartsCarryThePath) {
  // The lead 0.2, the accompaniment 0.01 (26 dB under it), noise 0.01 rms: the accompaniment's
  // pitch energy lies about 6 dB above the noise's, the lead's about 30 dB. The silence
  // threshold (a third of the way from the floor to the loud level) takes the accompaniment
  // alone for silence; it is a soft passage (AlignOptions::soft_passage_seconds).
  const Ensemble p = resting_lead(22050, 4, 0.05, 0.01);
  AlignOptions o;
  o.per_voice = false;  // the global path and the event refinement are under test
  AlignOptions before = o;
  before.soft_passage_seconds = 0;
  for (const AlignOptions& opt : {o, before}) {
    const Alignment a = align_score(p.audio, 22050, p.score, opt);
    ASSERT_EQ(a.aligned.size(), p.score.size());
    const std::vector<double> e = errors_ms(p, a.aligned);
    const double gross = static_cast<double>(std::count_if(e.begin(), e.end(), [](double x) { return x > 200; })) / static_cast<double>(e.size());
    const double within = static_cast<double>(std::count_if(e.begin(), e.end(), [](double x) { return x <= 50; })) / static_cast<double>(e.size());
    std::printf("%s: mean %.1f ms, within 50 ms %.1f %%, beyond 200 ms %.1f %%, max %.0f ms\n",
                opt.soft_passage_seconds > 0 ? "soft passage kept sounding" : "taken for silence", mean_of(e), 100 * within, 100 * gross,
                *std::max_element(e.begin(), e.end()));
    if (opt.soft_passage_seconds > 0) {
      EXPECT_LT(mean_of(e), 20.0);
      EXPECT_GE(within, 0.97);
      EXPECT_EQ(gross, 0.0);
    } else {
      EXPECT_GT(gross, 0.1);  // the rest taken for silence: the path runs straight across it (so this test can fail)
    }
  }
}

namespace {
// A trio (bassoon, clarinet, violin: harmonic tones, drawn pitches, seeded, so that no bar sounds
// like another) of 16 bars of 4 events (0.5 s each in the score, from 1 s), played in the order
// `bars` (a bar repeated or left out that the score writes once), each event 0.5 s +-10 %
// (drawn). `playings[i]`: every time score note i is played (none for a skipped bar's notes).
struct Restructured {
  Score score;
  VectorXf audio;
  std::vector<std::vector<double>> playings;
};

Restructured played_bars(double sr, unsigned seed, const std::vector<int>& bars) {
  constexpr int kBars = 16, kEvents = 4;
  std::mt19937 g(seed);
  std::uniform_int_distribution<int> low(43, 55), mid(58, 67), top(70, 81);
  std::uniform_real_distribution<double> swing(0.9, 1.1);
  const char* labels[3] = {"bassoon", "clarinet", "violin"};
  std::vector<Note> notes;
  for (int b = 0; b < kBars; ++b)
    for (int e = 0; e < kEvents; ++e) {
      const int pitch[3] = {low(g), mid(g), top(g)};
      for (int v = 0; v < 3; ++v) notes.push_back({1.0 + 0.5 * (b * kEvents + e), 0.5, pitch[v], 90, labels[v], notes.size()});
    }
  Restructured out;
  out.score = Score(notes);
  out.playings.assign(notes.size(), {});
  std::vector<std::pair<double, int>> events;  // (audio start, score event)
  double t = 0.4;
  for (int b : bars)
    for (int e = 0; e < kEvents; ++e) {
      events.emplace_back(t, b * kEvents + e);
      t += 0.5 * swing(g);
    }
  out.audio = VectorXf::Zero(static_cast<Index>((t + 0.5) * sr));
  for (std::size_t k = 0; k < events.size(); ++k) {
    const double from = events[k].first, to = k + 1 < events.size() ? events[k + 1].first : t;
    for (int v = 0; v < 3; ++v) {
      const std::size_t i = static_cast<std::size_t>(events[k].second * 3 + v);
      out.playings[i].push_back(from);
      const double f0 = 440.0 * std::pow(2.0, (notes[i].pitch - 69) / 12.0), len = to - from;
      const Index a = static_cast<Index>(from * sr);
      for (Index s = 0; s < static_cast<Index>(len * sr) && a + s < out.audio.size(); ++s) {
        const double u = static_cast<double>(s) / sr;
        const double env = std::min({1.0, u / 0.02, (len - u) / 0.02});
        double x = 0;
        for (int m = 1; m <= 6; ++m) x += std::sin(2 * M_PI * m * f0 * u) / m;
        out.audio(a + s) += static_cast<float>(0.05 * env * x);
      }
    }
  }
  add_room_noise(out.audio, seed + 1);
  return out;
}

// Per played note (the first `bars_before` bars' and the last `bars_after` bars' notes, which
// are played once): its onset error (ms); the notes of repeated or skipped bars are left out.
std::vector<double> played_once_errors_ms(const Restructured& p, const Score& got) {
  std::vector<double> e;
  for (std::size_t i = 0; i < p.playings.size(); ++i)
    if (p.playings[i].size() == 1) e.push_back(std::abs(got.notes()[i].onset - p.playings[i][0]) * 1000);
  return e;
}
}  // namespace

TEST(Align, RepeatedAndSkippedBars) {
  // A performance that repeats bars 7-8 (4 s) and one that leaves out bars 9-10, of a score that
  // writes each once. The notes played once (before and after) must stay on time; a repeat is
  // flagged as more audio than score, a skip as score missing from the audio. Before: the first
  // note after the skip came 0.37 s late (the path crossed the skipped score over 0.7 s, and the
  // refinement's window was held to the crossing's crowded events), and the repeat was not flagged.
  std::vector<int> repeat, skip;
  for (int b = 0; b < 16; ++b) {
    repeat.push_back(b);
    if (b == 7) for (int r = 6; r <= 7; ++r) repeat.push_back(r);  // bars 7-8 (from 1) played twice
    if (b < 8 || b > 9) skip.push_back(b);                          // bars 9-10 left out
  }
  for (const auto& [name, bars] : {std::pair{"repeat", repeat}, std::pair{"skip", skip}}) {
    const Restructured p = played_bars(22050, 5, bars);
    AlignOptions o;
    o.per_voice = false;
    const Alignment a = align_score(p.audio, 22050, p.score, o);
    const std::vector<double> e = played_once_errors_ms(p, a.aligned);
    const double gross = static_cast<double>(std::count_if(e.begin(), e.end(), [](double x) { return x > 200; })) / static_cast<double>(e.size());
    std::printf("%s: notes played once: mean %.1f ms, beyond 200 ms %.1f %%, max %.0f ms; %s\n", name, mean_of(e), 100 * gross,
                *std::max_element(e.begin(), e.end()), a.problem.c_str());
    EXPECT_LT(mean_of(e), 20.0) << name;
    EXPECT_LT(*std::max_element(e.begin(), e.end()), 100.0) << name;
    const auto flagged = [&](const std::string& what) {
      return std::count_if(a.issues.begin(), a.issues.end(), [&](const AlignIssue& is) { return is.what.find(what) != std::string::npos; });
    };
    if (std::string(name) == "repeat") {
      EXPECT_EQ(flagged("plays more than the score"), 1);
      EXPECT_EQ(flagged("missing"), 0);
      // The repeated bars' notes: each at one of its two playings.
      for (std::size_t i = 0; i < p.playings.size(); ++i) {
        if (p.playings[i].size() != 2) continue;
        const double t = a.aligned.notes()[i].onset;
        EXPECT_LT(std::min(std::abs(t - p.playings[i][0]), std::abs(t - p.playings[i][1])), 0.1) << i;
      }
    } else {
      EXPECT_EQ(flagged("missing"), 1);
      EXPECT_EQ(flagged("plays more than the score"), 0);
      // The skipped bars' notes were not played: confidence 0; the played ones' mostly clear.
      double played = 0;
      int n_played = 0;
      for (std::size_t i = 0; i < p.playings.size(); ++i) {
        if (p.playings[i].empty()) {
          EXPECT_EQ(a.confidence[i], 0.0) << i;
        } else {
          played += a.confidence[i];
          ++n_played;
        }
      }
      std::printf("skip: mean confidence of the played notes %.2f\n", played / n_played);
      EXPECT_GT(played / n_played, 0.5);
    }
  }
}

TEST(AlignFeatures, LongPauseFarUnderTheMusicStaysSilent_NotASoftPassage) {
  // A quiet recording (its floor 60 dB under the music): 1 s of floor, 2 s of a tone, a 2 s
  // pause of noise 45 dB under it (a hall's murmur, 15 dB over the floor), 2 s of the tone. The
  // pause is quiet for longer than soft_passage_seconds and clearly above the floor, but deeper
  // than twice silence_db under the music: a pause, silent.
  const double sr = 22050;
  VectorXf x = VectorXf::Zero(static_cast<Index>(7 * sr));
  std::mt19937 g(3);
  std::normal_distribution<float> noise(0, 1);
  const float floor = 0.3f * std::pow(10.0f, -60.0f / 20), murmur = 0.3f * std::pow(10.0f, -45.0f / 20);
  for (Index k = 0; k < x.size(); ++k) {
    const double t = static_cast<double>(k) / sr;
    x(k) = (t >= 3 && t < 5 ? murmur : floor) * noise(g);
    if (t < 1 || (t >= 3 && t < 5)) continue;
    double v = 0;
    for (int m = 1; m <= 6; ++m) v += std::sin(2 * M_PI * m * 330.0 * t) / m;
    x(k) += static_cast<float>(0.3 * v);
  }
  AlignOptions o;
  int pause = 0, silent = 0;
  const MatrixXf G = audio_features(x, sr, o);
  o.soft_passage_seconds = 0;
  const MatrixXf H = audio_features(x, sr, o);
  for (Index n = 0; n < G.cols(); ++n) {
    const double t = static_cast<double>(n) / 100;  // 10 ms frames
    if (t < 3.2 || t > 4.8) continue;
    ++pause;
    silent += G(feature_rows::kSilent, n) > 0.5f;
    EXPECT_GT(H(feature_rows::kSilent, n), 0.5f) << n;  // silent before soft passages too
  }
  EXPECT_EQ(silent, pause);
}
