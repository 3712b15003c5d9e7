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

struct NameRow {
  Family family;
  bool qualifier;     // counts only where no instrument name is found
  const char* names;  // comma-separated
};
// Names of instruments and parts as musicians write them, by family, in English, German, French
// and Italian, with the usual abbreviations (written without their dot: "Vc." is matched as
// "vc"). Compared after lower-casing, dropping accents (é -> e, ö -> o, ß -> ss, œ -> oe) and
// joining words ("cor anglais", "Cor-anglais" and "coranglais" are one name); plurals are tried
// by the rules of kPlurals. A name made of several words is written with spaces here.
// Qualifiers (voice ranges, "bass") count only when no instrument name is found: "Alto Sax" is a
// saxophone, "Bass Clarinet" a clarinet, "Tenor" a voice.
constexpr NameRow kNameRows[] = {
    {Family::Piano, false,
     "piano, pianoforte, fortepiano, klavier, clavier, flugel, konzertflugel, pf, pfte, pno, "
     "keyboard, keys, kbd, tastatur, electric piano, e piano, epiano, rhodes, wurlitzer, "
     "harpsichord, cembalo, clavecin, clavicembalo, hpd, hpsd, cemb, clav, spinet, spinett, virginal, "
     "clavichord, clavicordo, clavicorde, clavinet, "
     "left, right, l, r, lh, rh, hand, hands, treble, links, rechts, linke hand, rechte hand, gauche, droite, main gauche, "
     "main droite, sinistra, destra, mano sinistra, mano destra"},
    {Family::ChromaticPercussion, false,
     "mallets, mallet, celesta, celeste, glockenspiel, glock, glockenspiele, campanelli, carillon, vibraphone, vibraphon, "
     "vibrafono, vibes, vib, vibr, marimba, marimbaphon, mar, xylophone, xylophon, xilofono, xylofono, xyl, xylo, "
     "tubular bells, tubular bell, bells, bell, glocken, rohrenglocken, campane, campana, cloches, cloche, chimes, "
     "dulcimer, hackbrett, cimbalom, zimbal, cymbalum, music box, spieluhr, crotales"},
    {Family::Organ, false,
     "organ, orgel, orgue, organo, org, pipe organ, church organ, hammond, harmonium, reed organ, accordion, accordian, "
     "akkordeon, accordeon, fisarmonica, fisa, acc, akk, bandoneon, bandonion, concertina, harmonica, mundharmonika, "
     "armonica, melodica"},
    {Family::Plucked, false,
     "plucked, guitar, gitarre, guitare, chitarra, gtr, git, gt, chit, acoustic guitar, electric guitar, e gitarre, "
     "bass guitar, electric bass, e bass, bassgitarre, basse electrique, fretless bass, "
     "harp, harfe, harpe, arpa, hp, hpf, hrp, arp, lute, laute, luth, liuto, theorbo, theorbe, tiorba, archlute, "
     "mandolin, mandoline, mandolino, mand, mdn, banjo, bjo, ukulele, uke, sitar, koto, shamisen, zither, cetra, "
     "cithare, balalaika, bouzouki, oud, kalimba, pizzicato, pizz, cittern, vihuela"},
    {Family::Strings, false,
     "strings, string, streicher, cordes, archi, bowed, "
     "violin, violine, geige, violon, violino, vn, vln, vl, vio, "
     "viola, bratsche, viole, va, vla, vle, "
     "violoncello, violoncelle, cello, vc, vlc, vcl, vcs, vcello, "
     "contrabass, kontrabass, contrebasse, contrabbasso, double bass, doublebass, string bass, upright bass, "
     "cb, kb, db, cbs, kbs, violone, "
     "viol, viola da gamba, gamba, gambe, viole de gambe, viola d amore, fiddle, erhu, rebec, arpeggione, "
     "tremolo strings, string ensemble"},
    {Family::Woodwind, false,
     "woodwind, woodwinds, winds, wind, holzblaser, holz, bois, legni, "
     "flute, flote, flauto, fl, flt, fte, querflote, traverso, flauto traverso, flute traversiere, traversiere, "
     "transverse flute, alto flute, altflote, bass flute, bassflote, "
     "piccolo, pikkolo, piccoloflote, kleine flote, ottavino, petite flute, picc, pic, "
     "recorder, blockflote, flute a bec, flauto dolce, flauto diritto, rec, blfl, "
     "oboe, hautbois, oboe d amore, hautbois d amour, oboe da caccia, ob, hb, "
     "english horn, cor anglais, corno inglese, englischhorn, englisch horn, eh, c ingl, "
     "clarinet, klarinette, clarinette, clarinetto, cl, clt, clar, kl, klar, bass clarinet, bassklarinette, "
     "clarinette basse, clarinetto basso, clarone, bcl, bkl, basset horn, bassetthorn, cor de basset, "
     "corno di bassetto, chalumeau, "
     "bassoon, fagott, basson, fagotto, bsn, bn, fg, fag, fgt, bssn, "
     "contrabassoon, double bassoon, kontrafagott, contrebasson, controfagotto, cbsn, kfg, cfg, "
     "saxophone, saxophon, saxofon, saxofono, sassofono, sax, saxes, saxphone, "
     "soprano sax, alto sax, tenor sax, baritone sax, bari sax, soprano saxophone, alto saxophone, tenor saxophone, "
     "baritone saxophone, sopransaxophon, altsaxophon, tenorsaxophon, baritonsaxophon, altsax, tenorsax, "
     "saxophone alto, saxophone tenor, sax alto, sax tenore, ssx, asx, tsx, bsx, "
     "shakuhachi, pan flute, panflote, flute de pan, bagpipe, bagpipes, dudelsack, cornemuse, zampogna, "
     "shanai, shehnai, ocarina, whistle, tin whistle, blown bottle, duduk, bansuri, heckelphone, heckelphon"},
    {Family::Brass, false,
     "brass, blechblaser, blech, cuivres, ottoni, "
     "trumpet, trompete, trompette, tromba, clarino, tpt, trp, tp, tr, trpt, piccolo trumpet, "
     "trombone, posaune, pos, tromb, tbn, trb, tbne, trbn, bass trombone, bassposaune, "
     "tuba, tba, tb, basstuba, wagner tuba, wagnertuba, sousaphone, helicon, "
     "horn, french horn, hn, hr, hrn, waldhorn, ventilhorn, cor, corno, cor d harmonie, corno da caccia, "
     "cornet, kornett, cornetta, cornet a pistons, crt, cnt, flugelhorn, flicorno, bugle, euphonium, euph, "
     "baritone horn, tenor horn, tenorhorn, alto horn, althorn, ophicleide, serpent, sackbut"},
    {Family::Voice, false,
     "voice, voices, vocal, vocals, vox, vocalist, singer, singers, choir, chorus, chor, choeur, coro, "
     "gesang, singstimme, voix, voce, chant, canto, mezzo soprano, mezzosopran, mezzosoprano, mezzo, mez, "
     "countertenor, contralto, kontraalt, haute contre, controtenore, lead vocal, lead vocals, aahs, oohs"},
    {Family::Synth, false, "synth, synthesizer, synthesiser, synthetiseur, sintetizzatore, pad, lead, fx"},
    {Family::Percussion, false,
     "percussion, percussions, perc, schlagzeug, schlagwerk, batterie, percussioni, "
     "drums, drum, drum kit, drumkit, drumset, drum set, kit, timpani, timp, timb, pauken, pauke, pk, timbales, "
     "timbale, timballes, snare, snare drum, kick, bass drum, tom, toms, cymbal, cymbals, becken, hi hat, hihat, "
     "tambourine, tamburin, tambourin, tamburello, triangle, triangel, triangolo, cajon, conga, congas, bongo, "
     "bongos, woodblock, wood block, claves, castanets, kastagnetten, castagnettes, gong, tam tam, tamtam, "
     "trommel, kleine trommel, grosse trommel, caisse claire, grosse caisse, tamburo, piatti, grancassa, "
     "cowbell, agogo, taiko"},
    // Qualifiers: voice ranges (a voice when no instrument is named) and "bass" (a plucked bass
    // when nothing else is said: the General MIDI bass).
    {Family::Voice, true,
     "soprano, sopran, sop, alto, alt, contraalto, tenor, tenore, ten, baritone, bariton, baritono, "
     "treble voice, descant, discant, diskant"},
    {Family::Plucked, true, "bass, basse, basso, bs"},
};

