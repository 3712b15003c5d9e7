#include "notewise/separation/separate.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <numbers>

#include "notewise/core/error.hpp"
#include "notewise/eval/bss_eval.hpp"

using namespace notewise;

namespace {
constexpr double kRate = 22050;

// A decaying harmonic tone (4 partials, weights 1/m) from t0 to t1 seconds.
VectorXf tone(int pitch, double t0, double t1, Index length) {
  VectorXf x = VectorXf::Zero(length);
  const double f0 = pitch_to_hz(pitch);
  for (Index i = static_cast<Index>(t0 * kRate); i < std::min(length, static_cast<Index>(t1 * kRate)); ++i) {
    const double t = i / kRate - t0;
    double v = 0;
    for (int m = 1; m <= 4; ++m) v += std::sin(2 * std::numbers::pi * m * f0 * t) / m;
    x[i] = static_cast<float>(0.2 * v * std::exp(-t / 0.8) * std::min(1.0, t / 0.01));
  }
  return x;
}

SeparationOptions fast_options() {
  SeparationOptions o = SeparationOptions::tuned();
  o.decompose.nmf.max_iterations = 50;
  return o;
}
}  // namespace

TEST(Separate, TwoOverlappingTonesSeparateAbove20dB) {
  const Index n = static_cast<Index>(3.0 * kRate);
  const VectorXf a = tone(60, 0.2, 2.2, n), b = tone(66, 0.8, 2.8, n);
  const VectorXf mix = a + b;
  const Score score({{0.2, 2.0, 60, 100, "low", 0}, {0.8, 2.0, 66, 100, "high", 1}});
  const Separation s = separate(mix, kRate, mix, kRate, score, group_notes(score, {}), fast_options());
  ASSERT_EQ(s.stems.size(), 2u);
  MatrixXd R(2, n), E(2, n);
  R.row(0) = a.cast<double>().transpose();
  R.row(1) = b.cast<double>().transpose();
  E.row(0) = s.stems[0].col(0).cast<double>().transpose();
  E.row(1) = s.stems[1].col(0).cast<double>().transpose();
  const BssScores q = bss_eval_sources(R, E);
  EXPECT_GE(q.sdr[0], 20.0);
  EXPECT_GE(q.sdr[1], 20.0);
}

TEST(Separate, Property_StemsSumToTheMix_MonoAndStereoAtAnotherRate) {
  const Index n = static_cast<Index>(2.0 * kRate);
  const VectorXf mono = tone(60, 0.1, 1.5, n) + tone(67, 0.5, 1.9, n);
  const Score score({{0.1, 1.4, 60, 100, "l", 0}, {0.5, 1.4, 67, 100, "r", 1}});
  const Separation s = separate(mono, kRate, mono, kRate, score, group_notes(score, {}), fast_options());
  EXPECT_LE((s.stems[0] + s.stems[1] - mono).cwiseAbs().maxCoeff(), 1e-4f);
  // Stereo at 44.1 kHz (left and right differ); analysis at 22.05 kHz.
  const Index n2 = 2 * n;
  MatrixXf stereo(n2, 2);
  for (Index i = 0; i < n2; ++i) {
    stereo(i, 0) = 0.3f * std::sin(0.02f * i) * std::exp(-i / 40000.0f);
    stereo(i, 1) = 0.2f * std::sin(0.037f * i);
  }
  const Separation t = separate(mono, kRate, stereo, 2 * kRate, score, group_notes(score, {}), fast_options());
  ASSERT_EQ(t.stems[0].rows(), n2);
  ASSERT_EQ(t.stems[0].cols(), 2);
  EXPECT_LE((t.stems[0] + t.stems[1] - stereo).cwiseAbs().maxCoeff(), 1e-4f);
}

TEST(Separate, Property_MasksSumToOneEvenWhereUnexplained) {
  MatrixXf a = MatrixXf::Random(30, 20).cwiseAbs(), b = MatrixXf::Random(30, 20).cwiseAbs();
  a.col(3).setZero();
  b.col(3).setZero();  // a frame nobody explains
  for (double alpha : {1.0, 2.0, 0.5}) {
    const auto m = soft_masks({a, b}, alpha);
    EXPECT_LE(((m[0] + m[1]).array() - 1.0f).abs().maxCoeff(), 1e-6f);
    EXPECT_NEAR(m[0](5, 3), 0.5f, 1e-6f);  // split evenly, not all to one group
  }
  EXPECT_THROW(soft_masks({a, b}, 0.0), InvalidArgument);
  EXPECT_THROW(soft_masks({a, MatrixXf::Zero(3, 3)}, 2.0), InvalidArgument);
}

