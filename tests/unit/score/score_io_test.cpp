#include "notewise/io/score_io.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <tuple>

#include "notewise/core/error.hpp"
#include "test_util.hpp"

using namespace notewise;
using notewise::test::TempDir;

namespace {
const std::string kFixtures = NOTEWISE_FIXTURES "/scores/";

std::vector<std::tuple<long, int, std::string>> keyed(const Score& s) {
  std::vector<std::tuple<long, int, std::string>> k;
  for (const Note& n : s.notes()) k.emplace_back(std::lround(n.onset * 1000), n.pitch, n.label);
  std::sort(k.begin(), k.end());
  return k;
}

// A MIDI file from its track bodies (format 1, 480 ticks per quarter).
std::string smf(const std::vector<std::string>& tracks, int format = 1, int division = 480) {
  auto be = [](std::uint32_t v, int n) {
    std::string s;
    for (int i = n - 1; i >= 0; --i) s.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
    return s;
  };
  std::string out = "MThd" + be(6, 4) + be(format, 2) + be(static_cast<std::uint32_t>(tracks.size()), 2) + be(division, 2);
  for (const auto& t : tracks) out += "MTrk" + be(static_cast<std::uint32_t>(t.size()), 4) + t;
  return out;
}
std::string bytes(std::initializer_list<int> b) {
  std::string s;
  for (int c : b) s.push_back(static_cast<char>(c));
  return s;
}
const std::string kEnd = bytes({0x00, 0xff, 0x2f, 0x00});
}  // namespace

class ScorePieces : public ::testing::TestWithParam<std::string> {};

TEST_P(ScorePieces, MidiAndCsvGiveTheSameNotes) {
  const Score csv = io::read_score(kFixtures + GetParam() + "_score.csv");
  const Score mid = io::read_score(kFixtures + GetParam() + "_score.mid");
  ASSERT_EQ(csv.size(), mid.size());
  const auto a = keyed(csv), b = keyed(mid);
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_NEAR(std::get<0>(a[i]), std::get<0>(b[i]), 1) << "note " << i;  // onsets within 1 ms
    EXPECT_EQ(std::get<1>(a[i]), std::get<1>(b[i]));
    EXPECT_EQ(std::get<2>(a[i]), std::get<2>(b[i]));
  }
  EXPECT_EQ(csv.labels().size(), 2u);
}

INSTANTIATE_TEST_SUITE_P(Shared, ScorePieces, ::testing::Values("chopin_op64_1", "mozart_k545_1"));

TEST(ScoreIo, RealSourceMidiFiles) {
  const Score chopin = io::read_score(kFixtures + "chopin_op64_1_mutopia.mid");
  const Score mozart = io::read_score(kFixtures + "mz_545_1.mid");
  for (const Score* s : {&chopin, &mozart}) {
    EXPECT_GT(s->size(), 300u);
    for (const Note& n : s->notes()) {
      EXPECT_GE(n.duration, 0.0);
      EXPECT_GE(n.onset, 0.0);
    }
    EXPECT_GT(s->end(), 60.0);
    EXPECT_LT(s->end(), 600.0);
  }
  // The pedal only ever lengthens notes.
  io::MidiOptions pedal;
  pedal.sustain_pedal = true;
  const Score held = io::read_score(kFixtures + "mz_545_1.mid", pedal);
  ASSERT_EQ(held.size(), mozart.size());
  double longer = 0;
  for (std::size_t i = 0; i < held.size(); ++i) {
    EXPECT_GE(held.notes()[i].duration, mozart.notes()[i].duration - 1e-9);
    longer += held.notes()[i].duration - mozart.notes()[i].duration;
  }
  EXPECT_GT(longer, 1.0);
}

TEST(ScoreIo, FmpSemicolonCsvWithQuotesAndUnitVelocity) {
  const Score s = io::parse_csv(
      "\"Start\";\"Duration\";\"Pitch\";\"Velocity\";\"Instrument\"\n"
      "2.213333;0.7558;64;0.9921875;\"lh\"\n"
      "3.0;0.5;71;0.5;\"rh\"\n",
      "fmp.csv");
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s.notes()[0].label, "lh");
  EXPECT_NEAR(s.notes()[0].velocity, 0.9921875 * 127, 1e-9);
  EXPECT_NEAR(s.notes()[1].onset, 3.0, 1e-12);
}

TEST(ScoreIo, BrokenCsvFilesNameTheLineAndProblem) {
  const std::string head = "start,duration,pitch,velocity,label\n";
  const std::pair<std::string, std::string> cases[] = {
      {head + "0.0,0.5,60,100,right\n1.0,0.5,131,100,right\n", ":3: pitch 131 is outside 0..127"},
      {head + "0.0,-0.5,60,100,right\n", ":2: duration -0.5 is negative"},
      {head + "zero,0.5,60,100,right\n", ":2: start 'zero' is not a number"},
      {head + "0.0,0.5,60.5,100,right\n", ":2: pitch 60.5 is outside"},
      {head + "0.0,0.5\n", ":2: has 2 fields"},
      {head, "holds no notes"},
      {"", "is empty"},
      {"a,b,c\n1,2,3\n", ":1: header must name"},
  };
  for (const auto& [text, want] : cases) {
    try {
      io::parse_csv(text, "s.csv");
      ADD_FAILURE() << "no error for: " << text;
    } catch (const ParseError& e) {
      EXPECT_NE(std::string(e.what()).find(want), std::string::npos) << e.what() << " / want " << want;
    }
  }
}

