#include "notewise/score/constraints.hpp"

#include <gtest/gtest.h>

#include "notewise/core/error.hpp"

using namespace notewise;

namespace {
Geometry geometry(Index frames = 200) { return Geometry::of(StftOptions{2048, 512}, 22050, frames); }
Score two_notes() { return Score({{1.0, 0.5, 69, 127, "right", 0}, {2.0, 1.0, 45, 64, "left", 1}}); }
}  // namespace

TEST(Constraints, KnownAnswer_TemplateBandsLikeLibfmp) {
  // A4 = 440 Hz, bins of 10.77 Hz: partial m covers floor(0.95 m 440/df) .. floor(1.05 m 440/df).
  const Geometry g = geometry();
  const VectorXf t = harmonic_template(69, g, ConstraintOptions{});
  for (int m = 1; m <= 5; ++m) {
    const Index a = static_cast<Index>(0.95 * m * 440 / g.bin_hz()), b = static_cast<Index>(1.05 * m * 440 / g.bin_hz());
    for (Index k = a; k <= b; ++k) EXPECT_FLOAT_EQ(t[k], 1.0f / m) << "partial " << m << " bin " << k;
    EXPECT_EQ(t[a - 1], 0.0f);
  }
  EXPECT_EQ(t.head(static_cast<Index>(0.95 * 440 / g.bin_hz())).maxCoeff(), 0.0f);  // nothing below f0
  EXPECT_GT(t.tail(20).maxCoeff(), 0.0f);  // partials up to Nyquist
}

TEST(Constraints, TemplateOptions) {
  const Geometry g = geometry();
  ConstraintOptions o;
  o.partials = 3;
  o.partial_power = 2;
  const VectorXf t = harmonic_template(69, g, o);
  EXPECT_FLOAT_EQ(t[static_cast<Index>(3 * 440 / g.bin_hz())], 1.0f / 9);
  EXPECT_EQ(t.tail(g.bins() - static_cast<Index>(3.3 * 440 / g.bin_hz())).maxCoeff(), 0.0f);
  o.inharmonicity = 1e-3;  // partial 10 lies at 10 f0 sqrt(1.1): about 4.9 % sharp
  o.partials = 0;
  o.tolerance_cents = 20;
  const VectorXf ti = harmonic_template(69, g, o);
  EXPECT_GT(ti[static_cast<Index>(std::round(4400 * std::sqrt(1.1) / g.bin_hz()))], 0.0f);
  EXPECT_EQ(ti[static_cast<Index>(std::round(4400 / g.bin_hz()))], 0.0f);
}

TEST(Constraints, ActivationAndOnsetWindows) {
  const Geometry g = geometry();
  const ScoreConstraints c = build_constraints(two_notes(), g, ConstraintOptions{});
  ASSERT_EQ(c.layout.pitches, (std::vector<int>{45, 69}));
  ASSERT_EQ(c.W0.cols(), 4);  // 2 pitch + 2 onset templates
  const Index row = c.layout.pitch_row(69), orow = c.layout.onset_row(69);
  EXPECT_EQ(row, 1);
  EXPECT_EQ(orow, 3);
  // Pitch row of A4: frames floor((1.0-0.2)/dt) .. floor((1.5+0.5)/dt) inclusive.
  const Index a = g.frame_of(0.8), b = g.frame_of(2.0);
  for (Index n = 0; n < g.frames; ++n) EXPECT_EQ(c.H0(row, n) > 0, n >= a && n <= b) << n;
  const Index oa = g.frame_of(0.7), ob = g.frame_of(1.1);
  for (Index n = 0; n < g.frames; ++n) EXPECT_EQ(c.H0(orow, n) > 0, n >= oa && n <= ob) << n;
  EXPECT_EQ(c.W0.col(orow).minCoeff(), 1.0f);  // onset templates: flat
  EXPECT_EQ(c.windows[0].begin, a);
  EXPECT_EQ(c.windows[0].end, b + 1);
}

TEST(Constraints, VelocityStartAndNoOnsets) {
  ConstraintOptions o;
  o.velocity_start = true;
  o.onset_templates = false;
  const ScoreConstraints c = build_constraints(two_notes(), geometry(), o);
  EXPECT_EQ(c.W0.cols(), 2);
  EXPECT_FLOAT_EQ(c.H0.row(0).maxCoeff(), 64.0f / 127);
  EXPECT_FLOAT_EQ(c.H0.row(1).maxCoeff(), 1.0f);
}