// Plural endings tried on a name that is not found as written: violins, flutes, Violinen,
// Hörner, violini, oboi, trombe, viole.
constexpr std::pair<const char*, const char*> kPlurals[] = {
    {"s", ""}, {"es", ""}, {"n", ""}, {"en", ""}, {"er", ""}, {"e", ""}, {"i", "o"}, {"i", "e"}, {"e", "a"}, {"i", ""}};

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

namespace {

// Lower-case letters of a label with accents dropped; every other character is a word break.
// UTF-8 (é = C3 A9) and Latin-1 bytes (é = E9, as old MIDI files write track names) both work.
std::vector<std::string> label_words(const std::string& label) {
  // U+00C0..U+00FF without their accents ("" : a word break: × ÷).
  static constexpr const char* kLatin1[64] = {
      "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i", "d", "n", "o", "o", "o", "o",
      "o", "",  "o", "u", "u", "u", "u", "y", "th", "ss", "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e",
      "i", "i", "i", "i", "d", "n", "o", "o", "o", "o", "o", "",  "o", "u", "u", "u", "u", "y", "th", "y"};
  std::vector<std::string> words;
  std::string w;
  auto letters = [&](const char* l) {
    if (*l == 0 && !w.empty()) {
      words.push_back(w);
      w.clear();
    }
    w += l;
  };
  const std::string text = label + " ";
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    const auto next = i + 1 < text.size() ? static_cast<unsigned char>(text[i + 1]) : 0u;
    if (std::isalpha(c) && c < 0x80) {
      w += static_cast<char>(std::tolower(c));
    } else if ((c == 0xC3 || c == 0xC5) && (next & 0xC0) == 0x80) {  // UTF-8 of U+00C0..U+00FF, U+0140..U+017F
      const unsigned cp = ((c & 0x1Fu) << 6) | (next & 0x3Fu);
      ++i;
      if (cp >= 0xC0 && cp <= 0xFF) letters(kLatin1[cp - 0xC0]);
      else if (cp == 0x152 || cp == 0x153) letters("oe");  // Œ œ (chœur)
      else letters("");
    } else if (c >= 0xC0 && (next & 0xC0) != 0x80) {  // a Latin-1 byte
      letters(kLatin1[c - 0xC0]);
    } else if (!w.empty()) {
      words.push_back(w);
      w.clear();
    }
  }
  return words;
}

