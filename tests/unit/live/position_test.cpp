// The follower's position in bars and beats (FollowerState::bar, beat) where the score has bars.
#include <gtest/gtest.h>

#include <cmath>

#include "notewise/live/live.hpp"

namespace notewise {
namespace {

constexpr double kRate = 22050;

TEST(LivePosition, BarAndBeatFollowTheScoreTimeWhereTheScoreHasBars) {
  // Four bars of 2/4 at 120 bpm (a beat 0.5 s), a note a beat, played as written.
  std::vector<Note> notes;
  const int pitch[] = {60, 64, 67, 72};
  for (int i = 0; i < 8; ++i) notes.push_back(Note{0.5 * i, 0.45, pitch[i % 4], 100, "p", static_cast<std::size_t>(i)});
  Score score(notes);
  std::vector<Bar> bars;
  for (int b = 0; b < 4; ++b) bars.push_back(Bar{b + 1, 1.0 * b, {1.0 * b, 1.0 * b + 0.5}});
  score.set_bars(bars);
  VectorXf x = VectorXf::Zero(static_cast<Index>(4.2 * kRate));
  for (const Note& n : notes)
    for (Index i = static_cast<Index>(n.onset * kRate); i < static_cast<Index>(n.offset() * kRate); ++i) {
      const double t = static_cast<double>(i) / kRate - n.onset;
      for (int m = 1; m <= 4; ++m) x[i] += static_cast<float>(0.1 / m * std::sin(2 * M_PI * m * pitch_to_hz(n.pitch) * t));
    }
  LiveSeparator live(score, group_notes(score, label_group_specs(score)), kRate, 1);
  int checked = 0;
  for (Index at = 0; at + live.hop() <= x.size(); at += live.hop()) {
    live.push(x.segment(at, live.hop()));
    const FollowerState& st = live.follower().state();
    const BarBeat want = score.bar_beat(st.score_time);
    EXPECT_EQ(st.bar, want.bar);
    EXPECT_DOUBLE_EQ(st.beat, want.beat);
    checked += st.bar > 0;
  }
  EXPECT_GT(checked, 10);
  EXPECT_GE(live.follower().state().bar, 3);  // it got to the last bars
  // A score without bars: none.
  LiveSeparator plain(Score(notes), group_notes(Score(notes), label_group_specs(Score(notes))), kRate, 1);
  plain.push(x.head(static_cast<Index>(kRate)));
  EXPECT_EQ(plain.follower().state().bar, 0);
  EXPECT_EQ(plain.follower().state().beat, 0);
}

}  // namespace
}  // namespace notewise
