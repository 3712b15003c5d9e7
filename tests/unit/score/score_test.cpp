#include "notewise/score/score.hpp"

#include <gtest/gtest.h>

#include "notewise/core/error.hpp"

using namespace notewise;

namespace {
Score three() {
  return Score({{0.0, 1.0, 60, 100, "right", 0}, {0.5, 2.0, 48, 80, "left", 1}, {2.0, 1.0, 64, 90, "right", 2}});
}
}  // namespace

TEST(Score, Basics) {
  const Score s = three();
  EXPECT_DOUBLE_EQ(s.end(), 3.0);
  EXPECT_EQ(s.labels(), (std::vector<std::string>{"right", "left"}));
  EXPECT_EQ(s.pitches(), (std::vector<int>{48, 60, 64}));
  EXPECT_NEAR(pitch_to_hz(69), 440.0, 1e-12);
  EXPECT_NEAR(pitch_to_hz(57), 220.0, 1e-12);
}

TEST(Score, SelectKeepsIndices) {
  const Score r = three().select([](const Note& n) { return n.label == "right"; });
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r.notes()[1].index, 2u);
}

TEST(Score, WarpShiftsAndScales) {
  const Score w = three().warped(1.0 / 0.95, 0.8);  // 95 % tempo, starts 0.8 s late
  EXPECT_NEAR(w.notes()[1].onset, 0.5 / 0.95 + 0.8, 1e-12);
  EXPECT_NEAR(w.notes()[1].duration, 2.0 / 0.95, 1e-12);
  EXPECT_THROW(three().warped(0, 0), InvalidArgument);
}

TEST(Score, CutAtShortensAndDrops) {
  Score s = three();
  EXPECT_EQ(s.cut_at(2.0), 2u);  // note 1 shortened, note 2 dropped
  ASSERT_EQ(s.size(), 2u);
  EXPECT_DOUBLE_EQ(s.notes()[1].offset(), 2.0);
}

TEST(Score, MergeSortsAndRenumbers) {
  const Score m = Score::merge(three().select([](const Note& n) { return n.pitch != 48; }),
                               three().select([](const Note& n) { return n.pitch == 48; }));
  ASSERT_EQ(m.size(), 3u);
  EXPECT_EQ(m.notes()[1].pitch, 48);
  EXPECT_EQ(m.notes()[2].index, 2u);
}

// Bars: the position in bars and beats, kept through warped/select/cut_at, checked when set.
TEST(Score, BarBeatThroughTheScoresOperations) {
  Score s({Note{0, 4, 60, 100, "a", 0}});
  EXPECT_EQ(s.bar_beat(1.0).bar, 0);  // no bars
  s.set_bars({Bar{1, 0, {0, 0.5, 1.0, 1.5}}, Bar{2, 2, {2, 3}}});
  EXPECT_EQ(s.bar_beat(-0.1).bar, 0);
  EXPECT_EQ(s.bar_beat(0.75).bar, 1);
  EXPECT_NEAR(s.bar_beat(0.75).beat, 2.5, 1e-12);
  EXPECT_NEAR(s.bar_beat(1.9).beat, 4.8, 1e-9);  // the last beat of a bar ends at the next bar
  EXPECT_EQ(s.bar_beat(3.5).bar, 2);
  EXPECT_NEAR(s.bar_beat(3.5).beat, 2.5, 1e-9);  // the last bar's last beat: as long as the one before
  EXPECT_LT(s.bar_beat(10).beat, 3.0);           // and no further than its end
  const Score w = s.warped(2.0, 1.0);
  EXPECT_NEAR(w.bars()[1].start, 5.0, 1e-12);
  EXPECT_NEAR(w.bar_beat(2.5).beat, 2.5, 1e-12);
  EXPECT_EQ(s.select([](const Note&) { return true; }).bars().size(), 2u);
  Score c = s;
  c.cut_at(2.0);
  EXPECT_EQ(c.bars().size(), 1u);
  EXPECT_THROW(s.set_bars({Bar{1, 0, {}}}), InvalidArgument);
  EXPECT_THROW(s.set_bars({Bar{1, 0, {0, 0}}}), InvalidArgument);
  EXPECT_THROW(s.set_bars({Bar{1, 0, {0, 1}}, Bar{2, 0.5, {0.5}}}), InvalidArgument);
  EXPECT_THROW(s.set_bars({Bar{1, 0, {0.1}}}), InvalidArgument);
}