std::string without_spaces(const std::string& s) {
  std::string out;
  for (char c : s)
    if (c != ' ') out += c;
  return out;
}

struct KnownName {
  Family family;
  bool qualifier;
  std::string name;  // as written in the table
};

// The table as a map from the joined name ("coranglais") to its row.
const std::map<std::string, KnownName>& known_names() {
  static const std::map<std::string, KnownName> names = [] {
    std::map<std::string, KnownName> m;
    for (const NameRow& row : kNameRows) {
      std::string list = row.names;
      std::size_t start = 0;
      while (start <= list.size()) {
        std::size_t end = list.find(',', start);
        if (end == std::string::npos) end = list.size();
        std::string name = list.substr(start, end - start);
        name.erase(0, name.find_first_not_of(' '));
        name.erase(name.find_last_not_of(' ') + 1);
        if (!name.empty()) m.emplace(without_spaces(name), KnownName{row.family, row.qualifier, name});
        start = end + 1;
      }
    }
    return m;
  }();
  return names;
}

const KnownName* find_name(const std::string& joined) {
  const auto& names = known_names();
  if (auto it = names.find(joined); it != names.end()) return &it->second;
  for (const auto& [ending, singular] : kPlurals) {
    const std::string e = ending;
    if (joined.size() < e.size() + 2 || joined.compare(joined.size() - e.size(), e.size(), e) != 0) continue;
    if (auto it = names.find(joined.substr(0, joined.size() - e.size()) + singular); it != names.end()) return &it->second;
  }
  return nullptr;
}

}  // namespace

