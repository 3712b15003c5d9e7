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
  EXPECT_THROW(group_notes(score(), {parse_group_spec("x=others"), parse_group_spec("x=pitch>1")}), InvalidArgument);
  EXPECT_THROW(parse_group_spec("no-equals-sign"), InvalidArgument);
  EXPECT_THROW(parse_group_spec("../evil=pitch>1"), InvalidArgument);
  EXPECT_THROW(parse_group_spec("..=pitch>1"), InvalidArgument);
  EXPECT_THROW(parse_group_spec(std::string("a\nb=pitch>1")), InvalidArgument);
  EXPECT_THROW(parse_group_spec(std::string(kMaxGroupName + 1, 'x') + "=pitch>1"), InvalidArgument);
}

TEST(Groups, NotesNoGroupTakesGoToAnAutomaticRest) {
  const Grouping g = group_notes(score(), {parse_group_spec("melody=pitch>=72")});
  ASSERT_EQ(g.names, (std::vector<std::string>{"melody", "rest"}));
  EXPECT_EQ(g.automatic_rest, 1);
  EXPECT_EQ(g.notes[0], (std::vector<std::size_t>{0, 3}));
  EXPECT_EQ(g.notes[1], (std::vector<std::size_t>{1, 2}));
  // A group the user named "rest" keeps its name; the automatic one gets another.
  const Grouping h = group_notes(score(), {parse_group_spec("rest=pitch>=72")});
  EXPECT_EQ(h.names, (std::vector<std::string>{"rest", "rest 2"}));
  // With `others`, or when every note is taken, there is none.
  EXPECT_EQ(group_notes(score(), {parse_group_spec("a=pitch>=72"), parse_group_spec("b=others")}).automatic_rest, -1);
  EXPECT_EQ(group_notes(score(), {}).automatic_rest, -1);
}

TEST(Groups, LabelsKeepTheirCharacters) {
  const Score s({{0.0, 1.0, 72, 100, "lh:", 0}, {0.5, 1.0, 60, 80, "Piano #2", 1}, {1.0, 2.0, 48, 60, "it's", 2},
                 {2.0, 1.0, 50, 60, "a/b", 3}, {3.0, 1.0, 52, 60, "a_b", 4}, {4.0, 1.0, 53, 60, "", 5},
                 {5.0, 1.0, 54, 60, "PIANO #2", 6}});
  const Grouping g = group_notes(s, {});
  EXPECT_EQ(g.names, (std::vector<std::string>{"lh:", "Piano #2", "it's", "a/b", "a_b", "unlabelled", "PIANO #2"}));
  // File stems: as written where a file system allows; '/' replaced; distinct regardless of case.
  EXPECT_EQ(g.files, (std::vector<std::string>{"lh:", "Piano #2", "it's", "a_b", "a_b 2", "unlabelled", "PIANO #2 2"}));
  for (std::size_t k = 0; k < g.names.size(); ++k) EXPECT_EQ(g.notes[k], (std::vector<std::size_t>{k})) << g.names[k];
  // A label written bare in a selection, as it is.
  EXPECT_EQ(matching("label==right&&pitch>=72"), (std::vector<std::size_t>{0, 3}));
  const auto p = parse_selection("label==lh: || label=='Piano #2'");
  EXPECT_TRUE(p(s.notes()[0]));
  EXPECT_TRUE(p(s.notes()[1]));
  EXPECT_FALSE(p(s.notes()[2]));
}

// Issue #40 (found by fuzzing): a long label of bytes that are all UTF-8 continuation bytes (not
// UTF-8, e.g. a MIDI track name in another encoding) was cut back to nothing, an empty file stem.
TEST(Groups, LongLabelOfContinuationBytesKeepsAStem) {
  const std::string odd(2 * kMaxGroupName, '\x89');
  const std::string utf8 = std::string(kMaxGroupName - 1, 'a') + "\xc3\xa9";  // 'e' with an accent across the cut
  const std::vector<std::string> stems = file_stems({odd, odd + "x", utf8});
  EXPECT_GE(stems[0].size(), kMaxGroupName - 3);
  EXPECT_LE(stems[0].size(), kMaxGroupName);
  EXPECT_NE(stems[0], stems[1]);
  EXPECT_EQ(stems[2], std::string(kMaxGroupName - 1, 'a'));  // not inside the two-byte character
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