TEST(Separate, SilenceGivesSilentStems) {
  const VectorXf silent = VectorXf::Zero(static_cast<Index>(kRate));
  const Score score({{0.1, 0.5, 60, 100, "l", 0}, {0.2, 0.5, 67, 100, "r", 1}});
  const Separation s = separate(silent, kRate, silent, kRate, score, group_notes(score, {}), fast_options());
  for (const auto& stem : s.stems) {
    EXPECT_TRUE(stem.allFinite());
    EXPECT_EQ(stem.cwiseAbs().maxCoeff(), 0.0f);
  }
}

TEST(Separate, MapMaskKeepsValuesOnTheSameGrid) {
  Geometry g;
  g.frames = 10;
  const MatrixXf m = MatrixXf::Random(g.bins(), 10).cwiseAbs();
  EXPECT_EQ(map_mask(m, g, g), m);
  Geometry twice = g;  // double rate, double n_fft and hop: the same bins and frames in Hz and s
  twice.sample_rate *= 2;
  twice.n_fft *= 2;
  twice.hop *= 2;
  const MatrixXf up = map_mask(m, g, twice);
  EXPECT_EQ(up.rows(), twice.bins());
  EXPECT_LE((up.topRows(g.bins()) - m).cwiseAbs().maxCoeff(), 1e-6f);
  // Above the analysis Nyquist every bin takes the top analysis bin's value.
  for (Index k = g.bins(); k < twice.bins(); ++k) EXPECT_EQ(up.row(k), m.row(g.bins() - 1));
}

namespace {
// A steady tone with the given partial weights (a spectral envelope), 20 ms fades.
VectorXf timbre_tone(int pitch, double t0, double t1, const std::vector<double>& weights, Index length) {
  VectorXf x = VectorXf::Zero(length);
  const double f0 = pitch_to_hz(pitch);
  for (Index i = static_cast<Index>(t0 * kRate); i < std::min(length, static_cast<Index>(t1 * kRate)); ++i) {
    const double t = i / kRate - t0, fade = std::min({1.0, t / 0.02, (t1 - t0 - t) / 0.02});
    double v = 0;
    for (std::size_t m = 0; m < weights.size(); ++m) v += weights[m] * std::sin(2 * std::numbers::pi * (m + 1) * f0 * t);
    x[i] = static_cast<float>(0.1 * v * fade);
  }
  return x;
}

double mean_sdr(const Separation& s, const VectorXf& a, const VectorXf& b) {
  MatrixXd R(2, a.size()), E(2, a.size());
  R.row(0) = a.cast<double>().transpose();
  R.row(1) = b.cast<double>().transpose();
  E.row(0) = s.stems[0].col(0).cast<double>().transpose();
  E.row(1) = s.stems[1].col(0).cast<double>().transpose();
  const BssScores q = bss_eval_sources(R, E);
  return (q.sdr[0] + q.sdr[1]) / 2;
}
}  // namespace

