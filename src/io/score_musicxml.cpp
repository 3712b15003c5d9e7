// MusicXML scores (.musicxml, .xml, compressed .mxl): pugixml parses, libzip unpacks. Only
// what sounds is read: parts, staves, voices, pitches (with transposition), durations in
// divisions, chords, backup/forward, ties, grace notes, tempo and dynamics, repeats.
#include <pugixml.hpp>
#include <zip.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>

#include "notewise/core/error.hpp"
#include "notewise/io/score_io.hpp"
#include "notewise/score/instrument.hpp"

namespace notewise::io {
namespace {

constexpr std::size_t kMaxExpandedMeasures = 100000;       // repeats expanded: a bound on what a file may ask
constexpr std::size_t kMaxXmlBytes = std::size_t{64} << 20;  // an .mxl member, unpacked
constexpr double kAcciaccaturaSeconds = 0.065;              // as MuseScore plays a slashed grace note
constexpr double kDefaultVelocity = 80;                     // mf, where the score marks no dynamics
constexpr double kMinBpm = 1, kMaxBpm = 10000;              // tempo marks outside are ignored (and said)

class Xml {
 public:
  Xml(const std::string& text, const std::string& name) : text_(text), name_(name) {}
  std::size_t line_of(std::ptrdiff_t offset) const {
    if (offset < 0) return 0;
    const auto end = text_.begin() + std::min<std::ptrdiff_t>(offset, static_cast<std::ptrdiff_t>(text_.size()));
    return 1 + static_cast<std::size_t>(std::count(text_.begin(), end, '\n'));
  }
  [[noreturn]] void fail(const pugi::xml_node& at, const std::string& what) const {
    throw ParseError(name_, line_of(at.offset_debug()), what);
  }
  const std::string& name() const { return name_; }