TEST(ScoreIo, MidiRunningStatusVelocityZeroTempoChange) {
  // Track 0: tempo 120 bpm, then at tick 960 (1 s) tempo 60 bpm.
  const std::string t0 = bytes({0x00, 0xff, 0x51, 0x03, 0x07, 0xa1, 0x20}) +
                         bytes({0x87, 0x40, 0xff, 0x51, 0x03, 0x0f, 0x42, 0x40}) + kEnd;
  // Track 1 "piano": note 60 on at 0, off (running status, velocity 0) at 480 (0.5 s);
  // note 62 on at 960 (1 s), off at 1440 (1 s + 480 ticks at 60 bpm = 2 s).
  const std::string t1 = bytes({0x00, 0xff, 0x03, 0x05}) + "piano" +
                         bytes({0x00, 0x90, 60, 100, 0x83, 0x60, 60, 0, 0x83, 0x60, 62, 90, 0x83, 0x60, 0x80, 62, 0}) + kEnd;
  const Score s = io::parse_midi(smf({t0, t1}), "t.mid");
  ASSERT_EQ(s.size(), 2u);
  EXPECT_NEAR(s.notes()[0].onset, 0.0, 1e-9);
  EXPECT_NEAR(s.notes()[0].duration, 0.5, 1e-9);
  EXPECT_NEAR(s.notes()[1].onset, 1.0, 1e-9);
  EXPECT_NEAR(s.notes()[1].duration, 1.0, 1e-9);
  EXPECT_EQ(s.notes()[1].label, "piano");
  EXPECT_EQ(s.notes()[1].velocity, 90);
}

TEST(ScoreIo, MidiOverlappingSamePitch) {
  // Format 0, 120 bpm default (480 ticks = 0.5 s). Pitch 60 struck at 0 and 240, released at
  // 480 and 720: first in, first out, so each note lasts 0.5 s. Channel 1 plays pitch 50.
  const std::string t = bytes({0x00, 0x90, 60, 80,        // A on at 0
                               0x81, 0x70, 0x90, 60, 90,  // B on at 240
                               0x81, 0x70, 0x80, 60, 0,   // off at 480 -> ends A
                               0x81, 0x70, 0x80, 60, 0,   // off at 720 -> ends B
                               0x00, 0x91, 50, 70, 0x60, 0x81, 50, 0}) + kEnd;
  const Score s = io::parse_midi(smf({t}, 0), "p.mid");
  ASSERT_EQ(s.size(), 3u);
  EXPECT_NEAR(s.notes()[0].duration, 0.5, 1e-9);
  EXPECT_NEAR(s.notes()[1].onset, 0.25, 1e-9);
  EXPECT_NEAR(s.notes()[1].duration, 0.5, 1e-9);
  EXPECT_EQ(s.notes()[2].label, "channel1");  // one track, two channels: by channel (auto)
  io::MidiOptions o;
  o.label_by = io::LabelBy::Track;
  EXPECT_EQ(io::parse_midi(smf({t}, 0), "p.mid", o).notes()[2].label, "track0");
}

TEST(ScoreIo, MidiSustainPedalInAnotherTrack) {
  // Track 0 holds the pedal (down at 0, up at 1920 = 2 s); track 1 the notes: A on 0 off 240,
  // A again at 480 off 720. With the pedal, the first A sounds until the key is struck again
  // (0.5 s) and the second until the pedal lifts (2 s).
  const std::string pedal_track = bytes({0x00, 0xb0, 64, 127, 0x8f, 0x00, 0xb0, 64, 0}) + kEnd;
  const std::string notes_track = bytes({0x00, 0x90, 60, 80, 0x81, 0x70, 0x80, 60, 0, 0x81, 0x70, 0x90, 60, 80,
                                         0x81, 0x70, 0x80, 60, 0}) + kEnd;
  const std::string file = smf({pedal_track, notes_track});
  const Score plain = io::parse_midi(file, "p.mid");
  EXPECT_NEAR(plain.notes()[0].duration, 0.25, 1e-9);
  EXPECT_NEAR(plain.notes()[1].duration, 0.25, 1e-9);
  io::MidiOptions o;
  o.sustain_pedal = true;
  const Score held = io::parse_midi(file, "p.mid", o);
  EXPECT_NEAR(held.notes()[0].offset(), 0.5, 1e-9);
  EXPECT_NEAR(held.notes()[1].offset(), 2.0, 1e-9);
}

TEST(ScoreIo, BrokenMidiFilesNameTheByteAndProblem) {
  const std::string good = smf({bytes({0x00, 0x90, 60, 100, 0x60, 0x80, 60, 0}) + kEnd});
  const std::pair<std::string, std::string> cases[] = {
      {"RIFF not midi at all", "no MThd header"},
      {good.substr(0, good.size() - 6), "truncated"},
      {good.substr(0, 14), "missing track 1 of 1"},
      {smf({bytes({0x00, 60, 100}) + kEnd}), "running status before any event"},
      {smf({bytes({0x00, 0x90, 160, 100}) + kEnd}), "data byte above 127"},
      {smf({bytes({0x00, 0xff, 0x51, 0x02, 0x07, 0xa1}) + kEnd}), "tempo event of length 2"},
      {smf({bytes({0xff, 0xff, 0xff, 0xff, 0x7f})}), "longer than 4 bytes"},
      {smf({bytes({0x00, 0x90, 60, 100, 0x60, 0x80, 60, 0}) + kEnd}, 2), "format 2"},
  };
  for (const auto& [data, want] : cases) {
    try {
      io::parse_midi(data, "b.mid");
      ADD_FAILURE() << "no error, want: " << want;
    } catch (const ParseError& e) {
      EXPECT_NE(std::string(e.what()).find(want), std::string::npos) << e.what() << " / want " << want;
      EXPECT_NE(std::string(e.what()).find("b.mid"), std::string::npos);
    }
  }
  TempDir dir;
  test::write_bytes(dir.file("empty.mid"), smf({kEnd}));
  EXPECT_THROW(io::read_score(dir.file("empty.mid")), ParseError);  // no notes
  EXPECT_THROW(io::read_score(dir.file("x.xyz")), IoError);
}