// Two instruments of different timbre play the same pitches: alone, then an octave apart at
// once, where every partial of the upper note falls on one of the lower note's. A template per
// pitch shared by both learns a mixture of the two timbres and splits those partials wrongly;
// a template per instrument learns each timbre from its solo notes.
TEST(Separate, PerLabelTimbreSeparatesSamePitchesOfTwoInstruments) {
  const Index n = static_cast<Index>(8.0 * kRate);
  const std::vector<double> hollow = {1, 0, 0.5, 0, 0.35, 0, 0.25, 0};         // odd partials (clarinet-like)
  const std::vector<double> bright = {0.5, 1, 0.8, 0.7, 0.6, 0.5, 0.45, 0.4};  // every partial, strong upper ones
  struct Part { double t0, t1; int pitch; bool first; };
  const std::vector<Part> parts = {{0.1, 1.0, 48, true},  {1.1, 2.0, 48, false}, {2.1, 3.0, 60, true},
                                   {3.1, 4.0, 60, false}, {4.1, 5.9, 48, true},  {4.1, 5.9, 60, false},
                                   {6.0, 7.9, 48, false}, {6.0, 7.9, 60, true}};
  VectorXf a = VectorXf::Zero(n), b = VectorXf::Zero(n);
  std::vector<Note> notes;
  for (const Part& p : parts) {
    (p.first ? a : b) += timbre_tone(p.pitch, p.t0, p.t1, p.first ? hollow : bright, n);
    notes.push_back({p.t0, p.t1 - p.t0, p.pitch, 100, p.first ? "hollow" : "bright", notes.size()});
  }
  const VectorXf mix = a + b;
  const Score score(notes);
  const std::map<std::string, Family> given = {{"hollow", Family::Woodwind}, {"bright", Family::Strings}};
  // Groups in label order of first appearance: hollow, then bright.
  const Grouping groups = group_notes(score, {});
  ASSERT_EQ(groups.names, (std::vector<std::string>{"hollow", "bright"}));
  SeparationOptions o = fast_options();
  o.alpha = 1;
  o.decompose.constraints.sources = plan_timbre(score, Timbre::PerLabel, given).sources;
  const double per_label = mean_sdr(separate(mix, kRate, mix, kRate, score, groups, o), a, b);
  o.decompose.constraints.sources = plan_timbre(score, Timbre::Shared, given).sources;
  const double shared = mean_sdr(separate(mix, kRate, mix, kRate, score, groups, o), a, b);
  RecordProperty("sdr_per_label", std::to_string(per_label));
  RecordProperty("sdr_shared", std::to_string(shared));
  EXPECT_GE(per_label, 12.0) << "shared " << shared;
  EXPECT_LE(shared, per_label - 4.0) << "per-label " << per_label;
}

namespace {
// The whole-signal resynthesis (what separate did before it went block by block): masks of
// the whole piece mapped to the input grid, each channel's whole STFT, masked, inverted.
std::vector<MatrixXf> whole_signal_stems(const Separation& s, const MatrixXf& native, double native_rate,
                                         const SeparationOptions& o) {
  const Geometry& g = s.decomposition.geometry;
  const StftOptions ns = native_stft(o.stft, g.sample_rate, native_rate);
  const Geometry gn = Geometry::of(ns, native_rate, ns.frames(native.rows()));
  std::vector<MatrixXf> stems(s.masks.size(), MatrixXf(native.rows(), native.cols()));
  for (std::size_t k = 0; k < s.masks.size(); ++k) {
    const MatrixXf m = map_mask(s.masks[k], g, gn);
    for (Index c = 0; c < native.cols(); ++c)
      stems[k].col(c) = istft((stft(native.col(c), ns).array() * m.array().cast<std::complex<float>>()).matrix(), ns,
                              native.rows());
  }
  return stems;
}
}  // namespace

TEST(Separate, BlockResynthesisEqualsTheWholeSignalPath_AnyBlockSize) {
  const Index n = static_cast<Index>(2.5 * kRate);
  const VectorXf mono = tone(60, 0.1, 1.5, n) + tone(67, 0.5, 2.3, n);
  const Score score({{0.1, 1.4, 60, 100, "l", 0}, {0.5, 1.8, 67, 100, "r", 1}});
  SeparationOptions o = fast_options();
  o.decompose.nmf.max_iterations = 10;
  for (const double alpha : {1.0, 2.0}) {
    o.alpha = alpha;
    // Same rate (the mask grid is the analysis grid) and 44.1 kHz stereo (masks interpolated).
    const Separation s = model_groups(mono, kRate, score, group_notes(score, {}), o);
    MatrixXf stereo(2 * n, 2);
    for (Index i = 0; i < 2 * n; ++i) {
      stereo(i, 0) = mono[i / 2] * 0.7f;
      stereo(i, 1) = 0.2f * std::sin(0.037f * i) + mono[i / 2] * 0.3f;
    }
    for (const auto& [native, rate] : {std::pair<MatrixXf, double>{mono, kRate}, {stereo, 2 * kRate}}) {
      const auto ref = whole_signal_stems(s, native, rate, o);
      // Blocks of 1 frame, of a few frames (not dividing the count), and one block for all.
      for (const Index block : {Index{1}, Index{7}, Index{100000}}) {
        const auto got = resynthesise(s.decomposition, s.groups, alpha, native, rate, {}, block);
        ASSERT_EQ(got.size(), ref.size());
        for (std::size_t k = 0; k < got.size(); ++k) {
          ASSERT_EQ(got[k].rows(), native.rows());
          ASSERT_EQ(got[k].cols(), native.cols());
          // Float rounding only: the sums run in another order (peak |stem| ~ 0.5).
          EXPECT_LE((got[k] - ref[k]).cwiseAbs().maxCoeff(), 2e-6f) << "alpha " << alpha << " rate " << rate << " block " << block;
        }
      }
    }
  }
}

