#include "notewise/score/instrument.hpp"

#include <gtest/gtest.h>

#include <cctype>

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
  EXPECT_EQ(family_of_label("double bass"), Family::Strings);
  EXPECT_EQ(family_of_label("Bass"), Family::Plucked);  // "bass" alone: the General MIDI (plucked) bass
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
  // Channel 10 is percussion; unknown names get the neutral model, and the plan warns of each.
  const Score d({note(0, 36, "kit", -1, 9), note(0, 60, "a"), note(0, 64, "zork 2")});
  const TimbrePlan dp = plan_timbre(d, Timbre::Auto);
  EXPECT_EQ(dp.instruments[0].family, Family::Percussion);
  EXPECT_EQ(dp.instruments[1].family, Family::Unknown);
  EXPECT_NE(dp.instruments[1].source.find("neutral"), std::string::npos);
  // The neutral model: its own templates, no onset templates, a sustained instrument's band.
  ASSERT_EQ(dp.sources.size(), 3u);
  EXPECT_FALSE(dp.sources[1].onset_templates);
  EXPECT_EQ(dp.sources[1].tolerance_cents, 50);
  EXPECT_EQ(dp.sources[1].partials, 30);
  const TimbrePlan one = plan_timbre(Score({note(0, 60, "zork")}), Timbre::Auto);  // shared: the same model
  ASSERT_EQ(one.sources.size(), 1u);
  EXPECT_FALSE(one.sources[0].onset_templates);
  EXPECT_EQ(one.sources[0].tolerance_cents, 50);
  EXPECT_EQ(one.sources[0].family, Family::Unknown);
  EXPECT_NE(dp.reason.find("unknown"), std::string::npos);
  ASSERT_EQ(dp.warnings.size(), 2u);
  EXPECT_NE(dp.warnings[0].find("'a'"), std::string::npos);
  EXPECT_NE(dp.warnings[1].find("'zork 2'"), std::string::npos);
  EXPECT_NE(dp.warnings[1].find("{setting:instruments=zork 2=FAMILY}"), std::string::npos);
}