TEST(ScoreIo, CsvWriteReadRoundTrip) {
  TempDir dir;
  const Score s = io::read_score(kFixtures + "mozart_k545_1_score.csv");
  io::write_csv_score(dir.file("s.csv"), s, false);
  EXPECT_EQ(keyed(io::read_score(dir.file("s.csv"))), keyed(s));
}

TEST(ScoreIo, MidiWriteReadRoundTrip) {
  TempDir dir;
  const Score s = io::read_score(kFixtures + "chopin_op64_1_score.csv");
  io::write_midi_score(dir.file("s.mid"), s, false);
  const Score back = io::read_score(dir.file("s.mid"));
  ASSERT_EQ(back.size(), s.size());
  const auto a = keyed(s), b = keyed(back);
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_NEAR(std::get<0>(a[i]), std::get<0>(b[i]), 1) << i;
    EXPECT_EQ(std::get<1>(a[i]), std::get<1>(b[i]));
    EXPECT_EQ(std::get<2>(a[i]), std::get<2>(b[i]));
  }
  EXPECT_THROW(io::write_midi_score(dir.file("s.mid"), s, false), IoError);  // kept without overwrite
}

// Issue #16: labels never collapse silently.
TEST(ScoreIo, MidiTracksOfTheSameNameGetDistinctLabels) {
  // Two staves exported as two tracks both named "Piano" (as notation programs do).
  const std::string name = bytes({0x00, 0xff, 0x03, 0x05}) + "Piano";
  const std::string rh = name + bytes({0x00, 0x90, 72, 100, 0x83, 0x60, 0x80, 72, 0}) + kEnd;
  const std::string lh = name + bytes({0x00, 0x91, 48, 100, 0x83, 0x60, 0x81, 48, 0}) + kEnd;
  const io::ScoreFile f = io::parse_midi_file(smf({rh, lh}), "two.mid");
  ASSERT_EQ(f.score.size(), 2u);
  EXPECT_EQ(f.score.labels(), (std::vector<std::string>{"Piano", "Piano 2"}));
  EXPECT_EQ(f.tracks, 2);
  ASSERT_EQ(f.notices.size(), 1u);
  EXPECT_NE(f.notices[0].find("'Piano', 'Piano 2'"), std::string::npos) << f.notices[0];
  // Distinct names: no notice.
  const std::string other = bytes({0x00, 0xff, 0x03, 0x04}) + "Bass" + bytes({0x00, 0x91, 40, 100, 0x83, 0x60, 0x81, 40, 0}) + kEnd;
  EXPECT_TRUE(io::parse_midi_file(smf({rh, other}), "ok.mid").notices.empty());
}

TEST(ScoreIo, MidiOneTrackOnSeveralChannelsIsLabelledByChannel) {
  // Type 0: right hand on channel 0, left hand on channel 1.
  const std::string t = bytes({0x00, 0x90, 72, 100, 0x00, 0x91, 48, 90, 0x83, 0x60, 0x80, 72, 0, 0x00, 0x81, 48, 0}) + kEnd;
  const io::ScoreFile f = io::parse_midi_file(smf({t}, 0), "zero.mid");
  EXPECT_EQ(f.score.labels(), (std::vector<std::string>{"channel0", "channel1"}));
  EXPECT_EQ(f.channels, 2);
  ASSERT_EQ(f.notices.size(), 1u);
  EXPECT_NE(f.notices[0].find("labelled by channel"), std::string::npos) << f.notices[0];
  // Asked for by track, it stays one label (the run then warns that it made one group).
  io::MidiOptions o;
  o.label_by = io::LabelBy::Track;
  const io::ScoreFile one = io::parse_midi_file(smf({t}, 0), "zero.mid", o);
  EXPECT_EQ(one.score.labels().size(), 1u);
  EXPECT_TRUE(one.notices.empty());
  // One track on one channel: nothing to split, no notice.
  const std::string mono = bytes({0x00, 0x90, 72, 100, 0x83, 0x60, 0x80, 72, 0}) + kEnd;
  EXPECT_TRUE(io::parse_midi_file(smf({mono}, 0), "one.mid").notices.empty());
}

TEST(ScoreIo, MidiPercussionIsKeptAsDrumNotes) {
  // Piano on channel 0, a kick drum (36) and a snare (38) on channel 10 (index 9).
  const std::string piano = bytes({0x00, 0x90, 60, 100, 0x83, 0x60, 0x80, 60, 0}) + kEnd;
  const std::string drums = bytes({0x00, 0x99, 36, 100, 0x60, 0x89, 36, 0, 0x00, 0x99, 38, 100, 0x60, 0x89, 38, 0}) + kEnd;
  const io::ScoreFile f = io::parse_midi_file(smf({piano, drums}), "band.mid");
  ASSERT_EQ(f.score.size(), 3u);
  int drum_notes = 0;
  for (const Note& n : f.score.notes()) {
    EXPECT_EQ(is_drum(n), n.pitch != 60) << n.pitch;
    drum_notes += is_drum(n);
  }
  EXPECT_EQ(drum_notes, 2);
  EXPECT_EQ(f.percussion_notes, 2u);
  EXPECT_EQ(f.tracks, 1);  // tracks holding pitched notes
  EXPECT_TRUE(f.warnings.empty());
  // Drums alone are a score too (for 'drums'); written back, they stay on channel 10.
  TempDir dir;
  test::write_bytes(dir.file("drums.mid"), smf({drums}));
  const Score d = io::read_score(dir.file("drums.mid"));
  ASSERT_EQ(d.size(), 2u);
  EXPECT_TRUE(is_drum(d.notes()[0]) && is_drum(d.notes()[1]));
  io::write_midi_score(dir.file("back.mid"), f.score, false);
  const Score back = io::read_score(dir.file("back.mid"));
  ASSERT_EQ(back.size(), 3u);
  for (const Note& n : back.notes()) EXPECT_EQ(is_drum(n), n.pitch != 60) << n.pitch;
}