TEST(Separate, StreamingResynthesisEqualsTheMatrixForm_SourceAndSinkInBlocks) {
  const Index n = static_cast<Index>(2.0 * kRate);
  const VectorXf mono = tone(60, 0.1, 1.2, n) + tone(67, 0.4, 1.9, n);
  const Score score({{0.1, 1.1, 60, 100, "l", 0}, {0.4, 1.5, 67, 100, "r", 1}});
  SeparationOptions o = fast_options();
  o.decompose.nmf.max_iterations = 10;
  o.alpha = 2;
  const Separation s = model_groups(mono, kRate, score, group_notes(score, {}), o);
  // V is formed from chunks of the STFT: the same values as the whole transform's magnitude.
  EXPECT_EQ((s.V - stft(mono, o.stft).cwiseAbs()).cwiseAbs().maxCoeff(), 0.0f);
  MatrixXf stereo(2 * n, 2);
  for (Index i = 0; i < 2 * n; ++i) {
    stereo(i, 0) = mono[i / 2] * 0.6f;
    stereo(i, 1) = 0.1f * std::sin(0.05f * i) + mono[i / 2] * 0.4f;
  }
  for (const auto& [native, rate] : {std::pair<MatrixXf, double>{mono, kRate}, {stereo, 2 * kRate}}) {
    const auto ref = whole_signal_stems(s, native, rate, o);
    for (const Index block : {Index{1}, Index{7}, Index{100000}}) {
      std::vector<MatrixXf> got(s.groups.names.size(), MatrixXf::Constant(native.rows(), native.cols(), -9.0f));
      std::vector<Index> filled(got.size(), 0);
      Index reads = 0, read_max = 0;
      resynthesise(
          s.decomposition, s.groups, 2.0, native.rows(), static_cast<int>(native.cols()), rate,
          [&](Index start, Eigen::Ref<MatrixXf> out) {
            ASSERT_GE(start, 0);
            ASSERT_LE(start + out.rows(), native.rows());
            ++reads;
            read_max = std::max(read_max, out.rows());
            out = native.middleRows(start, out.rows());
          },
          [&](std::size_t k, const Eigen::Ref<const MatrixXf>& part) {
            ASSERT_LE(filled[k] + part.rows(), native.rows());
            got[k].middleRows(filled[k], part.rows()) = part;
            filled[k] += part.rows();
          },
          {}, block);
      const auto matrix_form = resynthesise(s.decomposition, s.groups, 2.0, native, rate, {}, block);
      for (std::size_t k = 0; k < got.size(); ++k) {
        EXPECT_EQ(filled[k], native.rows()) << "every sample handed on once";
        // The matrix form is the streaming one with a matrix source and sink: identical.
        EXPECT_EQ((got[k] - matrix_form[k]).cwiseAbs().maxCoeff(), 0.0f) << "rate " << rate << " block " << block;
        // And the whole-signal path within float rounding (peak |stem| ~ 0.5).
        EXPECT_LE((got[k] - ref[k]).cwiseAbs().maxCoeff(), 2e-6f) << "rate " << rate << " block " << block;
      }
      // Blocks read a block's span of samples, not the whole recording (unless one block).
      if (block < 100000) {
        EXPECT_GT(reads, 1);
        EXPECT_LT(read_max, native.rows() / 2);
      }
    }
  }
}

