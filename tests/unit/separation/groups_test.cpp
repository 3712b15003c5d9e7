#include "notewise/separation/groups.hpp"

#include <gtest/gtest.h>

#include "notewise/core/error.hpp"

using namespace notewise;

namespace {
Score score() {
  return Score({{0.0, 1.0, 72, 100, "right", 0}, {0.5, 1.0, 60, 80, "right", 1}, {1.0, 2.0, 48, 60, "left", 2},
                {6.0, 1.0, 76, 90, "right", 3}});
}
std::vector<std::size_t> matching(const std::string& sel) {
  const auto p = parse_selection(sel);
  const Score s = score();  // kept alive: the loop below iterates over its notes
  std::vector<std::size_t> out;
  for (const Note& n : s.notes())
    if (p(n)) out.push_back(n.index);
  return out;
}
}  // namespace

TEST(Groups, Selections) {
  EXPECT_EQ(matching("label==right && pitch>=72"), (std::vector<std::size_t>{0, 3}));
  EXPECT_EQ(matching("label=='left' || start > 5"), (std::vector<std::size_t>{2, 3}));
  EXPECT_EQ(matching("!(pitch<70)"), (std::vector<std::size_t>{0, 3}));
  EXPECT_EQ(matching("duration>=2 && end<=3 && velocity<61"), (std::vector<std::size_t>{2}));
  EXPECT_EQ(matching("index != 0 && label != right"), (std::vector<std::size_t>{2}));
}

TEST(Groups, MalformedSelectionsNameThePlace) {
  for (const std::string bad : {"pitch>", "pitch>>3", "colour==red", "label<right", "(pitch>3", "pitch>3 &&", "pitch==abc", "label=='x"}) {
    try {
      parse_selection(bad);
      ADD_FAILURE() << bad;
    } catch (const InvalidArgument& e) {
      EXPECT_NE(std::string(e.what()).find("at character"), std::string::npos) << e.what();
    }
  }
}

TEST(Groups, DefaultIsOneGroupPerLabel) {
  const Grouping g = group_notes(score(), {});
  EXPECT_EQ(g.names, (std::vector<std::string>{"right", "left"}));
  EXPECT_EQ(g.notes[0], (std::vector<std::size_t>{0, 1, 3}));
}

TEST(Groups, FirstMatchWinsAndOthersTakesTheRest) {
  const Grouping g = group_notes(score(), {parse_group_spec("melody=label==right && pitch>=72"), parse_group_spec("rh=label==right"),
                                           parse_group_spec("rest=others")});
  EXPECT_EQ(g.notes[0], (std::vector<std::size_t>{0, 3}));
  EXPECT_EQ(g.notes[1], (std::vector<std::size_t>{1}));
  EXPECT_EQ(g.notes[2], (std::vector<std::size_t>{2}));
}

TEST(Groups, Errors) {
  EXPECT_THROW(group_notes(score(), {parse_group_spec("x=pitch>100")}), InvalidArgument);          // matches nothing
  EXPECT_THROW(group_notes(score(), {parse_group_spec("x=label==right")}), InvalidArgument);       // left over
  EXPECT_THROW(group_notes(score(), {parse_group_spec("x=others"), parse_group_spec("x=pitch>1")}), InvalidArgument);
  EXPECT_THROW(parse_group_spec("no-equals-sign"), InvalidArgument);
  EXPECT_THROW(parse_group_spec("../evil=pitch>1"), InvalidArgument);
}

// Issue #18: deep nesting and long chains are bounded or flat, never a stack overflow.
TEST(Groups, DeepNestingIsAClearError) {
  const std::string deep = std::string(15000, '(') + "pitch>60" + std::string(15000, ')');
  try {
    parse_selection(deep);
    ADD_FAILURE() << "accepted";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("nested more than 100 deep"), std::string::npos) << e.what();
    EXPECT_LT(std::string(e.what()).size(), 300u) << "the message quotes a shortened selection";
  }
  const std::string ok = std::string(kMaxSelectionDepth, '(') + "pitch>60" + std::string(kMaxSelectionDepth, ')');
  EXPECT_EQ(matching(ok), (std::vector<std::size_t>{0, 3}));
  EXPECT_THROW(parse_selection(std::string(kMaxSelectionLength + 1, ' ')), InvalidArgument);
}

TEST(Groups, LongChainsAndRunsOfNotAreFlat) {
  // 50,000 '!' (even: the condition itself) and && / || chains of 5,000 terms (below the length
  // limit): evaluated and destroyed without recursion.
  EXPECT_EQ(matching(std::string(50000, '!') + "pitch>60"), (std::vector<std::size_t>{0, 3}));
  EXPECT_EQ(matching(std::string(50001, '!') + "pitch>60"), (std::vector<std::size_t>{1, 2}));
  std::string chain = "pitch>0";
  for (int i = 0; i < 5000; ++i) chain += i % 2 ? " && label==right" : " && velocity>=80";
  EXPECT_EQ(matching(chain), (std::vector<std::size_t>{0, 1, 3}));
  std::string ors = "pitch==1";
  for (int i = 0; i < 5000; ++i) ors += " || pitch==" + std::to_string(100 + i % 20);
  EXPECT_TRUE(matching(ors + " || pitch==48") == (std::vector<std::size_t>{2}));
}

TEST(Groups, UnknownFieldIsNamedBeforeTheValue) {
  try {
    parse_selection("colour==red");
    ADD_FAILURE();
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("unknown field 'colour'"), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).find("not a number"), std::string::npos) << e.what();
  }
}