TEST(ScoreIo, CsvDrumRowsAreDrumNotes) {
  const Score s = io::parse_csv("start,duration,pitch,label\n0,0.1,36,Drums\n0,0.5,60,piano\n0.5,0.1,42,drum kit\n", "b.csv");
  ASSERT_EQ(s.size(), 3u);
  EXPECT_TRUE(is_drum(s.notes()[0]));
  EXPECT_FALSE(is_drum(s.notes()[1]));
  EXPECT_TRUE(is_drum(s.notes()[2]));
}

TEST(ScoreIo, MidiProgramLabelsAreGmNames) {
  const std::string violin = bytes({0x00, 0xc0, 40, 0x00, 0x90, 67, 100, 0x83, 0x60, 0x80, 67, 0}) + kEnd;
  io::MidiOptions o;
  o.label_by = io::LabelBy::Program;
  EXPECT_EQ(io::parse_midi(smf({violin}), "v.mid", o).notes()[0].label, "Violin");
}

TEST(ScoreIo, MidiWriterSkipsThePercussionChannel) {
  // Twelve labels: the tenth must not land on channel 10, which readers leave out.
  std::vector<Note> notes;
  for (int k = 0; k < 12; ++k) notes.push_back({0.5 * k, 0.4, 60 + k, 90, "voice" + std::to_string(k), static_cast<std::size_t>(k)});
  TempDir dir;
  io::write_midi_score(dir.file("many.mid"), Score(notes), false);
  const Score back = io::read_score(dir.file("many.mid"));
  ASSERT_EQ(back.size(), 12u);
  for (const Note& n : back.notes()) EXPECT_NE(n.channel, 9) << n.label;
  EXPECT_EQ(back.labels().size(), 12u);
}

// ---- issue #16: score dialects -------------------------------------------------------------

class CsvDialects : public ::testing::TestWithParam<std::string> {};

// Every fixture holds the same three notes: C4 at 0.5 s for 0.25 s, then C3 and E4 at 1 s for
// 0.5 s (labels rh:/lh: and velocities 100/80/90 where the dialect has them).
TEST_P(CsvDialects, SameNotes) {
  const std::string path = kFixtures + "dialects/" + GetParam();
  const Score s = io::read_score(path);
  ASSERT_EQ(s.size(), 3u) << path;
  const double onset[] = {0.5, 1.0, 1.0}, duration[] = {0.25, 0.5, 0.5};
  const int pitch[] = {60, 48, 64};
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_NEAR(s.notes()[i].onset, onset[i], 1e-9) << path << " note " << i;
    EXPECT_NEAR(s.notes()[i].duration, duration[i], 1e-9) << path << " note " << i;
    EXPECT_EQ(s.notes()[i].pitch, pitch[i]) << path << " note " << i;
  }
  const std::string text = test::read_bytes(path);
  if (text.find("rh:") != std::string::npos) {
    EXPECT_EQ(s.notes()[0].label, "rh:");
    EXPECT_EQ(s.notes()[1].label, "lh:");
  } else {
    EXPECT_EQ(s.labels(), (std::vector<std::string>{"notes"}));
  }
  if (text.find("80") != std::string::npos) EXPECT_EQ(s.notes()[1].velocity, 80);
  else EXPECT_EQ(s.notes()[1].velocity, 100);  // the default
  // An aligned score keeps the file's layout: only the times change, every other byte stays.
  const Score later = s.warped(2.0, 0.125);
  const std::string rewritten = io::replace_csv_times(text, later, path);
  const Score back = io::parse_csv(rewritten, path);
  ASSERT_EQ(back.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_NEAR(back.notes()[i].onset, later.notes()[i].onset, 1e-6) << path;
    EXPECT_NEAR(back.notes()[i].duration, later.notes()[i].duration, 1e-6) << path;
    EXPECT_EQ(back.notes()[i].label, s.notes()[i].label);
  }
  EXPECT_EQ(rewritten.substr(0, 3) == "\xEF\xBB\xBF", text.substr(0, 3) == "\xEF\xBB\xBF");
  EXPECT_EQ(std::count(rewritten.begin(), rewritten.end(), '\r'), std::count(text.begin(), text.end(), '\r'));
  EXPECT_EQ(std::count(rewritten.begin(), rewritten.end(), '\n'), std::count(text.begin(), text.end(), '\n'));
}

INSTANTIATE_TEST_SUITE_P(Fixtures, CsvDialects,
                         ::testing::Values("excel_bom_crlf.csv", "pretty_midi_end.tsv", "maps.txt", "headerless.txt",
                                           "semicolon_decimal_comma.csv", "quoted_end_time.csv"),
                         [](const auto& info) {
                           std::string n = info.param;
                           for (char& c : n)
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           return n;
                         });

TEST(ScoreIo, CsvHeaderSynonymsAndOldMacLineEnds) {
  const Score s = io::parse_csv("ONSET_TIME;Duration (s);MIDI;Instrument\r0.0;1;60;violin\r2.0;0.5;D5;viola\r", "m.csv");
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s.notes()[1].pitch, 74);  // D5, a note name
  EXPECT_EQ(s.notes()[1].label, "viola");
  EXPECT_NEAR(s.notes()[1].onset, 2.0, 1e-12);
  // Only headerless rows: start end pitch.
  const Score h = io::parse_csv("0.1,0.6,61\n0.2,0.4,62\n", "h.csv");
  EXPECT_NEAR(h.notes()[0].duration, 0.5, 1e-12);
  EXPECT_NEAR(h.notes()[1].duration, 0.2, 1e-12);
}