// Names as musicians write them, in four languages, with abbreviations, numbers, keys, plurals,
// case and accents; each row one name and the family it must give.
TEST(Instrument, NamesInFourLanguages) {
  const std::pair<const char*, Family> rows[] = {
      // English
      {"Violin I", Family::Strings}, {"Vln. 2", Family::Strings}, {"1st Violins", Family::Strings},
      {"Viola", Family::Strings}, {"Vla.", Family::Strings}, {"Violoncello", Family::Strings},
      {"Vc.", Family::Strings}, {"Cellos", Family::Strings}, {"Double Bass", Family::Strings},
      {"Contrabass", Family::Strings}, {"Cb.", Family::Strings}, {"Flute", Family::Woodwind},
      {"Fl. 1", Family::Woodwind}, {"Piccolo", Family::Woodwind}, {"Oboe II", Family::Woodwind},
      {"Ob.", Family::Woodwind}, {"English Horn", Family::Woodwind}, {"englishhorn", Family::Woodwind},
      {"Clarinet in Bb", Family::Woodwind}, {"Clarinet in B\xe2\x99\xad", Family::Woodwind},
      {"Cl. in A", Family::Woodwind}, {"Bass Clarinet", Family::Woodwind}, {"Bassoon 1", Family::Woodwind},
      {"Bsn.", Family::Woodwind}, {"Contrabassoon", Family::Woodwind}, {"Alto Sax", Family::Woodwind},
      {"Tenor Saxophone", Family::Woodwind}, {"Recorder", Family::Woodwind}, {"Horn in F", Family::Brass},
      {"French Horns", Family::Brass}, {"Hn. 3", Family::Brass}, {"Trumpet in C", Family::Brass},
      {"Tpt.", Family::Brass}, {"Trombone", Family::Brass}, {"Tbn.", Family::Brass}, {"Tuba", Family::Brass},
      {"Cornet", Family::Brass}, {"Flugelhorn", Family::Brass}, {"Euphonium", Family::Brass},
      {"Piano", Family::Piano}, {"Pno.", Family::Piano}, {"Harpsichord", Family::Piano},
      {"Piano right hand", Family::Piano}, {"Harp", Family::Plucked}, {"Guitar", Family::Plucked},
      {"Bass Guitar", Family::Plucked}, {"Lute", Family::Plucked}, {"Timpani", Family::Percussion},
      {"Timp.", Family::Percussion}, {"Snare Drum", Family::Percussion}, {"Bass Drum", Family::Percussion},
      {"Marimba", Family::ChromaticPercussion}, {"Glock.", Family::ChromaticPercussion},
      {"Tubular Bells", Family::ChromaticPercussion}, {"Organ", Family::Organ}, {"Accordion", Family::Organ},
      {"Soprano", Family::Voice}, {"Alto", Family::Voice}, {"Tenor", Family::Voice}, {"Choir", Family::Voice},
      {"Voice", Family::Voice}, {"Mezzo-soprano", Family::Voice}, {"Synth Pad", Family::Synth},
      // German
      {"Violine 1", Family::Strings}, {"Violinen", Family::Strings}, {"Geige", Family::Strings},
      {"Bratsche", Family::Strings}, {"Violoncelli", Family::Strings}, {"Kontrabass", Family::Strings},
      {"Kontrabässe", Family::Strings}, {"Kb.", Family::Strings}, {"Flöte", Family::Woodwind},
      {"Flöten", Family::Woodwind}, {"Querflöte", Family::Woodwind}, {"Blockflöte", Family::Woodwind},
      {"Oboen", Family::Woodwind}, {"Englischhorn", Family::Woodwind}, {"Klarinette in B", Family::Woodwind},
      {"Klarinetten", Family::Woodwind}, {"Bassklarinette", Family::Woodwind}, {"Fagott", Family::Woodwind},
      {"Fagotte", Family::Woodwind}, {"Fg.", Family::Woodwind}, {"Kontrafagott", Family::Woodwind},
      {"Altsaxophon", Family::Woodwind}, {"Horn in F", Family::Brass}, {"Hörner", Family::Brass},
      {"Waldhorn", Family::Brass}, {"Trompete", Family::Brass}, {"Trompeten in B", Family::Brass},
      {"Posaune", Family::Brass}, {"Pos.", Family::Brass}, {"Klavier", Family::Piano}, {"Flügel", Family::Piano},
      {"Cembalo", Family::Piano}, {"Harfe", Family::Plucked}, {"Gitarre", Family::Plucked},
      {"Pauken", Family::Percussion}, {"Schlagzeug", Family::Percussion}, {"Orgel", Family::Organ},
      {"Akkordeon", Family::Organ}, {"Sopran", Family::Voice}, {"Chor", Family::Voice}, {"Gesang", Family::Voice},
      // French
      {"Violon I", Family::Strings}, {"Violons", Family::Strings}, {"Violoncelle", Family::Strings},
      {"Contrebasse", Family::Strings}, {"Flûte", Family::Woodwind}, {"Petite flûte", Family::Woodwind},
      {"Flûte à bec", Family::Woodwind}, {"Hautbois", Family::Woodwind}, {"cor anglais", Family::Woodwind},
      {"Cor Anglais", Family::Woodwind}, {"Clarinette en si bémol", Family::Woodwind}, {"Basson", Family::Woodwind},
      {"Contrebasson", Family::Woodwind}, {"Cor en fa", Family::Brass}, {"Cors", Family::Brass},
      {"Trompette", Family::Brass}, {"Trombones", Family::Brass}, {"Harpe", Family::Plucked},
      {"Guitare", Family::Plucked}, {"Clavecin", Family::Piano}, {"Orgue", Family::Organ},
      {"Timbales", Family::Percussion}, {"Voix", Family::Voice}, {"Chœur", Family::Voice},
      {"CH\xc5\x92UR", Family::Voice}, {"Ténor", Family::Voice}, {"Célesta", Family::ChromaticPercussion},
      // Italian
      {"Violino 2", Family::Strings}, {"Violini I", Family::Strings}, {"Viole", Family::Strings},
      {"Violoncello", Family::Strings}, {"Contrabbasso", Family::Strings}, {"Flauto traverso", Family::Woodwind},
      {"Flauti", Family::Woodwind}, {"Ottavino", Family::Woodwind}, {"Oboi", Family::Woodwind},
      {"Corno inglese", Family::Woodwind}, {"Clarinetto in La", Family::Woodwind}, {"Fagotto", Family::Woodwind},
      {"Fagotti", Family::Woodwind}, {"Corno in Fa", Family::Brass}, {"Corni", Family::Brass},
      {"Tromba", Family::Brass}, {"Trombe", Family::Brass}, {"Arpa", Family::Plucked},
      {"Chitarra", Family::Plucked}, {"Pianoforte", Family::Piano}, {"Clavicembalo", Family::Piano},
      {"Organo", Family::Organ}, {"Timpani", Family::Percussion}, {"Coro", Family::Voice}, {"Voce", Family::Voice},
      {"Tenore", Family::Voice}, {"Sassofono contralto", Family::Woodwind},
      // Latin-1 bytes (old MIDI track names): "Flöte" with ö = F6.
      {"Fl\xf6te", Family::Woodwind},
  };
  for (const auto& [name, family] : rows)
    EXPECT_EQ(family_name(family_of_label(name)), family_name(family)) << name;
  EXPECT_EQ(instrument_of_label("Fagott 1").name, "fagott");
  EXPECT_EQ(instrument_of_label("Cor Anglais").name, "cor anglais");
  EXPECT_EQ(family_of_label("piano violin"), Family::Piano);  // the first name found
  EXPECT_EQ(family_of_label("l"), Family::Piano);             // the hands, as the examples write them
  EXPECT_EQ(family_of_label("R"), Family::Piano);
  EXPECT_EQ(family_of_label("Violin (piano reduction)"), Family::Strings);
  // Unknown names stay unknown: no table name hidden in them.
  for (const char* name : {"Instrument 1", "Part B", "track 3", "zork", "P1", "Staff"})
    EXPECT_EQ(family_of_label(name), Family::Unknown) << name;
}

// Every General MIDI instrument name gives its program's family.
TEST(Instrument, EveryGeneralMidiName) {
  for (int p = 0; p < 128; ++p) {
    EXPECT_EQ(family_of_label(gm_program_name(p)), family_of_program(p)) << gm_program_name(p);
    std::string upper = gm_program_name(p);
    for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    EXPECT_EQ(family_of_label(upper), family_of_program(p)) << upper;
  }
}
