#include "notewise/separation/groups.hpp"

#include <gtest/gtest.h>

#include <set>

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
  // File stems: made safe (':', '/', spaces -> '_'); distinct regardless of case, by -2, -3.
  EXPECT_EQ(g.files, (std::vector<std::string>{"lh_", "Piano_#2", "it's", "a_b", "a_b-2", "unlabelled", "PIANO_#2-2"}));
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
  EXPECT_GE(stems[0].size(), kMaxGroupName - 12);
  EXPECT_LE(stems[0].size(), kMaxGroupName);
  EXPECT_LE(stems[1].size(), kMaxGroupName);
  EXPECT_NE(stems[0], stems[1]);
  EXPECT_EQ(stems[0].find_first_not_of('_'), std::string::npos);  // bytes that are not UTF-8 -> '_'
  EXPECT_EQ(stems[2].find_first_not_of('a'), std::string::npos);  // not inside the two-byte character
}

namespace {

// What every file system takes as a file name (stem + ".wav").
::testing::AssertionResult safe_everywhere(const std::string& stem) {
  const auto bad = [&](const std::string& why) { return ::testing::AssertionFailure() << "'" << stem << "': " << why; };
  if (stem.empty()) return bad("empty");
  if (stem.size() > kMaxGroupName) return bad("longer than kMaxGroupName");
  if (stem[0] == '.') return bad("hidden, or . / ..");
  if (stem.back() == '.' || stem.back() == ' ') return bad("a trailing dot or space");
  for (std::size_t i = 0; i < stem.size(); ++i) {
    const auto c = static_cast<unsigned char>(stem[i]);
    if (c < 0x20 || c == 0x7f || std::string("/\\:,<>\"|?*").find(static_cast<char>(c)) != std::string::npos)
      return bad("character " + std::to_string(c) + " at " + std::to_string(i));
    if (c == 0xc2 && i + 1 < stem.size() && static_cast<unsigned char>(stem[i + 1]) < 0xa0) return bad("a C1 control");
  }
  std::string base = stem.substr(0, stem.find('.'));
  for (char& c : base) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  for (const char* r : {"CON", "PRN", "AUX", "NUL", "COM1", "COM9", "LPT1", "LPT0"})
    if (base == r) return bad("a reserved Windows name");
  // Valid UTF-8 (APFS refuses anything else).
  for (std::size_t i = 0; i < stem.size();) {
    const auto c = static_cast<unsigned char>(stem[i]);
    const std::size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > stem.size()) return bad("not UTF-8 at " + std::to_string(i));
    for (std::size_t k = 1; k < n; ++k)
      if ((static_cast<unsigned char>(stem[i + k]) & 0xc0) != 0x80) return bad("not UTF-8 at " + std::to_string(i));
    i += n;
  }
  return ::testing::AssertionSuccess();
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Labels from MIDI track names, MusicXML part names and CSV cells a user would not expect to
// name files: separators, reserved names, dots, controls, bytes that are not UTF-8, long ones.
std::vector<std::string> nasty_labels() {
  std::vector<std::string> v = {"rh:", "lh:", "Grand Piano, right", "Grand Piano, left", "a:b", "a,b", "a b", "a_b", "A_B",
                                "../../escaped", "/abs/x", "C:\\x\\y", "..", ".", "...", ".hidden", "end.", "end ",
                                " ", "", "CON", "con", "nul.txt", "Com1", "LPT9", "AUX ", "COM10", "x<y>z", "\"q\"", "p|q",
                                "why?", "st*r", std::string("nul\0l", 5), "tab\there", "new\nline", "\x7f", "\xc2\x85",
                                "\xff\xfe", "\xe2\x82", "caf\xc3\xa9", "\xed\xa0\x80", "\xf0\x9f\x8e\xb9 piano",
                                std::string(300, 'x'), std::string(300, 'x') + "y", std::string(150, ' ') + "\xe6\x97\xa5",
                                std::string(400, '\x89'), "-2", "a_b-2"};
  // Every byte on its own, and after a letter.
  for (int c = 1; c < 256; ++c) {
    v.push_back(std::string(1, static_cast<char>(c)));
    v.push_back("k" + std::string(1, static_cast<char>(c)));
  }
  return v;
}

}  // namespace