TEST(Separate, WithoutViews_NoSpectrogramOrMasksKept_SameDecomposition_CompactViewsEqual) {
  const Index n = static_cast<Index>(1.5 * kRate);
  const VectorXf mono = tone(60, 0.1, 1.2, n) + tone(64, 0.3, 1.4, n);
  const Score score({{0.1, 1.1, 60, 100, "l", 0}, {0.3, 1.1, 64, 100, "r", 1}});
  SeparationOptions o = fast_options();
  o.decompose.nmf.max_iterations = 5;
  const Separation with = model_groups(mono, kRate, score, group_notes(score, {}), o);
  o.keep_views = false;
  o.view_columns = 20;  // the compact views instead, built from the masks a chunk at a time
  const Separation without = model_groups(mono, kRate, score, group_notes(score, {}), o);
  EXPECT_EQ(without.V.size(), 0);
  EXPECT_TRUE(without.masks.empty());
  EXPECT_TRUE(with.views.empty());
  const RunViews ref = run_views(with.V, with.masks, with.decomposition.geometry, 20);
  ASSERT_EQ(without.views.columns(), 20);
  ASSERT_EQ(without.views.masks.size(), 2u);
  EXPECT_EQ(without.views.ref, with.V.maxCoeff());
  EXPECT_EQ((without.views.mix - ref.mix).cwiseAbs().maxCoeff(), 0.0f);
  for (std::size_t k = 0; k < 2; ++k) {
    EXPECT_LE((without.views.masks[k] - ref.masks[k]).cwiseAbs().maxCoeff(), 1e-6f);
    EXPECT_LE((without.views.stems[k] - ref.stems[k]).cwiseAbs().maxCoeff(), 1e-6f * ref.stems[k].maxCoeff());
  }
  ASSERT_EQ(with.masks.size(), 2u);
  EXPECT_EQ((with.decomposition.W - without.decomposition.W).cwiseAbs().maxCoeff(), 0.0f);
  EXPECT_EQ((with.decomposition.H - without.decomposition.H).cwiseAbs().maxCoeff(), 0.0f);
}

TEST(Separate, ResynthesiseRejectsBadArguments) {
  const Index n = 4000;
  const VectorXf x = tone(60, 0.0, 0.15, n);
  const Score score({{0.0, 0.15, 60, 100, "l", 0}});
  const Separation s = model_groups(x, kRate, score, group_notes(score, {}), fast_options());
  EXPECT_THROW(resynthesise(s.decomposition, s.groups, 0.0, x, kRate), InvalidArgument);
  EXPECT_THROW(resynthesise(s.decomposition, s.groups, 1.0, x, kRate, {}, 0), InvalidArgument);
  EXPECT_THROW(resynthesise(s.decomposition, s.groups, 1.0, MatrixXf(0, 1), kRate), InvalidArgument);
  EXPECT_THROW(resynthesise(s.decomposition, Grouping{}, 1.0, x, kRate), InvalidArgument);
  const SampleSource none = [](Index, Eigen::Ref<MatrixXf>) {};
  const StemSink drop = [](std::size_t, const Eigen::Ref<const MatrixXf>&) {};
  EXPECT_THROW(resynthesise(s.decomposition, s.groups, 1.0, 0, 1, kRate, none, drop), InvalidArgument);
  EXPECT_THROW(resynthesise(s.decomposition, s.groups, 1.0, n, 1, kRate, SampleSource{}, drop), InvalidArgument);
  EXPECT_THROW(resynthesise(s.decomposition, s.groups, 1.0, n, 1, kRate, none, StemSink{}), InvalidArgument);
}

TEST(Separate, GroupMasksInChunksEqualSoftMasksOfTheWholeModels) {
  const Index n = static_cast<Index>(14.0 * kRate);  // > 1024 analysis frames at hop 256: several chunks
  const VectorXf x = tone(60, 0.1, 9.0, n) + tone(64, 4.0, 13.5, n) + tone(67, 2.0, 6.0, n);
  const Score score({{0.1, 8.9, 60, 100, "a", 0}, {4.0, 9.5, 64, 100, "b", 1}, {2.0, 4.0, 67, 100, "c", 2}});
  SeparationOptions o = fast_options();
  o.stft = {1024, 256};
  o.decompose.nmf.max_iterations = 5;
  const Separation s = model_groups(x, kRate, score, group_notes(score, {}), o);
  ASSERT_GT(s.V.cols(), 1024);  // two chunks
  for (const double alpha : {1.0, 2.0, 0.7}) {
    const auto ref = soft_masks(group_models(s.decomposition, s.groups), alpha);
    const auto got = group_masks(s.decomposition, s.groups, alpha);
    ASSERT_EQ(got.size(), 3u);
    for (std::size_t k = 0; k < 3; ++k) EXPECT_LE((got[k] - ref[k]).cwiseAbs().maxCoeff(), 1e-6f) << alpha;
  }
  EXPECT_THROW(group_masks(s.decomposition, s.groups, 0.0), InvalidArgument);
}
