#include "notewise/score/instrument.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <set>

#include "notewise/core/error.hpp"

namespace notewise {
namespace {

constexpr std::array<const char*, 128> kGmNames = {
    "Acoustic Grand Piano", "Bright Acoustic Piano", "Electric Grand Piano", "Honky-tonk Piano", "Electric Piano 1",
    "Electric Piano 2", "Harpsichord", "Clavinet", "Celesta", "Glockenspiel", "Music Box", "Vibraphone", "Marimba",
    "Xylophone", "Tubular Bells", "Dulcimer", "Drawbar Organ", "Percussive Organ", "Rock Organ", "Church Organ",
    "Reed Organ", "Accordion", "Harmonica", "Tango Accordion", "Acoustic Guitar (nylon)", "Acoustic Guitar (steel)",
    "Electric Guitar (jazz)", "Electric Guitar (clean)", "Electric Guitar (muted)", "Overdriven Guitar",
    "Distortion Guitar", "Guitar Harmonics", "Acoustic Bass", "Electric Bass (finger)", "Electric Bass (pick)",
    "Fretless Bass", "Slap Bass 1", "Slap Bass 2", "Synth Bass 1", "Synth Bass 2", "Violin", "Viola", "Cello",
    "Contrabass", "Tremolo Strings", "Pizzicato Strings", "Orchestral Harp", "Timpani", "String Ensemble 1",
    "String Ensemble 2", "Synth Strings 1", "Synth Strings 2", "Choir Aahs", "Voice Oohs", "Synth Voice",
    "Orchestra Hit", "Trumpet", "Trombone", "Tuba", "Muted Trumpet", "French Horn", "Brass Section", "Synth Brass 1",
    "Synth Brass 2", "Soprano Sax", "Alto Sax", "Tenor Sax", "Baritone Sax", "Oboe", "English Horn", "Bassoon",
    "Clarinet", "Piccolo", "Flute", "Recorder", "Pan Flute", "Blown Bottle", "Shakuhachi", "Whistle", "Ocarina",
    "Lead 1 (square)", "Lead 2 (sawtooth)", "Lead 3 (calliope)", "Lead 4 (chiff)", "Lead 5 (charang)",
    "Lead 6 (voice)", "Lead 7 (fifths)", "Lead 8 (bass + lead)", "Pad 1 (new age)", "Pad 2 (warm)",
    "Pad 3 (polysynth)", "Pad 4 (choir)", "Pad 5 (bowed)", "Pad 6 (metallic)", "Pad 7 (halo)", "Pad 8 (sweep)",
    "FX 1 (rain)", "FX 2 (soundtrack)", "FX 3 (crystal)", "FX 4 (atmosphere)", "FX 5 (brightness)", "FX 6 (goblins)",
    "FX 7 (echoes)", "FX 8 (sci-fi)", "Sitar", "Banjo", "Shamisen", "Koto", "Kalimba", "Bagpipe", "Fiddle", "Shanai",
    "Tinkle Bell", "Agogo", "Steel Drums", "Woodblock", "Taiko Drum", "Melodic Tom", "Synth Drum", "Reverse Cymbal",
    "Guitar Fret Noise", "Breath Noise", "Seashore", "Bird Tweet", "Telephone Ring", "Helicopter", "Applause",
    "Gunshot"};

struct FamilyName {
  Family family;
  const char* name;
};
constexpr std::array<FamilyName, 11> kFamilies = {{{Family::Piano, "piano"},
                                                   {Family::ChromaticPercussion, "mallets"},
                                                   {Family::Organ, "organ"},
                                                   {Family::Plucked, "plucked"},
                                                   {Family::Strings, "strings"},
                                                   {Family::Woodwind, "woodwind"},
                                                   {Family::Brass, "brass"},
                                                   {Family::Voice, "voice"},
                                                   {Family::Synth, "synth"},
                                                   {Family::Percussion, "percussion"},
                                                   {Family::Unknown, "unknown"}}};

// Words of instrument and part names, matched whole (lower case). The hands and staves of a
// keyboard count as piano.
struct Word {
  const char* word;
  Family family;
};
constexpr Word kWords[] = {
    {"piano", Family::Piano}, {"pianoforte", Family::Piano}, {"keyboard", Family::Piano}, {"keys", Family::Piano},
    {"harpsichord", Family::Piano}, {"clavichord", Family::Piano}, {"clavinet", Family::Piano},
    {"cembalo", Family::Piano}, {"rhodes", Family::Piano}, {"left", Family::Piano}, {"right", Family::Piano},
    {"lh", Family::Piano}, {"rh", Family::Piano}, {"hand", Family::Piano}, {"treble", Family::Piano},
    {"celesta", Family::ChromaticPercussion}, {"glockenspiel", Family::ChromaticPercussion},
    {"vibraphone", Family::ChromaticPercussion}, {"marimba", Family::ChromaticPercussion},
    {"xylophone", Family::ChromaticPercussion}, {"bells", Family::ChromaticPercussion},
    {"dulcimer", Family::ChromaticPercussion}, {"organ", Family::Organ}, {"accordion", Family::Organ},
    {"harmonium", Family::Organ}, {"harmonica", Family::Organ}, {"guitar", Family::Plucked},
    {"bass", Family::Plucked}, {"harp", Family::Plucked}, {"lute", Family::Plucked}, {"mandolin", Family::Plucked},
    {"banjo", Family::Plucked}, {"ukulele", Family::Plucked}, {"sitar", Family::Plucked}, {"koto", Family::Plucked},
    {"pizzicato", Family::Plucked}, {"pizz", Family::Plucked}, {"theorbo", Family::Plucked},
    {"violin", Family::Strings}, {"violins", Family::Strings}, {"viola", Family::Strings},
    {"violas", Family::Strings}, {"cello", Family::Strings}, {"cellos", Family::Strings},
    {"violoncello", Family::Strings}, {"contrabass", Family::Strings}, {"doublebass", Family::Strings},
    {"fiddle", Family::Strings}, {"strings", Family::Strings}, {"string", Family::Strings}, {"vn", Family::Strings},
    {"vla", Family::Strings}, {"vc", Family::Strings}, {"erhu", Family::Strings}, {"viol", Family::Strings},
    {"flute", Family::Woodwind}, {"piccolo", Family::Woodwind}, {"recorder", Family::Woodwind},
    {"oboe", Family::Woodwind}, {"clarinet", Family::Woodwind}, {"bassoon", Family::Woodwind},
    {"contrabassoon", Family::Woodwind}, {"saxophone", Family::Woodwind}, {"sax", Family::Woodwind},
    {"saxphone", Family::Woodwind}, {"cor", Family::Woodwind}, {"anglais", Family::Woodwind},
    {"shakuhachi", Family::Woodwind}, {"bagpipe", Family::Woodwind}, {"woodwind", Family::Woodwind},
    {"winds", Family::Woodwind}, {"trumpet", Family::Brass}, {"trombone", Family::Brass}, {"tuba", Family::Brass},
    {"horn", Family::Brass}, {"cornet", Family::Brass}, {"flugelhorn", Family::Brass}, {"euphonium", Family::Brass},
    {"brass", Family::Brass}, {"voice", Family::Voice}, {"vocals", Family::Voice}, {"vocal", Family::Voice},
    {"soprano", Family::Voice}, {"alto", Family::Voice}, {"tenor", Family::Voice}, {"baritone", Family::Voice},
    {"choir", Family::Voice}, {"singer", Family::Voice}, {"mezzo", Family::Voice}, {"synth", Family::Synth},
    {"drums", Family::Percussion}, {"drum", Family::Percussion}, {"percussion", Family::Percussion},
    {"timpani", Family::Percussion},
};

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

std::string family_name(Family f) {
  for (const auto& e : kFamilies)
    if (e.family == f) return e.name;
  return "unknown";
}

std::string family_names() {
  std::string s;
  for (const auto& e : kFamilies)
    if (e.family != Family::Unknown) s += (s.empty() ? "" : ", ") + std::string(e.name);
  return s;
}

Family parse_family(const std::string& name) {
  const std::string n = lower(name);
  for (const auto& e : kFamilies)
    if (e.family != Family::Unknown && n == e.name) return e.family;
  // A concrete instrument name is accepted too ("violin" -> strings).
  const Family f = family_of_label(n);
  if (f != Family::Unknown) return f;
  throw InvalidArgument("unknown instrument '" + name + "': expected one of " + family_names() +
                        " (or an instrument name such as violin, clarinet, trumpet, soprano)");
}

Family family_of_program(int p) {
  if (p < 0 || p > 127) return Family::Unknown;
  if (p <= 7) return Family::Piano;
  if (p <= 15) return Family::ChromaticPercussion;
  if (p <= 23) return Family::Organ;
  if (p <= 39) return Family::Plucked;
  if (p <= 44) return Family::Strings;
  if (p <= 46) return Family::Plucked;
  if (p == 47) return Family::Percussion;
  if (p <= 51) return Family::Strings;
  if (p <= 54) return Family::Voice;
  if (p == 55) return Family::Synth;
  if (p <= 63) return Family::Brass;
  if (p <= 79) return Family::Woodwind;
  if (p <= 103) return Family::Synth;
  if (p <= 108) return Family::Plucked;
  if (p <= 109) return Family::Woodwind;
  if (p <= 110) return Family::Strings;
  if (p <= 111) return Family::Woodwind;
  if (p <= 119) return Family::Percussion;
  return Family::Synth;
}

std::string gm_program_name(int program) {
  return program >= 0 && program <= 127 ? kGmNames[static_cast<std::size_t>(program)] : "";
}

Family family_of_label(const std::string& label) {
  // Words: runs of letters; "Clarinet in Bb" -> clarinet, in, bb; "violin1" -> violin.
  std::vector<std::string> words;
  std::string w;
  for (char c : label + " ") {
    if (std::isalpha(static_cast<unsigned char>(c))) {
      w += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    } else if (!w.empty()) {
      words.push_back(w);
      w.clear();
    }
  }
  // "double bass", "bass guitar", "bass clarinet": the instrument word wins over "bass".
  Family found = Family::Unknown;
  for (const auto& word : words)
    for (const auto& e : kWords)
      if (word == e.word) {
        if (word != "bass") return e.family;
        found = e.family;
      }
  return found;
}

bool is_struck(Family f) {
  return f == Family::Piano || f == Family::ChromaticPercussion || f == Family::Plucked || f == Family::Percussion;
}

std::string timbre_name(Timbre t) {
  return t == Timbre::Shared ? "shared" : t == Timbre::PerLabel ? "per-label" : "auto";
}

Timbre parse_timbre(const std::string& name) {
  if (name == "shared") return Timbre::Shared;
  if (name == "per-label") return Timbre::PerLabel;
  if (name == "auto") return Timbre::Auto;
  throw InvalidArgument("{setting:timbre=" + name + "}: expected shared, per-label or auto");
}

namespace {

// Band and onsets for a source of these instruments (measured on Bach10 01-05 and the piano
// pieces, docs/RESULTS.md): struck instruments keep the ConstraintOptions band (relative, all
// partials) and onset templates; sustained ones (bowed, blown, sung) have no attack to model,
// and get +-50 cents (tolerates vibrato, keeps a low note's upper partials apart) and at most 30
// partials (beyond them a low note's comb would cover the whole spectrum); and, as their sound
// stops soon after the player does (no string left ringing, no pedal), activations only 0.3 s
// past each offset instead of ConstraintOptions' after.
void set_defaults(SourceModel& s, bool struck) {
  s.onset_templates = struck;
  s.after = struck ? -1 : 0.3;
  s.tolerance_cents = struck ? 0 : 50;
  s.partials = struck ? 0 : 30;
}

}  // namespace

TimbrePlan plan_timbre(const Score& score, Timbre timbre, const std::map<std::string, Family>& given) {
  TimbrePlan plan;
  const std::vector<std::string> labels = score.labels();
  for (const auto& [label, family] : given)
    if (std::find(labels.begin(), labels.end(), label) == labels.end()) {
      std::string all;
      for (const auto& l : labels) all += (all.empty() ? "" : ", ") + l;
      throw InvalidArgument("{setting:instruments=" + label + "=" + family_name(family) + "}: the score has no label '" + label +
                            "' (its labels: " + all + ")");
    }
  bool assumed = false;
  for (const auto& label : labels) {
    InstrumentOf io{label, Family::Unknown, ""};
    if (auto it = given.find(label); it != given.end()) {
      io.family = it->second;
      io.source = "{setting:instruments}";
    }
    if (io.family == Family::Unknown) {
      // The MIDI program, if every note of the label has the same one.
      std::set<int> programs;
      bool drums = false, all_known = true;
      for (const Note& n : score.notes())
        if (n.label == label) {
          if (n.channel == 9) drums = true;
          if (n.program < 0) all_known = false;
          else programs.insert(n.program);
        }
      if (drums) {
        io.family = Family::Percussion;
        io.source = "MIDI channel 10 (GM percussion)";
      } else if (all_known && programs.size() == 1) {
        const int p = *programs.begin();
        io.family = family_of_program(p);
        io.source = "MIDI program " + std::to_string(p) + " (" + gm_program_name(p) + ")";
      }
    }
    if (io.family == Family::Unknown) {
      io.family = family_of_label(label);
      if (io.family != Family::Unknown) io.source = "label name";
    }
    if (io.family == Family::Unknown) {
      io.family = Family::Piano;  // the General MIDI default instrument
      io.source = "assumed (no program, unknown name)";
      assumed = true;
    }
    plan.instruments.push_back(io);
  }

  // One player's instrument: every label the same keyboard or plucked family.
  const Family first = plan.instruments.empty() ? Family::Unknown : plan.instruments[0].family;
  bool one_instrument = true;
  for (const auto& i : plan.instruments)
    one_instrument = one_instrument && i.family == first;
  one_instrument = one_instrument && (first == Family::Piano || first == Family::Organ || first == Family::Plucked ||
                                      first == Family::ChromaticPercussion);
  if (timbre == Timbre::Auto) {
    plan.chosen = labels.size() <= 1 || one_instrument ? Timbre::Shared : Timbre::PerLabel;
    plan.reason = labels.size() <= 1 ? "one label: one set of templates"
                  : one_instrument   ? "every label is played on one " + family_name(first) +
                                         ": its labels share one template per pitch"
                                     : "the labels are different instruments: each has its own templates";
    if (assumed) plan.reason += " (some instruments assumed to be piano: give {setting:instruments=LABEL=FAMILY})";
  } else {
    plan.chosen = timbre;
    plan.reason = "{setting:timbre=" + timbre_name(timbre) + "}";
  }

  if (plan.chosen == Timbre::Shared) {
    SourceModel s;
    s.name = "all";
    s.labels = labels;
    bool struck = false;
    for (const auto& i : plan.instruments) struck = struck || is_struck(i.family);
    s.family = one_instrument || plan.instruments.size() == 1 ? first : Family::Unknown;
    set_defaults(s, struck || plan.instruments.empty());
    plan.sources.push_back(s);
  } else {
    for (const auto& i : plan.instruments) {
      SourceModel s;
      s.name = i.label;
      s.labels = {i.label};
      s.family = i.family;
      set_defaults(s, is_struck(i.family));
      plan.sources.push_back(s);
    }
  }
  return plan;
}

}  // namespace notewise