// Issue #41: stem file names safe for every file system, distinct, and predictable.
TEST(FileNames, AlwaysSafeAndDistinct) {
  const std::vector<std::string> labels = nasty_labels();
  for (const bool keep_spaces : {false, true}) {
    FileNaming naming;
    naming.keep_spaces = keep_spaces;
    std::vector<std::string> renamed;
    const std::vector<std::string> stems = file_stems(labels, naming, &renamed);
    ASSERT_EQ(stems.size(), labels.size());
    std::set<std::string> folded;
    for (std::size_t k = 0; k < stems.size(); ++k) {
      EXPECT_TRUE(safe_everywhere(stems[k])) << "label #" << k;
      EXPECT_TRUE(safe_everywhere(safe_file_name(labels[k], keep_spaces))) << "label #" << k;
      EXPECT_TRUE(folded.insert(lower(stems[k])).second) << "two labels share the file " << stems[k];
      if (!keep_spaces) {
        EXPECT_EQ(stems[k].find(' '), std::string::npos) << stems[k];
      }
    }
    EXPECT_FALSE(renamed.empty());  // "a,b" after "a:b", ...
  }
}

TEST(FileNames, SafeNamesStayAsTheyAre) {
  // Idempotent: what safe_file_name gives comes back unchanged, alone and as a list of distinct names.
  std::vector<std::string> once;
  for (const auto& label : nasty_labels()) {
    const std::string s = safe_file_name(label);
    EXPECT_EQ(safe_file_name(s), s) << s;
    once.push_back(s);
  }
  const std::vector<std::string> plain = {"right", "left", "Piano_#2", "it's", "caf\xc3\xa9", "kick", "a_b-2", "CON_"};
  EXPECT_EQ(file_stems(plain), plain);
  const std::vector<std::string> stems = file_stems(once);
  std::vector<std::string> again = file_stems(stems);
  EXPECT_EQ(again, stems);
}

TEST(FileNames, KnownAnswers) {
  EXPECT_EQ(safe_file_name("rh:"), "rh_");
  EXPECT_EQ(safe_file_name("Grand Piano, right"), "Grand_Piano__right");
  EXPECT_EQ(safe_file_name("Grand Piano, right", true), "Grand Piano_ right");
  EXPECT_EQ(safe_file_name("../../escaped"), "_._.._escaped");
  EXPECT_EQ(safe_file_name(""), "unlabelled");
  EXPECT_EQ(safe_file_name("CON"), "CON_");
  EXPECT_EQ(safe_file_name("nul.txt"), "nul_.txt");
  EXPECT_EQ(safe_file_name("COM10"), "COM10");
  EXPECT_EQ(safe_file_name("end."), "end_");
  EXPECT_EQ(safe_file_name("end ", true), "end_");
  EXPECT_EQ(safe_file_name("caf\xc3\xa9"), "caf\xc3\xa9");
  EXPECT_EQ(safe_file_name("a\xff" "b"), "a_b");
  // Collisions: first come keeps the name; the next get -2, -3, ... in order; case folded.
  std::vector<std::string> renamed;
  EXPECT_EQ(file_stems({"a:b", "a,b", "A b", "a_b-2"}, {}, &renamed), (std::vector<std::string>{"a_b", "a_b-2", "A_b-3", "a_b-2-2"}));
  EXPECT_EQ(renamed, (std::vector<std::string>{"a,b -> a_b-2", "A b -> A_b-3", "a_b-2 -> a_b-2-2"}));
}

TEST(FileNames, Templates) {
  FileNaming n;
  n.pattern = "{index}-{label}.{ext}";
  EXPECT_EQ(file_stems({"rh:", "lh:"}, n), (std::vector<std::string>{"1-rh_", "2-lh_"}));
  std::vector<std::string> many(12, "x");
  many[0] = "a";
  EXPECT_EQ(file_stems(many, n)[0], "01-a");
  n.pattern = "part{index}.{ext}";
  EXPECT_EQ(file_stems({"a", "a"}, n), (std::vector<std::string>{"part1", "part2"}));
  n.pattern = "COM{index}.{ext}";  // the template's text and a field making a reserved name
  EXPECT_EQ(file_stems({"a"}, n), (std::vector<std::string>{"COM1_"}));
  n.pattern = "{label}.{ext}";
  const std::vector<std::string> long_one = file_stems({std::string(500, 'y'), std::string(500, 'y')}, n);
  EXPECT_LE(long_one[1].size(), kMaxGroupName);
  EXPECT_NE(long_one[0], long_one[1]);
  // Templates refused: outside the folder, no distinguishing field, unknown fields, no .{ext}.
  for (const char* bad : {"../{label}.{ext}", "sub/{label}.{ext}", "a\\{label}.{ext}", "stem.{ext}", "{label}", "{label}.wav",
                          "{name}.{ext}", "{label.{ext}", "x}{label}.{ext}", ".{label}.{ext}", "{label}:{index}.{ext}",
                          "{ext}-{label}.{ext}", "{label}{label}{label}{label}{label}.{ext}"}) {
    FileNaming b;
    b.pattern = bad;
    EXPECT_THROW(b.validate(), InvalidArgument) << bad;
    EXPECT_THROW(file_stems({"a"}, b), InvalidArgument) << bad;
  }
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