 private:
  const std::string& text_;
  const std::string& name_;
};

double number_of(const Xml& x, const pugi::xml_node& n, const char* what) {
  const std::string t = n.child_value();
  char* end = nullptr;
  const double v = std::strtod(t.c_str(), &end);
  if (t.empty() || end == t.c_str() || !std::isfinite(v)) x.fail(n, std::string(what) + " '" + t + "' is not a number");
  return v;
}

// A whole number in lo .. hi (a file's 1e300 must not reach a conversion to int: undefined).
int int_of(const Xml& x, const pugi::xml_node& n, const char* what, double lo, double hi) {
  const double v = number_of(x, n, what);
  if (!(v >= lo && v <= hi))
    x.fail(n, std::string(what) + " " + n.child_value() + " is outside " + std::to_string(static_cast<long>(lo)) + " .. " +
                  std::to_string(static_cast<long>(hi)));
  return static_cast<int>(std::lround(v));
}

// v as an int where it lies in lo .. hi, else `otherwise`.
int int_or(double v, int lo, int hi, int otherwise) { return v >= lo && v <= hi ? static_cast<int>(std::lround(v)) : otherwise; }

double attr_number(const Xml& x, const pugi::xml_node& n, const char* attr) {
  const std::string t = n.attribute(attr).value();
  char* end = nullptr;
  const double v = std::strtod(t.c_str(), &end);
  if (t.empty() || end == t.c_str() || !std::isfinite(v))
    x.fail(n, std::string("<") + n.name() + " " + attr + "=\"" + t + "\"> is not a number");
  return v;
}

// A note as read, in quarter notes from the start of the (expanded) piece.
struct Ev {
  double onset_q = 0, dur_q = 0;
  int pitch = 60;
  double velocity = kDefaultVelocity;
  std::size_t part = 0;
  int staff = 1;
  bool drum = false;  // unpitched, or on MIDI channel 10: channel 9 (is_drum)
  // Grace notes: the principal note they lead into, their rank among its graces and count.
  long principal = -1;
  int rank = 0, count = 0;
  bool slash = false;
  int graces = 0;         // on a principal: how many graces lead into it
  bool acciaccatura = false;  // on a principal: its graces are slashed
  double onset_s = 0, dur_s = 0;
};

struct Tempo {
  double q, bpm;
};

struct Part {
  std::string id, name;
  int program = -1, channel = -1;  // 0-based, -1 if the score names none
  std::map<std::string, int> unpitched;  // <midi-instrument id> -> its GM drum key (0-based)
  std::vector<pugi::xml_node> measures;
};

// Dynamics marks as MIDI velocities (MuseScore's values), for marks without <sound dynamics>.
double mark_velocity(const std::string& m) {
  static const std::map<std::string, double> v = {{"pppp", 8},  {"ppp", 16}, {"pp", 33},  {"p", 49},  {"mp", 64},
                                                  {"mf", 80},   {"f", 96},   {"ff", 112}, {"fff", 126}, {"ffff", 127},
                                                  {"sfz", 112}, {"sf", 112}, {"fz", 112}, {"sffz", 126}};
  const auto it = v.find(m);
  return it == v.end() ? -1 : it->second;
}

// The order measures sound in: repeats (times="N", default twice) and first/second endings
// expanded as written; da capo / dal segno jumps once, then al fine or al coda, repeats not
// taken again after the jump (the usual convention).
std::vector<std::size_t> play_order(const Xml& x, const std::vector<pugi::xml_node>& measures) {
  const std::size_t n = measures.size();
  std::vector<std::vector<int>> endings(n);  // the passes each measure belongs to (empty: all)
  std::vector<int> backward_times(n, 0);     // > 0: a backward repeat at the end, taken times-1 times
  std::vector<bool> forward(n, false), fine(n, false), dacapo(n, false);
  std::vector<std::string> segno(n), dalsegno(n), coda(n), tocoda(n);
  std::vector<int> open_ending;
  for (std::size_t i = 0; i < n; ++i) {
    std::vector<int> started;
    bool stop_after = false;
    for (const auto& b : measures[i].children("barline")) {
      if (const auto r = b.child("repeat")) {
        const std::string dir = r.attribute("direction").value();
        if (dir == "forward") forward[i] = true;
        if (dir == "backward") {
          const int times = r.attribute("times") ? int_or(attr_number(x, r, "times"), 1, 1000, 0) : 2;
          if (times < 1) x.fail(r, "repeat times=\"" + std::string(r.attribute("times").value()) + "\" (1 .. 1000)");
          backward_times[i] = times;
        }
      }
      if (const auto e = b.child("ending")) {
        const std::string type = e.attribute("type").value();
        if (type == "start") {
          std::string nums = e.attribute("number").value();
          std::replace(nums.begin(), nums.end(), ',', ' ');
          std::istringstream in(nums);
          for (int k; in >> k;) started.push_back(k);
          if (started.empty()) x.fail(e, "ending without a number");
          open_ending = started;
        } else if (type == "stop" || type == "discontinue") {
          stop_after = true;
        }
      }
    }
    endings[i] = open_ending;
    if (stop_after) open_ending.clear();
    for (const auto& s : measures[i].select_nodes(".//sound")) {
      const auto node = s.node();
      if (std::string(node.attribute("dacapo").value()) == "yes") dacapo[i] = true;
      if (std::string(node.attribute("fine").value()).size() > 0) fine[i] = true;
      if (node.attribute("segno")) segno[i] = node.attribute("segno").value();
      if (node.attribute("dalsegno")) dalsegno[i] = node.attribute("dalsegno").value();
      if (node.attribute("coda")) coda[i] = node.attribute("coda").value();
      if (node.attribute("tocoda")) tocoda[i] = node.attribute("tocoda").value();
    }
  }
  std::vector<std::size_t> order;
  std::vector<int> taken(n, 0);
  std::size_t i = 0, section = 0;
  int pass = 1;
  bool jumped = false;
  while (i < n) {
    if (order.size() > kMaxExpandedMeasures)
      x.fail(measures[i], "repeats expand to more than " + std::to_string(kMaxExpandedMeasures) + " measures");
    if (forward[i] && !jumped && i != section) {
      section = i;
      pass = 1;
    }
    if (!endings[i].empty() && std::find(endings[i].begin(), endings[i].end(), pass) == endings[i].end()) {
      ++i;  // an ending of another pass
      continue;
    }
    order.push_back(i);
    if (jumped && fine[i]) break;
    if (jumped && !tocoda[i].empty()) {
      std::size_t k = 0;
      while (k < n && coda[k] != tocoda[i]) ++k;
      if (k < n) {
        i = k;
        continue;
      }
    }
    if (backward_times[i] > 0 && !jumped) {
      if (taken[i] < backward_times[i] - 1) {
        ++taken[i];
        ++pass;
        i = section;
        continue;
      }
      taken[i] = 0;
      section = i + 1;
      pass = 1;
    }
    if (!jumped && (dacapo[i] || !dalsegno[i].empty())) {
      jumped = true;
      std::size_t k = 0;
      if (!dalsegno[i].empty())
        while (k < n && segno[k] != dalsegno[i]) ++k;
      i = k < n ? k : 0;
      pass = 1;
      continue;
    }
    ++i;
  }
  return order;
}

// The state a part carries from measure to measure, in document order.
struct PartState {
  double divisions = 1;
  int chromatic = 0;  // <transpose>: written pitch + chromatic + 12 * octave-change sounds
  int staves = 1;
};

// Applies an <attributes> element.
void read_attributes(const Xml& x, const pugi::xml_node& a, PartState& st) {
  if (const auto d = a.child("divisions")) {
    st.divisions = number_of(x, d, "divisions");
    // Whole numbers in practice; a tiny value would make every duration enormous.
    if (!(st.divisions >= 1 && st.divisions <= 1e6)) x.fail(d, "divisions " + std::string(d.child_value()) + " is outside 1 .. 1000000");
  }
  if (const auto t = a.child("transpose"))
    st.chromatic = (t.child("chromatic") ? int_of(x, t.child("chromatic"), "chromatic", -127, 127) : 0) +
                   12 * (t.child("octave-change") ? int_of(x, t.child("octave-change"), "octave-change", -10, 10) : 0);
  if (const auto s = a.child("staves")) st.staves = std::max(1, int_of(x, s, "staves", 0, 1000));
}

double duration_of(const Xml& x, const pugi::xml_node& n, const PartState& st) {
  const auto d = n.child("duration");
  if (!d) return 0;
  const double v = number_of(x, d, "duration");
  if (v < 0 || v > 1e9) x.fail(d, "duration " + std::string(d.child_value()) + " is out of range");
  return v / st.divisions;
}

// The length of a measure in quarter notes: how far its cursor got.
double measure_length(const Xml& x, const pugi::xml_node& m, PartState& st) {
  double cursor = 0, longest = 0;
  for (const auto& c : m.children()) {
    const std::string tag = c.name();
    if (tag == "attributes") read_attributes(x, c, st);
    else if (tag == "note") {
      if (c.child("grace") || c.child("chord")) continue;
      cursor += duration_of(x, c, st);
    } else if (tag == "backup") cursor = std::max(0.0, cursor - duration_of(x, c, st));
    else if (tag == "forward") cursor += duration_of(x, c, st);
    longest = std::max(longest, cursor);
  }
  return longest;
}

int midi_pitch(const Xml& x, const pugi::xml_node& p, int chromatic) {
  static const int base[] = {9, 11, 0, 2, 4, 5, 7};  // A .. G
  const std::string step = p.child_value("step");
  if (step.size() != 1 || step[0] < 'A' || step[0] > 'G') x.fail(p, "pitch step '" + step + "' (expected A .. G)");
  const double alter = p.child("alter") ? number_of(x, p.child("alter"), "alter") : 0;
  if (!p.child("octave")) x.fail(p, "pitch without an octave");
  const double octave = number_of(x, p.child("octave"), "octave");
  // Checked before anything is converted to an integer (an octave of 1e300 is no pitch).
  const double midi = std::round(base[step[0] - 'A'] + alter + 12 * (octave + 1)) + chromatic;  // microtones rounded
  if (!(midi >= 0 && midi <= 127))
    x.fail(p, "pitch " + step + " octave " + p.child_value("octave") + (p.child("alter") ? std::string(" alter ") + p.child_value("alter") : "") +
                  " lies outside MIDI 0 .. 127");
  return static_cast<int>(midi);
}

}  // namespace

ScoreFile parse_musicxml(const std::string& text, const std::string& name, const MidiOptions& options) {
  const Xml x(text, name);
  pugi::xml_document doc;
  const pugi::xml_parse_result ok = doc.load_buffer(text.data(), text.size(), pugi::parse_default);
  if (!ok) throw ParseError(name, x.line_of(ok.offset), std::string("not well-formed XML: ") + ok.description());
  const pugi::xml_node root = doc.document_element();
  if (std::string(root.name()) == "score-timewise")
    x.fail(root, "score-timewise MusicXML is not supported (export the score as partwise, the common form)");
  if (std::string(root.name()) != "score-partwise")
    x.fail(root, std::string("not a MusicXML score (the root element is <") + root.name() + ">, not <score-partwise>)");

  ScoreFile file;
  std::size_t unkeyed = 0;  // unpitched notes without a GM key
  file.format = "MusicXML";
  std::vector<Part> parts;
  for (const auto& sp : root.child("part-list").children("score-part")) {
    Part p;
    p.id = sp.attribute("id").value();
    p.name = sp.child_value("part-name");
    if (p.name.empty()) p.name = sp.child_value("part-abbreviation");
    if (p.name.empty()) p.name = p.id;
    if (const auto mi = sp.child("midi-instrument")) {
      // Counted from 1; out of range: as if not named.
      if (mi.child("midi-program")) p.program = int_or(number_of(x, mi.child("midi-program"), "midi-program") - 1, 0, 127, -1);
      if (mi.child("midi-channel")) p.channel = int_or(number_of(x, mi.child("midi-channel"), "midi-channel") - 1, 0, 15, -1);
    }
    // A drum kit's instruments: each its GM key (midi-unpitched counts from 1).
    for (const auto& mi : sp.children("midi-instrument"))
      if (mi.child("midi-unpitched")) {
        const int key = int_or(number_of(x, mi.child("midi-unpitched"), "midi-unpitched") - 1, 0, 127, -1);
        if (key >= 0 && key <= 127) p.unpitched[mi.attribute("id").value()] = key;
      }
    parts.push_back(p);
  }
  for (const auto& pe : root.children("part")) {
    const std::string id = pe.attribute("id").value();
    auto it = std::find_if(parts.begin(), parts.end(), [&](const Part& p) { return p.id == id; });
    if (it == parts.end()) {  // a part the part-list does not name: keep it, under its id
      parts.push_back({id, id.empty() ? "part" + std::to_string(parts.size() + 1) : id, -1, -1, {}, {}});
      it = parts.end() - 1;
    }
    for (const auto& m : pe.children("measure")) it->measures.push_back(m);
  }
  parts.erase(std::remove_if(parts.begin(), parts.end(), [](const Part& p) { return p.measures.empty(); }), parts.end());
  if (parts.empty()) x.fail(root, "holds no part with measures");

  // Measure lengths in document order (divisions can change on the way); a measure lasts as
  // long as its longest part.
  std::size_t measures = 0;
  for (const Part& p : parts) measures = std::max(measures, p.measures.size());
  std::vector<double> length(measures, 0);
  std::vector<std::vector<PartState>> state_at(parts.size());  // each part's state at each measure's start
  for (std::size_t pi = 0; pi < parts.size(); ++pi) {
    PartState st;
    for (std::size_t m = 0; m < parts[pi].measures.size(); ++m) {
      state_at[pi].push_back(st);
      length[m] = std::max(length[m], measure_length(x, parts[pi].measures[m], st));
    }
  }
  const std::vector<std::size_t> order = play_order(x, parts[0].measures);

  // Repeats multiply the notes written: the notes they expand to are counted before any is made.
  {
    std::size_t expanded = 0;
    for (const Part& part : parts) {
      std::vector<std::size_t> written(part.measures.size(), 0);
      for (std::size_t m = 0; m < part.measures.size(); ++m)
        for (const auto& c : part.measures[m].children("note")) written[m] += !c.child("rest");
      for (std::size_t m : order)
        if (m < written.size()) expanded += written[m];
    }
    if (expanded > kMaxScoreNotes)
      x.fail(root, "its repeats expand to " + std::to_string(expanded) + " notes, more than the " + std::to_string(kMaxScoreNotes) +
                       " a score may hold");
  }

  std::vector<Ev> evs;
  std::vector<Tempo> tempi;
  std::size_t odd_tempi = 0;  // tempo marks outside kMinBpm .. kMaxBpm
  std::vector<int> staves_used(parts.size(), 1);
  for (std::size_t pi = 0; pi < parts.size(); ++pi) {
    const Part& part = parts[pi];
    double start = 0;  // the measure's start in quarters
    double velocity = kDefaultVelocity;
    std::map<std::pair<int, int>, std::size_t> tied;  // (staff, pitch) -> the note a tie continues
    for (std::size_t m : order) {
      if (m >= part.measures.size()) {
        start += length[m];
        continue;
      }
      PartState st = state_at[pi][m];
      double cursor = 0, last_onset = 0;
      std::vector<std::size_t> pending_graces;
      const auto directions = [&](const pugi::xml_node& d, double at) {
        for (const auto& s : d.name() == std::string("sound") ? std::vector<pugi::xml_node>{d}
                                                              : std::vector<pugi::xml_node>{d.child("sound")}) {
          if (!s) continue;
          if (s.attribute("tempo")) {
            const double bpm = attr_number(x, s, "tempo");
            if (bpm >= kMinBpm && bpm <= kMaxBpm) tempi.push_back({at, bpm});
            else ++odd_tempi;
          }
          if (s.attribute("dynamics")) velocity = std::clamp(attr_number(x, s, "dynamics") * 0.9, 1.0, 127.0);
        }
        if (d.name() != std::string("direction") || d.child("sound")) return;
        for (const auto& dt : d.children("direction-type")) {
          // Marks without a <sound>: the metronome gives the tempo, dynamics their velocity.
          if (const auto mt = dt.child("metronome"); mt && mt.child("per-minute")) {
            static const std::map<std::string, double> unit = {{"whole", 4}, {"half", 2}, {"quarter", 1}, {"eighth", 0.5}, {"16th", 0.25}};
            const auto u = unit.find(mt.child_value("beat-unit"));
            const double per = std::strtod(mt.child_value("per-minute"), nullptr);
            const double bpm = per * (u == unit.end() ? 1.0 : u->second) * (mt.child("beat-unit-dot") ? 1.5 : 1.0);
            if (u != unit.end() && bpm >= kMinBpm && bpm <= kMaxBpm) tempi.push_back({at, bpm});
            else if (u != unit.end()) ++odd_tempi;
          }
          if (const auto dy = dt.child("dynamics"))
            for (const auto& mark : dy.children())
              if (const double v = mark_velocity(mark.name()); v > 0) velocity = v;
        }
      };
      for (const auto& c : part.measures[m].children()) {
        const std::string tag = c.name();
        if (tag == "attributes") {
          read_attributes(x, c, st);
        } else if (tag == "direction" || tag == "sound") {
          const double offset = c.child("offset") ? number_of(x, c.child("offset"), "offset") / st.divisions : 0;
          directions(c, start + cursor + offset);
        } else if (tag == "backup") {
          cursor = std::max(0.0, cursor - duration_of(x, c, st));
        } else if (tag == "forward") {
          cursor += duration_of(x, c, st);
        } else if (tag == "note") {
          const bool grace = c.child("grace");
          const bool chord = c.child("chord");
          const double dur = grace ? 0 : duration_of(x, c, st);
          const double onset = chord ? last_onset : cursor;
          if (!grace && !chord) {
            last_onset = cursor;
            cursor += dur;
          }
          if (c.child("rest") || c.child("cue")) continue;
          int pitch = -1;
          const bool drum = c.child("unpitched") || part.channel == 9;
          if (c.child("unpitched")) {
            // The key its instrument plays (the part's only one if the note names none).
            const std::string inst = c.child("instrument").attribute("id").value();
            const auto k = part.unpitched.find(inst);
            if (k != part.unpitched.end()) pitch = k->second;
            else if (inst.empty() && part.unpitched.size() == 1) pitch = part.unpitched.begin()->second;
            if (pitch < 0) {
              ++unkeyed;
              continue;
            }
          } else {
            if (!c.child("pitch")) continue;
            pitch = midi_pitch(x, c.child("pitch"), st.chromatic);
          }
          const int staff = c.child("staff") ? std::max(1, int_of(x, c.child("staff"), "staff", 0, 1000)) : 1;
          staves_used[pi] = std::max(staves_used[pi], staff);
          const double vel = c.attribute("dynamics") ? std::clamp(attr_number(x, c, "dynamics") * 0.9, 1.0, 127.0) : velocity;
          bool tie_start = false, tie_stop = false;
          for (const auto& t : c.children("tie")) {
            tie_start |= std::string(t.attribute("type").value()) == "start";
            tie_stop |= std::string(t.attribute("type").value()) == "stop";
          }
          if (!c.child("tie"))  // some writers give only the notation
            for (const auto& t : c.child("notations").children("tied")) {
              tie_start |= std::string(t.attribute("type").value()) == "start";
              tie_stop |= std::string(t.attribute("type").value()) == "stop";
            }
          const auto key = std::make_pair(staff, pitch);
          Ev e;
          e.onset_q = start + onset;
          e.dur_q = dur;
          e.pitch = pitch;
          e.velocity = vel;
          e.part = pi;
          e.staff = staff;
          e.drum = drum;
          if (grace) {
            e.slash = std::string(c.child("grace").attribute("slash").value()) == "yes";
            evs.push_back(e);
            pending_graces.push_back(evs.size() - 1);
            continue;
          }
          const auto open = tied.find(key);
          if (tie_stop && open != tied.end()) {
            // The tie carries the sound on: one longer note.
            Ev& held = evs[open->second];
            held.dur_q = std::max(held.dur_q, start + onset + dur - held.onset_q);
            if (!tie_start) tied.erase(open);
            continue;
          }
          evs.push_back(e);
          const std::size_t self = evs.size() - 1;
          if (tie_start) tied[key] = self;
          if (!pending_graces.empty()) {
            int rank = 0;
            for (std::size_t g : pending_graces) {
              evs[g].principal = static_cast<long>(self);
              evs[g].rank = rank++;
              evs[g].count = static_cast<int>(pending_graces.size());
              evs[g].onset_q = evs[self].onset_q;
            }
            evs[self].graces = static_cast<int>(pending_graces.size());
            evs[self].acciaccatura = evs[pending_graces[0]].slash;
            pending_graces.clear();
          }
        }
      }
      // Grace notes with nothing after them in the measure: kept as a short note.
      for (std::size_t g : pending_graces) evs[g].dur_q = 0.125;
      start += length[m];
    }
  }

  // Quarters to seconds through the tempo map (120 bpm until the first mark; of marks at one
  // place the first part's wins).
  std::stable_sort(tempi.begin(), tempi.end(), [](const Tempo& a, const Tempo& b) { return a.q < b.q; });
  std::vector<Tempo> map{{0, 120}};
  bool marked = false;  // map.back() comes from a mark (not the default)
  for (const Tempo& t : tempi) {
    if (std::abs(t.q - map.back().q) < 1e-9 || (t.q < map.back().q)) {
      if (!marked) map.back().bpm = t.bpm;
    } else {
      map.push_back(t);
    }
    marked = true;
  }
  std::vector<double> sec_at(map.size(), 0);
  for (std::size_t i = 1; i < map.size(); ++i) sec_at[i] = sec_at[i - 1] + (map[i].q - map[i - 1].q) * 60.0 / map[i - 1].bpm;
  const auto seconds = [&](double q) {
    const auto it = std::upper_bound(map.begin(), map.end(), q, [](double v, const Tempo& t) { return v < t.q; });
    const std::size_t i = it == map.begin() ? 0 : static_cast<std::size_t>(it - map.begin()) - 1;
    return sec_at[i] + (q - map[i].q) * 60.0 / map[i].bpm;
  };
  for (Ev& e : evs) {
    e.onset_s = seconds(e.onset_q);
    e.dur_s = seconds(e.onset_q + e.dur_q) - e.onset_s;
  }
  // Grace notes play on the beat and take their time from the principal note: a slashed one
  // (acciaccatura) 65 ms each, an appoggiatura half the principal's length; at most half of it.
  std::vector<double> grace_each(evs.size(), 0), beat(evs.size(), 0);
  for (std::size_t i = 0; i < evs.size(); ++i) {
    Ev& e = evs[i];
    if (e.graces == 0) continue;
    grace_each[i] = e.acciaccatura ? std::min(kAcciaccaturaSeconds, 0.5 * e.dur_s / e.graces) : 0.5 * e.dur_s / e.graces;
    beat[i] = e.onset_s;
    e.onset_s += grace_each[i] * e.graces;
    e.dur_s -= grace_each[i] * e.graces;
  }
  for (Ev& g : evs) {
    if (g.principal < 0) continue;
    const auto p = static_cast<std::size_t>(g.principal);
    g.onset_s = beat[p] + g.rank * grace_each[p];
    g.dur_s = grace_each[p];
  }
  if (odd_tempi > 0)
    file.warnings.push_back(name + ": " + std::to_string(odd_tempi) + " tempo mark(s) outside " + std::to_string(static_cast<int>(kMinBpm)) +
                            " .. " + std::to_string(static_cast<int>(kMaxBpm)) + " bpm ignored");
  if (unkeyed > 0)
    file.warnings.push_back(name + ": " + std::to_string(unkeyed) +
                            " unpitched (percussion) note(s) name no MIDI drum key (<midi-unpitched>): left out");

  // Labels: part names made distinct; staves of a part when asked (or when one part has several).
  std::vector<std::string> part_label(parts.size());
  {
    std::vector<std::string> assigned;
    std::map<std::string, std::vector<std::string>> renamed;
    std::set<std::size_t> sounding;
    for (const Ev& e : evs) sounding.insert(e.part);
    for (std::size_t pi : sounding) {
      std::string label = parts[pi].name;
      for (int k = 2; std::find(assigned.begin(), assigned.end(), label) != assigned.end(); ++k)
        label = parts[pi].name + " " + std::to_string(k);
      assigned.push_back(label);
      part_label[pi] = label;
      renamed[parts[pi].name].push_back(label);
    }
    file.tracks = static_cast<int>(sounding.size());
    for (std::size_t pi : sounding) file.staves += staves_used[pi];
    std::set<int> channels;
    for (std::size_t pi : sounding) channels.insert(parts[pi].channel);
    file.channels = static_cast<int>(channels.size());
    if (options.label_by == LabelBy::Auto || options.label_by == LabelBy::Track)
      for (const auto& [base, labels] : renamed)
        if (labels.size() > 1) {
          std::string list;
          for (const auto& l : labels) list += (list.empty() ? "'" : ", '") + l + "'";
          file.notices.push_back(name + ": " + std::to_string(labels.size()) + " parts are named '" + base + "': labelled " + list);
        }
  }
  LabelBy by = options.label_by;
  if (by == LabelBy::Auto) {
    by = file.tracks == 1 && file.staves > 1 ? LabelBy::Staff : LabelBy::Track;
    if (by == LabelBy::Staff)
      file.notices.push_back(name + ": one part on " + std::to_string(file.staves) +
                             " staves: labelled by staff ({setting:label_by=track} keeps one label)");
  }
  std::vector<Note> out;
  std::vector<std::size_t> idx(evs.size());
  for (std::size_t i = 0; i < idx.size(); ++i) idx[i] = i;
  std::stable_sort(idx.begin(), idx.end(), [&](std::size_t a, std::size_t b) { return evs[a].onset_s < evs[b].onset_s; });
  for (std::size_t i : idx) {
    const Ev& e = evs[i];
    if (!(e.dur_s > 0)) continue;  // a chord note of no duration, a grace with nothing to lead to
    const Part& part = parts[e.part];
    Note n;
    n.onset = e.onset_s;
    n.duration = e.dur_s;
    n.pitch = e.pitch;
    n.velocity = std::clamp(std::round(e.velocity), 1.0, 127.0);
    n.program = part.program;
    n.channel = e.drum ? 9 : part.channel;
    file.percussion_notes += e.drum;
    switch (by) {
      case LabelBy::Auto:
      case LabelBy::Track: n.label = part_label[e.part]; break;
      case LabelBy::Staff:
        n.label = staves_used[e.part] > 1 ? part_label[e.part] + " staff " + std::to_string(e.staff) : part_label[e.part];
        break;
      case LabelBy::Channel: n.label = part.channel >= 0 ? "channel" + std::to_string(part.channel) : part_label[e.part]; break;
      case LabelBy::Program: {
        const std::string gm = gm_program_name(std::max(0, part.program));
        n.label = gm.empty() ? "program" + std::to_string(part.program) : gm;
        break;
      }
    }
    n.index = out.size();
    out.push_back(std::move(n));
  }
  file.score = Score(std::move(out));

  // Bars: the measures in the order they sound, numbered as written, their beats from the time
  // signature (<time>: <beats> may be a sum, 3+2; 4/4 until the first) of the first part; a
  // measure shorter than its signature (a pickup) has the beats it holds.
  {
    std::vector<std::pair<int, int>> meter(parts[0].measures.size());
    std::pair<int, int> cur{4, 4};
    for (std::size_t m = 0; m < parts[0].measures.size(); ++m) {
      for (const auto& a : parts[0].measures[m].children("attributes"))
        if (const auto t = a.child("time"); t && t.child("beats") && t.child("beat-type")) {
          long beats = 0;  // "3+2": the sum
          for (const char* b = t.child_value("beats"); *b;) {
            char* end = nullptr;
            beats = std::clamp(beats + std::clamp(std::strtol(b, &end, 10), -1000L, 1000L), -100000L, 100000L);
            b = end == b ? b + 1 : end;
            if (*b == '+') ++b;
          }
          const int type = static_cast<int>(std::clamp(std::strtol(t.child_value("beat-type"), nullptr, 10), -1L, 1000L));
          if (beats >= 1 && beats <= 64 && type >= 1 && type <= 64) cur = {static_cast<int>(beats), type};
        }
      meter[m] = cur;
    }
    std::vector<Bar> bars;
    double q = 0;
    for (std::size_t m : order) {
      const double len = length[m];
      if (len > 1e-9) {
        const double beat = 4.0 / meter[m].second;
        const int count = std::clamp(static_cast<int>(std::ceil(len / beat - 1e-6)), 1, meter[m].first);
        Bar b;
        const char* written = parts[0].measures[m].attribute("number").value();  // "0" a pickup, "12a"
        b.number = written[0] >= '0' && written[0] <= '9' ? static_cast<int>(std::min(std::strtol(written, nullptr, 10), 1000000L))
                                                          : static_cast<int>(m) + 1;
        b.start = seconds(q);
        for (int k = 0; k < count; ++k) b.beats.push_back(seconds(q + k * beat));
        bars.push_back(std::move(b));
      }
      q += len;
    }
    try {
      file.score.set_bars(std::move(bars));
    } catch (const InvalidArgument&) {  // times past double precision: beats that do not increase
      file.warnings.push_back(name + ": its bars could not be placed in time (left out)");
    }
  }
  return file;
}

namespace {

struct ZipCloser {
  void operator()(zip_t* z) const { zip_discard(z); }
};

std::string read_member(zip_t* z, const std::string& member, const std::string& path) {
  zip_stat_t st;
  zip_stat_init(&st);
  if (zip_stat(z, member.c_str(), 0, &st) != 0) throw ParseError(path, 0, "the .mxl archive holds no '" + member + "'");
  if ((st.valid & ZIP_STAT_SIZE) == 0 || st.size > kMaxXmlBytes)
    throw ParseError(path, 0, "'" + member + "' in the .mxl archive is larger than 64 MiB unpacked");
  std::unique_ptr<zip_file_t, int (*)(zip_file_t*)> f(zip_fopen(z, member.c_str(), 0), zip_fclose);
  if (!f) throw ParseError(path, 0, "cannot unpack '" + member + "' from the .mxl archive: " + zip_strerror(z));
  std::string out(static_cast<std::size_t>(st.size), '\0');
  zip_int64_t got = 0;
  while (got < static_cast<zip_int64_t>(out.size())) {
    const zip_int64_t n = zip_fread(f.get(), out.data() + got, out.size() - static_cast<std::size_t>(got));
    if (n <= 0) throw ParseError(path, 0, "'" + member + "' in the .mxl archive is damaged (cut short or corrupt)");
    got += n;
  }
  return out;
}

}  // namespace

std::string unpack_mxl(const std::string& bytes, const std::string& path) {
  zip_error_t err;
  zip_error_init(&err);
  zip_source_t* src = zip_source_buffer_create(bytes.data(), bytes.size(), 0, &err);
  if (src == nullptr) throw ParseError(path, 0, "cannot read the .mxl archive");
  std::unique_ptr<zip_t, ZipCloser> z(zip_open_from_source(src, ZIP_RDONLY, &err));
  if (!z) {
    zip_source_free(src);
    const std::string why = zip_error_strerror(&err);
    zip_error_fini(&err);
    throw ParseError(path, 0, "not a compressed MusicXML (.mxl) file: " + why);
  }
  zip_error_fini(&err);
  // META-INF/container.xml names the score; without it, the first .musicxml/.xml file.
  std::string root;
  if (zip_name_locate(z.get(), "META-INF/container.xml", 0) >= 0) {
    const std::string container = read_member(z.get(), "META-INF/container.xml", path);
    pugi::xml_document doc;
    if (doc.load_buffer(container.data(), container.size()))
      root = doc.select_node("//rootfile").node().attribute("full-path").value();
  }
  if (root.empty())
    for (zip_int64_t i = 0; i < zip_get_num_entries(z.get(), 0); ++i) {
      const std::string n = zip_get_name(z.get(), static_cast<zip_uint64_t>(i), 0);
      if (n.rfind("META-INF/", 0) != 0 &&
          ((n.size() > 4 && n.compare(n.size() - 4, 4, ".xml") == 0) || (n.size() > 9 && n.compare(n.size() - 9, 9, ".musicxml") == 0))) {
        root = n;
        break;
      }
    }
  if (root.empty()) throw ParseError(path, 0, "the .mxl archive holds no MusicXML score");
  return read_member(z.get(), root, path);
}

ScoreFile read_musicxml_file(const std::string& path, const MidiOptions& options) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError(path, "cannot open score");
  std::stringstream ss;
  ss << in.rdbuf();
  std::string bytes = ss.str();
  if (bytes.size() >= 2 && bytes.compare(0, 2, "PK") == 0) bytes = unpack_mxl(bytes, path);  // .mxl is a zip file
  return parse_musicxml(bytes, path, options);
}

}  // namespace notewise::io