TEST(ScoreIo, CsvDialectErrorsNameTheFileLineAndWhatWasExpected) {
  const std::pair<std::string, std::string> cases[] = {
      {"onset,pitch\n0.5,60\n", "t.csv:1: header must name a duration or end column"},
      {"start,end,velocity\n0.5,1,60\n", "t.csv:1: header must name a pitch column"},
      {"begin\tend\tnote\n0.5\t0.2\t60\n", "t.csv:2: end 0.2 is before start 0.5"},
      {"0.5 0.2 60\n", "t.csv:1: end 0.2 is before start 0.5 (a file without a header, read as start end pitch"},
      {"0.5 1.0\n", "t.csv:1: has 2 fields; expected at least 3"},
      {"# a comment\n\nstart,duration,pitch\n0.5,1,X9\n", "t.csv:4: pitch 'X9' is not a number"},
      {"start,duration,pitch\n0.5,1,200\n", "t.csv:2: pitch 200 is outside 0..127"},
      {"start,duration,pitch,velocity\n0.5,1,60,300\n", "t.csv:2: velocity 300 is outside 0..127"},
      {std::string("\xFF\xFEs\0t", 6), "t.csv:1: is UTF-16"},
      {"# only a comment\n", "t.csv: is empty"},
  };
  for (const auto& [text, want] : cases) {
    try {
      io::parse_csv(text, "t.csv");
      ADD_FAILURE() << "no error for: " << text;
    } catch (const ParseError& e) {
      EXPECT_NE(std::string(e.what()).find(want), std::string::npos) << e.what() << "\n want: " << want;
    }
  }
}

TEST(ScoreIo, CsvColumnAddedInTheFilesLayout) {
  const std::vector<double> c{0.25, 0.5, 0.75};
  // A header: the column is added with the file's separator, then replaced on a second pass.
  const std::string tsv = test::read_bytes(kFixtures + "dialects/pretty_midi_end.tsv");
  const std::string once = io::with_csv_column(tsv, "confidence", c, "p.tsv");
  EXPECT_EQ(once.substr(0, once.find('\n')), "onset\toffset\tmidi\tinstrument\tconfidence");
  EXPECT_EQ(io::with_csv_column(once, "confidence", {0.1, 0.2, 0.3}, "p.tsv").find("0.750"), std::string::npos);
  EXPECT_EQ(io::parse_csv(once, "p.tsv").size(), 3u);
  // No header: one is written first, so the new column is not read as a velocity.
  const std::string bare = "0.5 0.75 60\n1.0 1.5 48\n1.0 1.5 64\n";
  const std::string with = io::with_csv_column(bare, "confidence", c, "h.txt");
  EXPECT_EQ(with.substr(0, with.find('\n')), "start end pitch confidence");
  const Score s = io::parse_csv(with, "h.txt");
  ASSERT_EQ(s.size(), 3u);
  EXPECT_EQ(s.notes()[0].velocity, 100);
  EXPECT_NEAR(s.notes()[2].duration, 0.5, 1e-12);
}

// ---- issue #16: MusicXML -------------------------------------------------------------------

struct XmlAndMidi {
  std::string xml, mid;
};
class MusicXmlAgainstMidi : public ::testing::TestWithParam<XmlAndMidi> {};

// Files exported by MuseScore 3 (tests/fixtures/scores/musicxml/make_fixtures.sh): each MusicXML
// file against the MIDI file it came from (or MuseScore's MIDI of it): the same notes, onsets
// within a tick (480 per quarter, at the slowest tempo of the fixtures, 60 bpm: 2.1 ms).
TEST_P(MusicXmlAgainstMidi, SameNotesWithinATick) {
  const std::string dir = kFixtures + "musicxml/";
  const Score xml = io::read_score(dir + GetParam().xml);
  const Score mid = io::read_score(dir + GetParam().mid);
  ASSERT_EQ(xml.size(), mid.size()) << GetParam().xml;
  const auto sorted = [](const Score& s) {
    std::vector<Note> n = s.notes();
    std::stable_sort(n.begin(), n.end(), [](const Note& a, const Note& b) {
      return std::lround(a.onset * 1000) != std::lround(b.onset * 1000) ? a.onset < b.onset : a.pitch < b.pitch;
    });
    return n;
  };
  const auto a = sorted(xml), b = sorted(mid);
  const double tick = 60.0 / 60 / 480;
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].pitch, b[i].pitch) << GetParam().xml << " note " << i;
    EXPECT_NEAR(a[i].onset, b[i].onset, tick) << GetParam().xml << " note " << i;
    // MuseScore ends each MIDI note a tick early.
    EXPECT_NEAR(a[i].duration, b[i].duration, 2 * tick) << GetParam().xml << " note " << i;
    EXPECT_NEAR(a[i].velocity, b[i].velocity, 1.0) << GetParam().xml << " note " << i;
  }
}

INSTANTIATE_TEST_SUITE_P(MuseScore, MusicXmlAgainstMidi,
                         ::testing::Values(XmlAndMidi{"piano.musicxml", "piano.mid"}, XmlAndMidi{"piano.mxl", "piano.mid"},
                                           XmlAndMidi{"duo.musicxml", "duo.mid"},
                                           XmlAndMidi{"repeats.musicxml", "repeats_musescore.mid"}),
                         [](const auto& info) {
                           std::string n = info.param.xml;
                           for (char& c : n)
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           return n;
                         });

