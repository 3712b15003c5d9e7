#include "notewise/score/instrument.hpp"

#include <gtest/gtest.h>

#include "notewise/core/error.hpp"

using namespace notewise;

namespace {
Note note(double t, int pitch, const std::string& label, int program = -1, int channel = -1) {
  Note n;
  n.onset = t;
  n.duration = 0.5;
  n.pitch = pitch;
  n.label = label;
  n.program = program;
  n.channel = channel;
  return n;
}
}  // namespace

TEST(Instrument, FamilyOfGmPrograms) {
  EXPECT_EQ(family_of_program(0), Family::Piano);
  EXPECT_EQ(family_of_program(40), Family::Strings);     // violin
  EXPECT_EQ(family_of_program(45), Family::Plucked);     // pizzicato strings
  EXPECT_EQ(family_of_program(46), Family::Plucked);     // harp
  EXPECT_EQ(family_of_program(71), Family::Woodwind);    // clarinet
  EXPECT_EQ(family_of_program(56), Family::Brass);       // trumpet
  EXPECT_EQ(family_of_program(52), Family::Voice);       // choir aahs
  EXPECT_EQ(family_of_program(25), Family::Plucked);     // steel guitar
  EXPECT_EQ(family_of_program(128), Family::Unknown);
  EXPECT_EQ(gm_program_name(40), "Violin");
  EXPECT_EQ(gm_program_name(70), "Bassoon");
  EXPECT_EQ(gm_program_name(-1), "");
}

TEST(Instrument, FamilyOfLabelWords) {
  EXPECT_EQ(family_of_label("violin"), Family::Strings);
  EXPECT_EQ(family_of_label("Clarinet in Bb"), Family::Woodwind);
  EXPECT_EQ(family_of_label("Violin 2"), Family::Strings);
  EXPECT_EQ(family_of_label("violin1"), Family::Strings);
  EXPECT_EQ(family_of_label("left"), Family::Piano);
  EXPECT_EQ(family_of_label("Soprano"), Family::Voice);
  EXPECT_EQ(family_of_label("Bass Clarinet"), Family::Woodwind);  // the instrument word wins over "bass"
  EXPECT_EQ(family_of_label("double bass"), Family::Plucked);     // "bass" alone: a plucked bass
  EXPECT_EQ(family_of_label("Instrument 1"), Family::Unknown);
  EXPECT_EQ(parse_family("Strings"), Family::Strings);
  EXPECT_EQ(parse_family("oboe"), Family::Woodwind);
  EXPECT_THROW(parse_family("kazoo"), InvalidArgument);
}

TEST(Instrument, AutoSharesThePianoHandsAndSplitsAQuartet) {
  const Score hands({note(0, 60, "left"), note(0, 64, "right")});
  const TimbrePlan h = plan_timbre(hands, Timbre::Auto);
  EXPECT_EQ(h.chosen, Timbre::Shared);
  ASSERT_EQ(h.sources.size(), 1u);
  EXPECT_TRUE(h.sources[0].onset_templates);
  EXPECT_EQ(h.sources[0].tolerance_cents, 0);

  const Score quartet({note(0, 72, "violin"), note(0, 67, "clarinet"), note(0, 48, "bassoon")});
  const TimbrePlan q = plan_timbre(quartet, Timbre::Auto);
  EXPECT_EQ(q.chosen, Timbre::PerLabel);
  ASSERT_EQ(q.sources.size(), 3u);
  for (const auto& s : q.sources) {
    EXPECT_FALSE(s.onset_templates) << s.name;  // bowed and blown: no attack templates
    EXPECT_EQ(s.tolerance_cents, 50) << s.name;
    EXPECT_EQ(s.partials, 30) << s.name;
    EXPECT_DOUBLE_EQ(s.after, 0.3) << s.name;  // no ringing past the offset
  }
  // Forced shared on a quartet: one source, no onsets (no label is struck).
  const TimbrePlan f = plan_timbre(quartet, Timbre::Shared);
  ASSERT_EQ(f.sources.size(), 1u);
  EXPECT_FALSE(f.sources[0].onset_templates);
}

TEST(Instrument, ProgramsAndGivenInstrumentsDecide) {
  // MIDI tracks without instrument names: the programs say violin and piano.
  const Score s({note(0, 72, "track1", 40), note(0, 48, "track2", 0)});
  const TimbrePlan p = plan_timbre(s, Timbre::Auto);
  EXPECT_EQ(p.chosen, Timbre::PerLabel);
  EXPECT_EQ(p.instruments[0].family, Family::Strings);
  EXPECT_EQ(p.instruments[1].family, Family::Piano);
  EXPECT_TRUE(p.sources[1].onset_templates);
  EXPECT_FALSE(p.sources[0].onset_templates);
  // --instrument overrides the program.
  const TimbrePlan g = plan_timbre(s, Timbre::Auto, {{"track1", Family::Piano}});
  EXPECT_EQ(g.chosen, Timbre::Shared);
  EXPECT_THROW(plan_timbre(s, Timbre::Auto, {{"nosuch", Family::Piano}}), InvalidArgument);
  // Channel 10 is percussion; unknown names are assumed piano, and the plan says so.
  const Score d({note(0, 36, "kit", -1, 9), note(0, 60, "a"), note(0, 64, "b")});
  const TimbrePlan dp = plan_timbre(d, Timbre::Auto);
  EXPECT_EQ(dp.instruments[0].family, Family::Percussion);
  EXPECT_EQ(dp.instruments[1].family, Family::Piano);
  EXPECT_NE(dp.instruments[1].source.find("assumed"), std::string::npos);
  EXPECT_NE(dp.reason.find("assumed"), std::string::npos);
}