TEST(Constraints, ScoreBeyondTheFramesIsClamped) {
  const ScoreConstraints c = build_constraints(Score({{100.0, 1.0, 60, 100, "x", 0}}), geometry(50), ConstraintOptions{});
  EXPECT_EQ(c.H0.maxCoeff(), 0.0f);
  EXPECT_EQ(c.windows[0].begin, c.windows[0].end);
}

TEST(Constraints, EmptyScoreAndInvalidOptions) {
  EXPECT_THROW(build_constraints(Score(), geometry(), ConstraintOptions{}), InvalidArgument);
  ConstraintOptions o;
  o.tolerance = 0.7;
  EXPECT_THROW(build_constraints(two_notes(), geometry(), o), InvalidArgument);
  o = ConstraintOptions{};
  o.after = -1;
  EXPECT_THROW(build_constraints(two_notes(), geometry(), o), InvalidArgument);
}

TEST(Constraints, PerSourceTemplatesBandsAndOnsets) {
  // Two sources play A4; only the struck one has an onset row; the sustained one has a
  // +-50-cent band capped at 2 partials.
  const Score s({{1.0, 0.5, 69, 100, "violin", 0}, {2.0, 0.5, 69, 100, "piano", 1}, {2.5, 0.5, 57, 100, "piano", 2}});
  ConstraintOptions o;
  SourceModel bowed{"violin", {"violin"}, Family::Strings, false, 50, 2};
  SourceModel struck{"piano", {"piano"}, Family::Piano, true, 0, 0};
  o.sources = {bowed, struck};
  const Geometry g = geometry();
  const ScoreConstraints c = build_constraints(s, g, o);
  ASSERT_EQ(c.layout.pitches, (std::vector<int>{69, 57, 69}));  // violin's A4, then the piano's A3, A4
  ASSERT_EQ(c.layout.pitch_rows(), 3);
  EXPECT_EQ(c.layout.rows(), 5);  // + the piano's two onset rows
  EXPECT_EQ(c.layout.pitch_row(69, 0), 0);
  EXPECT_EQ(c.layout.pitch_row(69, 1), 2);
  EXPECT_EQ(c.layout.pitch_row(57, 0), -1);
  EXPECT_EQ(c.layout.onset_row(69, 0), -1);
  EXPECT_EQ(c.layout.onset_row(57, 1), 3);
  EXPECT_EQ(c.layout.onset_row(69, 1), 4);
  EXPECT_EQ(c.layout.base_row(4), 2);
  EXPECT_EQ(c.layout.source_of_row(4), 1);
  EXPECT_EQ(c.layout.source_name(1), "piano");
  // Each note lands in its own source's rows.
  EXPECT_EQ(c.windows[0].row, 0);
  EXPECT_EQ(c.windows[0].onset_row, -1);
  EXPECT_EQ(c.windows[1].row, 2);
  EXPECT_EQ(c.windows[1].onset_row, 4);
  for (Index n = 0; n < g.frames; ++n) EXPECT_EQ(c.H0(0, n) > 0, n >= c.windows[0].begin && n < c.windows[0].end) << n;
  // Bands: violin +-50 cents around 440 and 880 Hz only; piano +-5 % and every partial.
  const auto nonzero_bins = [&](Index col, double lo_hz, double hi_hz) {
    Index count = 0;
    for (Index k = 0; k < g.bins(); ++k)
      if (c.W0(k, col) > 0 && k * g.bin_hz() >= lo_hz && k * g.bin_hz() <= hi_hz) ++count;
    return count;
  };
  EXPECT_EQ(nonzero_bins(0, 1200, 11025), 0);    // no third partial
  EXPECT_GT(nonzero_bins(2, 1200, 11025), 0);
  EXPECT_EQ(nonzero_bins(0, 880 * 1.035, 880 * 1.05), 0);  // 50 cents = +2.9 %: nothing at +3.5..5 %
  EXPECT_GT(nonzero_bins(2, 880 * 1.035, 880 * 1.05), 0);
  EXPECT_EQ(c.W0.col(4).minCoeff(), 1.0f);
  // Global --no-onsets wins over a source's onsets; a label outside every source is an error.
  o.onset_templates = false;
  EXPECT_EQ(build_constraints(s, g, o).layout.rows(), 3);
  o.sources.pop_back();
  EXPECT_THROW(build_constraints(s, g, o), InvalidArgument);
}