TEST(ScoreIo, MusicXmlLabels) {
  const std::string dir = kFixtures + "musicxml/";
  // One part on two staves: its staves by default (the hands), one label by part if asked.
  const io::ScoreFile hands = io::read_score_file(dir + "repeats.musicxml");
  EXPECT_EQ(hands.score.labels(), (std::vector<std::string>{"Piano staff 1", "Piano staff 2"}));
  EXPECT_EQ(hands.staves, 2);
  ASSERT_EQ(hands.notices.size(), 1u);
  io::MidiOptions o;
  o.label_by = io::LabelBy::Track;
  EXPECT_EQ(io::read_score(dir + "repeats.musicxml", o).labels(), (std::vector<std::string>{"Piano"}));
  // Two parts of one name: made distinct, with a notice.
  const io::ScoreFile piano = io::read_score_file(dir + "piano.musicxml");
  EXPECT_EQ(piano.score.labels(), (std::vector<std::string>{"Grand Piano, Piano", "Grand Piano, Piano 2"}));
  EXPECT_EQ(piano.notices.size(), 1u);
  // Programs: GM names; channels.
  o.label_by = io::LabelBy::Program;
  EXPECT_EQ(io::read_score(dir + "duo.musicxml", o).labels(), (std::vector<std::string>{"Violin", "Cello"}));
  o.label_by = io::LabelBy::Channel;
  EXPECT_EQ(io::read_score(dir + "duo.musicxml", o).labels(), (std::vector<std::string>{"channel0", "channel1"}));
  EXPECT_EQ(io::read_score(dir + "duo.musicxml").notes()[0].program, 40);
}

namespace {
std::string mxml(const std::string& measures) {
  return "<?xml version=\"1.0\"?>\n<score-partwise><part-list><score-part id=\"P1\"><part-name>Flute</part-name></score-part>"
         "</part-list>\n<part id=\"P1\">" + measures + "</part></score-partwise>\n";
}
std::string bar(const std::string& step, const std::string& extra = "") {
  return "<measure>" + extra + "<attributes><divisions>1</divisions></attributes><note><pitch><step>" + step +
         "</step><octave>4</octave></pitch><duration>4</duration></note></measure>\n";
}
// Each text, read as m.xml, fails with a message holding its fragment.
template <std::size_t N>
void expect_musicxml_errors(const std::pair<std::string, std::string> (&cases)[N]) {
  for (const auto& [text, want] : cases) {
    try {
      io::parse_musicxml(text, "m.xml");
      ADD_FAILURE() << "no error for: " << text;
    } catch (const ParseError& e) {
      EXPECT_NE(std::string(e.what()).find(want), std::string::npos) << e.what() << "\n want: " << want;
    }
  }
}
std::vector<int> pitches_of(const Score& s) {
  std::vector<int> p;
  for (const Note& n : s.notes()) p.push_back(n.pitch);
  return p;
}
}  // namespace

TEST(ScoreIo, MusicXmlJumpsTransposeAndTempoMarks) {
  // Da capo al fine: A B(fine) C(D.C.) -> A B C A B.
  const Score dc = io::parse_musicxml(mxml(bar("C") + bar("D", "<sound fine=\"yes\"/>") + bar("E", "<sound dacapo=\"yes\"/>")), "dc.xml").score;
  EXPECT_EQ(pitches_of(dc), (std::vector<int>{60, 62, 64, 60, 62}));
  EXPECT_NEAR(dc.notes()[4].onset, 8.0, 1e-9);  // 4 quarters a bar at 120 bpm
  // Repeated three times.
  const Score three = io::parse_musicxml(
      mxml(bar("C") + "<measure><barline location=\"right\"><repeat direction=\"backward\" times=\"3\"/></barline>"
                      "<note><pitch><step>D</step><octave>4</octave></pitch><duration>4</duration></note></measure>"),
      "r.xml").score;
  EXPECT_EQ(pitches_of(three), (std::vector<int>{60, 62, 60, 62, 60, 62}));
  // A clarinet in B flat sounds a major second below what is written; a metronome mark of
  // 60 dotted quarters (90 quarters) a minute without <sound>.
  const Score cl = io::parse_musicxml(
      mxml("<measure><attributes><divisions>2</divisions><transpose><diatonic>-1</diatonic><chromatic>-2</chromatic></transpose></attributes>"
           "<direction><direction-type><metronome><beat-unit>quarter</beat-unit><beat-unit-dot/><per-minute>60</per-minute></metronome></direction-type></direction>"
           "<note><pitch><step>D</step><octave>4</octave></pitch><duration>2</duration></note>"
           "<note><pitch><step>E</step><octave>4</octave></pitch><duration>2</duration></note></measure>"),
      "cl.xml").score;
  EXPECT_EQ(pitches_of(cl), (std::vector<int>{60, 62}));
  EXPECT_NEAR(cl.notes()[1].onset, 60.0 / 90, 1e-9);
}

TEST(ScoreIo, BrokenMusicXmlNamesTheLineAndProblem) {
  const std::pair<std::string, std::string> cases[] = {
      {"<?xml version=\"1.0\"?>\n<score-partwise>\n<part-list>\n</score-partwise>", "m.xml:4: not well-formed XML"},
      {"<?xml version=\"1.0\"?>\n<html></html>", "m.xml:2: not a MusicXML score (the root element is <html>"},
      {"<score-timewise></score-timewise>", "score-timewise"},
      {mxml("<measure>\n<note><pitch><step>H</step><octave>4</octave></pitch><duration>1</duration></note></measure>"),
       "m.xml:4: pitch step 'H'"},
      {mxml("<measure>\n<note><pitch><step>C</step><octave>4</octave></pitch><duration>x</duration></note></measure>"),
       "m.xml:4: duration 'x' is not a number"},
      {mxml("<measure>\n<note><pitch><step>C</step><octave>12</octave></pitch><duration>1</duration></note></measure>"),
       "lies outside MIDI 0 .. 127"},
      {mxml(""), "holds no part with measures"},
  };
  expect_musicxml_errors(cases);
  // A damaged .mxl: cut in half.
  TempDir dir;
  const std::string mxl = test::read_bytes(kFixtures + "musicxml/piano.mxl");
  test::write_bytes(dir.file("cut.mxl"), mxl.substr(0, mxl.size() / 2));
  try {
    io::read_score(dir.file("cut.mxl"));
    ADD_FAILURE() << "accepted";
  } catch (const ParseError& e) {
    EXPECT_NE(std::string(e.what()).find("cut.mxl"), std::string::npos) << e.what();
  }
}

