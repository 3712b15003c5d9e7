#include "notewise/separation/pitch_edit.hpp"

#include <gtest/gtest.h>

#include "notewise/core/error.hpp"
#include "pitch_signals.hpp"

using namespace notewise;

TEST(PitchShift, OctaveUpMovesEveryPartialAndKeepsLength) {
  const int rate = 22050;
  Note n;
  n.onset = 0.1;
  n.duration = 1.5;
  n.pitch = 57;  // 220 Hz
  MatrixXf x(static_cast<Index>(2.0 * rate), 2);
  x.col(0) = test::piano_like({n}, 2.0, rate);
  x.col(1) = 0.5f * x.col(0);
  const MatrixXf y = pitch_shift(x, rate, 12);
  ASSERT_EQ(y.rows(), x.rows());
  ASSERT_EQ(y.cols(), 2);
  EXPECT_TRUE(y.allFinite());
  const VectorXf seg = y.col(0).segment(static_cast<Index>(0.4 * rate), static_cast<Index>(0.8 * rate));
  for (int m : {1, 2, 3}) {
    const double f = test::peak_between(seg, 220.0 * m * 1.7, 220.0 * m * 2.3, rate);
    EXPECT_NEAR(test::cents(f, 440.0 * m), 0.0, 10.0) << "partial " << m;
  }
  // The channels keep their level ratio (processed together).
  EXPECT_NEAR(y.col(1).norm() / y.col(0).norm(), 0.5, 0.02);
  EXPECT_EQ(pitch_shift(x, rate, 0), x);
  EXPECT_THROW(pitch_shift(x, rate, 30), InvalidArgument);
}

TEST(PitchEdit, OnlyTheSelectedNoteMovesAndTheRestIsUntouched) {
  const int rate = 22050;
  std::vector<Note> notes(4);
  const double on[] = {0.0, 2.0, 2.0, 4.5};
  const int pitch[] = {60, 64, 72, 67};
  for (std::size_t i = 0; i < 4; ++i) {
    notes[i].onset = on[i];
    notes[i].duration = 1.0;
    notes[i].pitch = pitch[i];
    notes[i].label = "piano";
  }
  const Score score(notes);
  const VectorXf x = test::piano_like(notes, 6.5, rate);
  const PitchEdit e = transpose_notes(x, rate, x, rate, score, {{"pitch==64", 1.0}}, SeparationOptions::tuned());
  ASSERT_EQ(e.audio.rows(), x.size());
  ASSERT_EQ(e.regions.size(), 1u);
  ASSERT_EQ(e.regions[0].size(), 1u);
  const auto [s, end] = e.regions[0][0];
  for (Index i = 0; i < x.size(); ++i)
    if (i < s || i >= end) {
      ASSERT_EQ(e.audio(i, 0), x[i]) << i;  // exactly the input
    }
  const VectorXf seg = e.audio.col(0).segment(static_cast<Index>(2.1 * rate), static_cast<Index>(0.8 * rate));
  const double f64 = pitch_to_hz(64), f65 = pitch_to_hz(65);
  // Partials 1, 2 and 4 (the third of E4 would be beside the second of C5, which stays).
  for (int m : {1, 2, 4}) {
    const double f = test::peak_between(seg, m * f64 * 0.98, m * f65 * 1.02, rate);
    std::printf("partial %d: peak %.2f Hz (%+.1f cents from F4's), left at E4's: %.1f dB\n", m, f, test::cents(f, m * f65),
                20 * std::log10(test::magnitude_at(seg, m * f64, rate) / test::magnitude_at(seg, m * f65, rate)));
    EXPECT_NEAR(test::cents(f, m * f65), 0.0, 10.0) << "partial " << m;
    EXPECT_LT(test::magnitude_at(seg, m * f64, rate), 0.1 * test::magnitude_at(seg, m * f65, rate)) << m;
  }
  // The C5 sounding with it keeps its fundamental (within 1 dB).
  const VectorXf orig = x.segment(static_cast<Index>(2.1 * rate), static_cast<Index>(0.8 * rate));
  EXPECT_NEAR(20 * std::log10(test::magnitude_at(seg, pitch_to_hz(72), rate) / test::magnitude_at(orig, pitch_to_hz(72), rate)), 0.0, 1.0);
  EXPECT_THROW(transpose_notes(x, rate, x, rate, score, {{"pitch==99", 1.0}}, SeparationOptions::tuned()), InvalidArgument);
  EXPECT_THROW(transpose_notes(x, rate, x, rate, score, {{"pitch==64", 25.0}}, SeparationOptions::tuned()), InvalidArgument);
}

// edit's "SELECTION=+N" (the program's --transpose and --shift-time, as the library reads it).
TEST(PitchEdit, ParseTransposition) {
  Transposition t = parse_transposition("pitch==64 && start>10=+1");
  EXPECT_EQ(t.selection, "pitch==64 && start>10");
  EXPECT_EQ(t.semitones, 1.0);
  EXPECT_EQ(t.seconds, 0.0);
  t = parse_transposition("pitch==67=-0.25", true);
  EXPECT_EQ(t.seconds, -0.25);
  EXPECT_EQ(t.semitones, 0.0);
  for (const char* bad : {"pitch==64", "=1", "pitch==64=x", "pitch==64=25", "pitch=<64=1", "nosuchfield==1=1"})
    EXPECT_THROW(parse_transposition(bad), InvalidArgument) << bad;
  EXPECT_THROW(parse_transposition("pitch==64=61", true), InvalidArgument);
}
