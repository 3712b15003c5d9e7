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