// Issue #40: what a file claims is bounded before it is converted or expanded.
TEST(ScoreIo, MusicXmlHostileNumbersAreErrorsNotUndefinedBehaviour) {
  const auto note = [](const std::string& pitch) {
    return "<measure>\n<note><pitch>" + pitch + "</pitch><duration>1</duration></note></measure>";
  };
  const std::pair<std::string, std::string> cases[] = {
      // Was "G-2147483648": an out-of-range float-to-int conversion.
      {mxml(note("<step>G</step><octave>1e300</octave>")), "m.xml:4: pitch G octave 1e300 lies outside MIDI 0 .. 127"},
      {mxml(note("<step>G</step><alter>-1e300</alter><octave>4</octave>")), "lies outside MIDI 0 .. 127"},
      {mxml("<measure><attributes>\n<divisions>1e-9</divisions></attributes></measure>"), "m.xml:4: divisions 1e-9 is outside 1 .. 1000000"},
      {mxml("<measure><attributes>\n<staves>1e300</staves></attributes></measure>"), "m.xml:4: staves 1e300 is outside"},
      {mxml("<measure><attributes><transpose>\n<chromatic>4e9</chromatic></transpose></attributes></measure>"), "chromatic 4e9 is outside"},
      {mxml("<measure><barline>\n<repeat direction=\"backward\" times=\"1e300\"/></barline></measure>"), "repeat times=\"1e300\""},
  };
  expect_musicxml_errors(cases);
  // A program or channel out of range is as if not named (no conversion of 1e300 either).
  const std::string odd = "<?xml version=\"1.0\"?>\n<score-partwise><part-list><score-part id=\"P1\"><part-name>Oboe</part-name>"
                          "<midi-instrument id=\"I1\"><midi-channel>1e300</midi-channel><midi-program>-1e300</midi-program></midi-instrument>"
                          "</score-part></part-list><part id=\"P1\">" + bar("C") + "</part></score-partwise>";
  const Score s = io::parse_musicxml(odd, "odd.xml").score;
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s.notes()[0].channel, -1);
  EXPECT_EQ(s.notes()[0].program, -1);
}

TEST(ScoreIo, MusicXmlRepeatsAreCountedBeforeTheyExpand) {
  // 100 measures of 30 notes (a chord), each repeated 1000 times: 100,000 measures (the measure
  // bound) but 3,000,000 notes, over kMaxScoreNotes. Refused from the count, before any note is made.
  std::string chord = "<note><pitch><step>C</step><octave>4</octave></pitch><duration>1</duration></note>";
  for (int k = 1; k < 30; ++k) chord += "<note><chord/><pitch><step>C</step><octave>4</octave></pitch><duration>1</duration></note>";
  std::string measures;
  for (int m = 0; m < 100; ++m)
    measures += "<measure>" + chord + "<barline location=\"right\"><repeat direction=\"backward\" times=\"1000\"/></barline></measure>";
  try {
    io::parse_musicxml(mxml(measures), "bomb.xml");
    ADD_FAILURE() << "a repeat bomb was expanded";
  } catch (const ParseError& e) {
    EXPECT_NE(std::string(e.what()).find("repeats expand to 3000000 notes"), std::string::npos) << e.what();
  }
  // Below the budget the same structure expands: 10 measures of one note, 3 times each.
  std::string small;
  for (int m = 0; m < 10; ++m)
    small += "<measure><note><pitch><step>D</step><octave>4</octave></pitch><duration>1</duration></note>"
             "<barline location=\"right\"><repeat direction=\"backward\" times=\"3\"/></barline></measure>";
  EXPECT_EQ(io::parse_musicxml(mxml(small), "ok.xml").score.size(), 30u);
}

TEST(ScoreIo, MusicXmlTempoOutsideItsRangeIsIgnoredAndSaid) {
  // 1e-7 bpm made a quarter last 19 years; it is ignored (the default 120 bpm stays) with a warning.
  const io::ScoreFile f = io::parse_musicxml(mxml(bar("C", "<sound tempo=\"1e-7\"/>") + bar("D")), "slow.xml");
  ASSERT_EQ(f.score.size(), 2u);
  EXPECT_NEAR(f.score.notes()[1].onset, 2.0, 1e-9);
  ASSERT_EQ(f.warnings.size(), 1u);
  EXPECT_NE(f.warnings[0].find("tempo mark(s) outside 1 .. 10000 bpm ignored"), std::string::npos) << f.warnings[0];
}

TEST(ScoreIo, ScoreLongerThanADayIsRefusedNamingTheFile) {
  TempDir dir;
  test::write_bytes(dir.file("long.csv"), "start,duration,pitch\n0,100000,60\n");
  try {
    io::read_score(dir.file("long.csv"));
    ADD_FAILURE() << "accepted";
  } catch (const ParseError& e) {
    EXPECT_NE(std::string(e.what()).find(dir.file("long.csv") + ": lasts 100000 s, more than the 86400 s (24 hours)"), std::string::npos)
        << e.what();
  }
  test::write_bytes(dir.file("day.csv"), "start,duration,pitch\n0,86000,60\n");
  EXPECT_EQ(io::read_score(dir.file("day.csv")).size(), 1u);
}