LabelInstrument instrument_of_label(const std::string& label) {
  const std::vector<std::string> words = label_words(label);
  // The whole label a General MIDI name ("Electric Bass (finger)", "Pad 4 (choir)"): its program.
  std::string all;
  for (const auto& w : words) all += w;
  if (!all.empty())
    for (int p = 0; p < 128; ++p) {
      std::string gm;
      for (const auto& w : label_words(gm_program_name(p))) gm += w;
      if (gm == all) return {family_of_program(p), gm_program_name(p)};
    }
  // Else the first name found, the longest of those starting at its word, up to three words
  // ("cor anglais" before "cor", "Englisch Horn", "piano violin" a piano); a qualifier only
  // where no instrument name is found ("Alto Sax" a saxophone).
  const KnownName* best = nullptr;
  std::size_t best_start = 0;
  for (std::size_t i = 0; i < words.size(); ++i) {
    std::string joined;
    for (std::size_t j = i; j < words.size() && j < i + 3; ++j) {
      joined += words[j];
      const KnownName* k = find_name(joined);
      if (k == nullptr) continue;
      // Iterating by start, then length: a later find replaces the best only if it is longer
      // at the same start, or the first instrument name after qualifiers.
      const bool better = best == nullptr || (best->qualifier && !k->qualifier) ||
                          (best->qualifier == k->qualifier && i == best_start);
      if (better) {
        best = k;
        best_start = i;
      }
    }
  }
  if (best == nullptr) return {};
  return {best->family, best->name};
}

Family family_of_label(const std::string& label) { return instrument_of_label(label).family; }

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

// The model of a label whose instrument is unknown (chosen by measurement, docs/RESULTS.md,
// "Unknown instrument names").
constexpr const char* kNeutralModel =
    "an unknown instrument (templates of its own, no onset templates, +-50 cent bands, mask exponent 2)";

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
      const LabelInstrument named = instrument_of_label(label);
      io.family = named.family;
      if (io.family != Family::Unknown) io.source = "label name '" + named.name + "'";
    }
    if (io.family == Family::Unknown) {
      // Not the General MIDI default (a piano): its onset templates would take the other
      // parts' sound if the part is bowed, blown or sung; the neutral model is the least
      // harmful whatever it is (set_defaults).
      io.source = "unknown name: neutral model";
      plan.warnings.push_back("label '" + label + "': no MIDI program and no instrument of this name known; modelled as " +
                              kNeutralModel + ": give its family with {setting:instruments=" + label + "=FAMILY} (" +
                              family_names() + ")");
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
    if (assumed) plan.reason += " (some instruments unknown: give {setting:instruments=LABEL=FAMILY})";
  } else {
    plan.chosen = timbre;
    plan.reason = "{setting:timbre=" + timbre_name(timbre) + "}";
  }

  if (plan.chosen == Timbre::Shared) {
    SourceModel s;
    s.name = "all";
    s.labels = labels;
    bool struck = false;
    Family sustained = Family::Unknown;  // a bowed, blown or sung family among them
    for (const auto& i : plan.instruments) {
      struck = struck || is_struck(i.family);
      if (!is_struck(i.family) && i.family != Family::Unknown) sustained = i.family;
    }
    s.family = one_instrument || plan.instruments.size() == 1 ? first : sustained;
    set_defaults(s, struck || plan.instruments.empty());  // all unknown: the neutral model (below)
    plan.sources.push_back(s);
  } else {
    for (const auto& i : plan.instruments) {
      SourceModel s;
      s.name = i.label;
      s.labels = {i.label};
      s.family = i.family;
      // Unknown: the neutral model, a sustained instrument's (its own templates, no onset
      // templates, +-50 cents, 30 partials) with the piano's mask exponent 2 (mask_alpha).
      // Labels replaced by unknown names (docs/RESULTS.md, "Unknown instrument names"): the
      // piano's model (the old fallback) loses 3.8 dB on Bach10 01-05, its flat onset templates
      // taking the winds' and strings' sound; this one loses 0.1 dB there and 2.0 dB on the
      // piano pieces, and gains 0.3 dB on the rendered piano ensembles.
      set_defaults(s, is_struck(i.family));
      plan.sources.push_back(s);
    }
  }
  return plan;
}

}  // namespace notewise
