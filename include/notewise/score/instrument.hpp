#pragma once
// Instruments of a score and the timbre model they call for.
//
// Each label of a score (a hand, a part, a track) is played by an instrument of a family. The
// family sets the model's defaults for its notes: struck and plucked instruments get onset
// templates (a broadband attack), bowed, blown and sung ones do not; sustained instruments get
// template bands in cents, capped at a number of partials, so that the upper partials of low notes
// stay apart and vibrato stays inside the band (docs/RESULTS.md, "Real quartets").
//
// Timbre: labels played by one instrument (the two hands of a piano) share one template per
// pitch; labels played by different instruments (a violin and a clarinet) get templates of
// their own, so that the masks can tell them apart by timbre where they play the same pitch.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "notewise/score/score.hpp"

namespace notewise {

enum class Family { Piano, ChromaticPercussion, Organ, Plucked, Strings, Woodwind, Brass, Voice, Synth, Percussion, Unknown };

// "piano", "strings", ... (the names --instrument takes); parse_family throws InvalidArgument
// naming the accepted names.
std::string family_name(Family f);
Family parse_family(const std::string& name);
// Every name parse_family accepts, comma-separated (for help texts and messages).
std::string family_names();

// The General MIDI family of a program 0..127 (GM level 1 sound set): 0-7 piano, 8-15 chromatic
// percussion, 16-23 organ, 24-39 guitar and bass (plucked), 40-44 and 48-51 strings (45
// pizzicato and 46 harp plucked, 47 timpani percussion), 52-54 voice, 55 orchestra hit, 56-63
// brass, 64-79 reed and pipe (woodwind), 80-103 synth, 104-108 plucked, 109-111 woodwind and
// strings, 112-119 percussion, 120-127 effects (synth). Out of range: Unknown.
Family family_of_program(int program);
// GM level 1 instrument name of a program ("Acoustic Grand Piano", "Violin", ...); "" out of range.
std::string gm_program_name(int program);
// The instrument a label names, as musicians write it: every General MIDI instrument name, and
// the usual names, synonyms and abbreviations in English, German, French and Italian ("Fagott",
// "cor anglais", "Vc.", "Klarinette in B", "Violino 2", "Flûtes", "Hörner"), case, accents,
// numbers, "I/II" and "in Bb/A/F" ignored, plurals tried. The first name found wins, the
// longest at its place ("cor anglais", not "cor"; "Piano left" a piano); voice ranges and
// "bass" count only where no instrument is named ("Bass Clarinet" is a clarinet, "Alto Sax" a
// saxophone, "Tenor" a voice, "Bass" a plucked bass). family Unknown and name ""
// when no name is known.
struct LabelInstrument {
  Family family = Family::Unknown;
  std::string name;  // the name found, as notewise's table writes it ("fagott", "cor anglais")
};
LabelInstrument instrument_of_label(const std::string& label);
Family family_of_label(const std::string& label);  // instrument_of_label(label).family

// True for families whose notes start with a broadband attack (onset templates help).
bool is_struck(Family f);

enum class Timbre { Shared, PerLabel, Auto };
std::string timbre_name(Timbre t);
Timbre parse_timbre(const std::string& name);  // shared | per-label | auto

// What a source's notes are modelled with (overrides of ConstraintOptions' template fields).
struct SourceModel {
  std::string name;                 // the label, or "all" for a shared model
  std::vector<std::string> labels;  // the labels it plays
  Family family = Family::Unknown;
  bool onset_templates = true;
  double tolerance_cents = 0;       // 0: ConstraintOptions' relative tolerance
  int partials = 0;                 // 0: ConstraintOptions' partials
  double after = -1;                // s of activation after each offset; < 0: ConstraintOptions' after
};

struct InstrumentOf {
  std::string label;
  Family family = Family::Unknown;
  std::string source;  // where it came from: "--instrument", "MIDI program 40 (Violin)", "label name", "assumed"
};

struct TimbrePlan {
  Timbre chosen = Timbre::Shared;    // Shared or PerLabel
  std::string reason;                // one sentence, for the report and stderr
  std::vector<InstrumentOf> instruments;  // per label, in order of first appearance
  std::vector<SourceModel> sources;  // one (shared) or one per label
  // One line each, for the front ends to show even when told to be quiet: labels whose
  // instrument is unknown (no program, no known name) and get the neutral model.
  std::vector<std::string> warnings;
};

// The instruments of the score's labels and the timbre model for them. Instrument per label,
// first found of: `given` (--instrument LABEL=family), the notes' MIDI program (if every note of
// the label has one; GM channel 10 percussion counts as Percussion), the label's words; else
// piano, the GM default, and the plan says it was assumed. Auto chooses per-label templates
// unless every label is one keyboard or plucked instrument (the hands of a piano, the staves of
// a harp), which one player plays. Throws InvalidArgument for a `given` label not in the score.
TimbrePlan plan_timbre(const Score& score, Timbre timbre, const std::map<std::string, Family>& given = {});

}  // namespace notewise