TEST(ScoreIo, MusicXmlUnpitchedNotesAreDrumNotesAtTheirInstrumentsKey) {
  // A drum part whose instruments are a bass drum (GM 36: midi-unpitched 37) and a snare (38:
  // 39), and a note naming no known instrument (left out with a warning).
  const std::string xml =
      "<?xml version=\"1.0\"?>\n<score-partwise><part-list>"
      "<score-part id=\"P1\"><part-name>Piano</part-name></score-part>"
      "<score-part id=\"P2\"><part-name>Drumset</part-name>"
      "<score-instrument id=\"P2-I36\"><instrument-name>Bass Drum</instrument-name></score-instrument>"
      "<score-instrument id=\"P2-I38\"><instrument-name>Snare</instrument-name></score-instrument>"
      "<midi-instrument id=\"P2-I36\"><midi-channel>10</midi-channel><midi-unpitched>37</midi-unpitched></midi-instrument>"
      "<midi-instrument id=\"P2-I38\"><midi-channel>10</midi-channel><midi-unpitched>39</midi-unpitched></midi-instrument>"
      "</score-part></part-list>\n"
      "<part id=\"P1\"><measure><attributes><divisions>1</divisions></attributes>"
      "<note><pitch><step>C</step><octave>4</octave></pitch><duration>4</duration></note></measure></part>\n"
      "<part id=\"P2\"><measure><attributes><divisions>1</divisions></attributes>"
      "<note><unpitched><display-step>F</display-step><display-octave>4</display-octave></unpitched><duration>1</duration><instrument id=\"P2-I36\"/></note>"
      "<note><unpitched><display-step>C</display-step><display-octave>5</display-octave></unpitched><duration>1</duration><instrument id=\"P2-I38\"/></note>"
      "<note><unpitched><display-step>G</display-step><display-octave>5</display-octave></unpitched><duration>2</duration><instrument id=\"P2-I99\"/></note>"
      "</measure></part></score-partwise>\n";
  const io::ScoreFile f = io::parse_musicxml(xml, "band.xml");
  ASSERT_EQ(f.score.size(), 3u);
  std::vector<int> drums;
  for (const Note& n : f.score.notes())
    if (is_drum(n)) drums.push_back(n.pitch);
    else EXPECT_EQ(n.pitch, 60);
  EXPECT_EQ(drums, (std::vector<int>{36, 38}));
  EXPECT_EQ(f.percussion_notes, 2u);
  ASSERT_EQ(f.warnings.size(), 1u);
  EXPECT_NE(f.warnings[0].find("1 unpitched"), std::string::npos) << f.warnings[0];
}

// Bars (Score::bars, issue #36's bar/beat position): MIDI time signatures through the tempo map.
TEST(ScoreIo, MidiBarsFromTimeSignaturesAndTempo) {
  // 3/4 at tick 0, 120 bpm then 60 bpm from tick 1440 (bar 2); a note from 0 to tick 3360.
  const std::string t0 = bytes({0x00, 0xff, 0x58, 0x04, 3, 2, 24, 8}) + bytes({0x00, 0xff, 0x51, 0x03, 0x07, 0xa1, 0x20}) +
                         bytes({0x8b, 0x20, 0xff, 0x51, 0x03, 0x0f, 0x42, 0x40}) + kEnd;
  const std::string t1 = bytes({0x00, 0x90, 60, 100, 0x9a, 0x20, 0x80, 60, 0}) + kEnd;  // off at 3360
  const Score s = io::parse_midi(smf({t0, t1}), "b.mid");
  ASSERT_EQ(s.bars().size(), 3u);  // bars at ticks 0, 1440, 2880 (< 3360)
  EXPECT_EQ(s.bars()[1].number, 2);
  ASSERT_EQ(s.bars()[0].beats.size(), 3u);
  EXPECT_NEAR(s.bars()[0].beats[2], 1.0, 1e-9);  // the third quarter at 120 bpm
  EXPECT_NEAR(s.bars()[1].start, 1.5, 1e-9);
  EXPECT_NEAR(s.bars()[1].beats[1], 2.5, 1e-9);  // 60 bpm from bar 2
  EXPECT_NEAR(s.bars()[2].start, 4.5, 1e-9);
  const BarBeat b = s.bar_beat(3.0);  // half-way through bar 2's second beat
  EXPECT_EQ(b.bar, 2);
  EXPECT_NEAR(b.beat, 2.5, 1e-9);
  // No time signature: no bars.
  EXPECT_TRUE(io::parse_midi(smf({t1}), "n.mid").bars().empty());
}

// MusicXML measures: numbers as written, a pickup of one beat, a change of time signature.
TEST(ScoreIo, MusicXmlBarsFromMeasures) {
  const auto note = [](int d) {
    return "<note><pitch><step>C</step><octave>4</octave></pitch><duration>" + std::to_string(d) + "</duration></note>";
  };
  const Score s = io::parse_musicxml(
      mxml("<measure number=\"0\"><attributes><divisions>1</divisions><time><beats>3</beats><beat-type>4</beat-type></time></attributes>" +
           note(1) + "</measure><measure number=\"1\">" + note(3) +
           "</measure><measure number=\"2\"><attributes><time><beats>3+3</beats><beat-type>8</beat-type></time></attributes>" +
           note(3) + "</measure>"),
      "p.xml").score;
  ASSERT_EQ(s.bars().size(), 3u);
  EXPECT_EQ(s.bars()[0].number, 0);
  EXPECT_EQ(s.bars()[0].beats.size(), 1u);  // the pickup holds one quarter
  EXPECT_EQ(s.bars()[1].number, 1);
  EXPECT_NEAR(s.bars()[1].start, 0.5, 1e-9);  // 120 bpm
  EXPECT_EQ(s.bars()[1].beats.size(), 3u);
  EXPECT_EQ(s.bars()[2].beats.size(), 6u);  // six eighths
  EXPECT_NEAR(s.bars()[2].beats[1] - s.bars()[2].beats[0], 0.25, 1e-9);
  EXPECT_EQ(s.bar_beat(0.25).bar, 0);
  EXPECT_NEAR(s.bar_beat(1.25).beat, 2.5, 1e-9);
}
