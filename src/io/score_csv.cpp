#include <algorithm>
#include <filesystem>
#include <cctype>
#include <charconv>
#include <cmath>
#include <fstream>
#include <cstdio>
#include <sstream>

#include "notewise/core/error.hpp"
#include "notewise/io/atomic_file.hpp"
#include "notewise/io/score_io.hpp"

namespace notewise::io {
namespace {

// ---- CSV/TSV dialects ---------------------------------------------------------------------
// One reader for the layouts scores come in: a header naming the columns (any order, any case,
// the synonyms below), or no header (start end pitch [velocity] [label]); separated by commas,
// semicolons, tabs or runs of spaces (sniffed from the first row); a UTF-8 byte-order mark,
// CRLF or CR line ends, '#' comment lines. The same layout serves replace_csv_times, which
// rewrites the time fields in place and keeps every other byte.

struct Line {
  std::size_t number;  // 1-based
  std::size_t begin, end;  // the line's bytes in the text, without its line break
};

struct Span {
  std::size_t begin, end;  // raw bytes of a field in its line (quotes and spaces included)
};

enum class Role { Start, Duration, End, Pitch, Velocity, Label };

struct Layout {
  char sep = ',';         // ',', ';', '\t', or ' ' for runs of blanks
  bool header = true;
  std::size_t header_line = 0;  // its number (0: none)
  int start = -1, duration = -1, end = -1, pitch = -1, velocity = -1, label = -1;
  std::size_t needed = 0;       // fields a row must have: the highest column used + 1
  std::string describe;         // the columns as read, for messages
};

std::vector<Line> lines_of(const std::string& text, std::size_t from) {
  std::vector<Line> out;
  std::size_t i = from, number = 1;
  while (i < text.size()) {
    std::size_t j = i;
    while (j < text.size() && text[j] != '\n' && text[j] != '\r') ++j;
    out.push_back({number++, i, j});
    if (j < text.size() && text[j] == '\r' && j + 1 < text.size() && text[j + 1] == '\n') ++j;  // CRLF
    i = j + 1;
  }
  return out;
}

bool blank(char c) { return c == ' ' || c == '\t'; }

// Field spans of one line; quotes ("..." or '...') protect separators.
std::vector<Span> split_spans(const std::string& line, char sep) {
  std::vector<Span> out;
  std::size_t i = 0;
  if (sep == ' ') {
    while (i < line.size()) {
      while (i < line.size() && blank(line[i])) ++i;
      if (i >= line.size()) break;
      const std::size_t b = i;
      char quote = 0;
      while (i < line.size() && (quote || !blank(line[i]))) {
        if (quote && line[i] == quote) quote = 0;
        else if (!quote && (line[i] == '"' || line[i] == '\'')) quote = line[i];
        ++i;
      }
      out.push_back({b, i});
    }
    return out;
  }
  std::size_t b = 0;
  bool quoted = false;
  for (; i < line.size(); ++i) {
    if (line[i] == '"') quoted = !quoted;
    if (line[i] == sep && !quoted) {
      out.push_back({b, i});
      b = i + 1;
    }
  }
  out.push_back({b, line.size()});
  return out;
}

std::string trim_unquote(std::string s) {
  auto not_space = [](unsigned char c) { return !std::isspace(c); };
  s.erase(s.begin(), std::find_if(s.begin(), s.end(), not_space));
  s.erase(std::find_if(s.rbegin(), s.rend(), not_space).base(), s.end());
  if (s.size() >= 2 && (s.front() == '"' || s.front() == '\'') && s.back() == s.front()) s = s.substr(1, s.size() - 2);
  return s;
}

std::vector<std::string> split(const std::string& line, char sep) {
  std::vector<std::string> out;
  for (const Span& sp : split_spans(line, sep)) out.push_back(trim_unquote(line.substr(sp.begin, sp.end - sp.begin)));
  return out;
}

// Counts `c` outside double quotes.
std::size_t count_outside_quotes(const std::string& line, char c) {
  std::size_t n = 0;
  bool quoted = false;
  for (char x : line) {
    if (x == '"') quoted = !quoted;
    else if (x == c && !quoted) ++n;
  }
  return n;
}

char sniff_separator(const std::string& line) {
  char best = ' ';
  std::size_t most = 0;
  for (char c : {'\t', ';', ','}) {
    const std::size_t n = count_outside_quotes(line, c);
    if (n > most) {
      most = n;
      best = c;
    }
  }
  return best;  // none of them: blanks separate (mir_eval's and many tools' plain text)
}

// A header name reduced to letters and digits, a unit in brackets dropped: "Onset Time (s)"
// -> "onsettime", "MidiPitch" -> "midipitch", "onset_time" -> "onsettime".
std::string header_key(const std::string& name) {
  std::string k;
  int depth = 0;
  for (unsigned char c : name) {
    if (c == '(' || c == '[') ++depth;
    else if (c == ')' || c == ']') depth = std::max(0, depth - 1);
    else if (depth == 0 && std::isalnum(c)) k.push_back(static_cast<char>(std::tolower(c)));
  }
  return k;
}

struct Synonyms {
  Role role;
  std::vector<const char*> keys;
};
const std::vector<Synonyms>& synonyms() {
  static const std::vector<Synonyms> s = {
      {Role::Start, {"start", "onset", "onsettime", "starttime", "begin", "time", "onsetsec", "startsec", "onsets"}},
      {Role::Duration, {"duration", "dur", "length", "durationsec"}},
      {Role::End, {"end", "offset", "offsettime", "endtime", "stop", "offsetsec", "endsec", "offsets"}},
      {Role::Pitch, {"pitch", "midi", "note", "midipitch", "midinote", "notenumber", "key", "midikey"}},
      {Role::Velocity, {"velocity", "vel", "midivelocity"}},
      {Role::Label, {"label", "instrument", "track", "voice", "part", "hand", "staff"}},
  };
  return s;
}

bool is_number(const std::string& field) {
  double v = 0;
  const char* b = field.data();
  const char* e = b + field.size();
  if (b != e && (*b == '+' || *b == '-')) ++b;
  if (b == e) return false;
  const auto [p, ec] = std::from_chars(b, e, v);
  return ec == std::errc() && p == e;
}

// The layout from the first row that is not blank or a comment.
Layout sniff_layout(const std::string& text, const std::vector<Line>& lines, const std::string& name) {
  Layout l;
  const Line* first = nullptr;
  for (const Line& ln : lines) {
    const std::string s = text.substr(ln.begin, ln.end - ln.begin);
    const auto p = s.find_first_not_of(" \t");
    if (p == std::string::npos || s[p] == '#') continue;
    first = &ln;
    break;
  }
  if (first == nullptr) throw ParseError(name, 0, "is empty (no header, no notes)");
  const std::string row = text.substr(first->begin, first->end - first->begin);
  l.sep = sniff_separator(row);
  const std::vector<std::string> f = split(row, l.sep);
  if (!f.empty() && is_number(f[0])) {
    // No header: start end pitch [velocity] [label], as mir_eval and MAPS-like tools write.
    l.header = false;
    l.start = 0;
    l.end = 1;
    l.pitch = 2;
    if (f.size() > 3) l.velocity = 3;
    if (f.size() > 4) l.label = 4;
    l.needed = 3;
    l.describe = "a file without a header, read as start end pitch [velocity] [label]";
    return l;
  }
  l.header_line = first->number;
  for (std::size_t i = 0; i < f.size(); ++i) {
    const std::string key = header_key(f[i]);
    for (const Synonyms& s : synonyms())
      if (std::find_if(s.keys.begin(), s.keys.end(), [&](const char* k) { return key == k; }) != s.keys.end()) {
        int* column = s.role == Role::Start      ? &l.start
                      : s.role == Role::Duration ? &l.duration
                      : s.role == Role::End      ? &l.end
                      : s.role == Role::Pitch    ? &l.pitch
                      : s.role == Role::Velocity ? &l.velocity
                                                 : &l.label;
        if (*column < 0) *column = static_cast<int>(i);  // the first of synonyms wins
      }
  }
  if (l.start < 0 || l.pitch < 0 || (l.duration < 0 && l.end < 0)) {
    std::string missing;
    if (l.start < 0) missing += "a start column (start, onset, onset_time, OnsetTime, ...)";
    if (l.duration < 0 && l.end < 0)
      missing += std::string(missing.empty() ? "" : ", ") + "a duration or end column (duration; end, offset, OffsetTime, ...)";
    if (l.pitch < 0) missing += std::string(missing.empty() ? "" : ", ") + "a pitch column (pitch, midi, note, MidiPitch, ...)";
    throw ParseError(name, first->number, "header must name " + missing + "; got '" + row + "'");
  }
  for (int c : {l.start, l.duration, l.end, l.pitch, l.velocity, l.label})
    l.needed = std::max<std::size_t>(l.needed, c < 0 ? 0 : static_cast<std::size_t>(c) + 1);
  l.describe = "the header's " + std::to_string(f.size()) + " columns";
  return l;
}

double number(std::string field, const std::string& column, char sep, const std::string& name, std::size_t line) {
  // Spreadsheets with a decimal comma write semicolon files: 0,5;1,25;60.
  if (sep == ';' && field.find('.') == std::string::npos && std::count(field.begin(), field.end(), ',') == 1)
    std::replace(field.begin(), field.end(), ',', '.');
  double v = 0;
  const char* b = field.data();
  const char* e = b + field.size();
  if (!field.empty() && *b == '+') ++b;
  const auto [p, ec] = std::from_chars(b, e, v);
  if (ec != std::errc() || p != e || field.empty() || !std::isfinite(v))
    throw ParseError(name, line, column + " '" + field + "' is not a number");
  return v;
}

// "C4" (60), "F#3", "Bb5", "c-1": a note name with its octave (scientific pitch notation),
// as some tables write the pitch; -1 if `s` is none.
int note_name(const std::string& s) {
  static const int base[] = {9, 11, 0, 2, 4, 5, 7};  // A B C D E F G
  if (s.size() < 2) return -1;
  const char letter = static_cast<char>(std::toupper(static_cast<unsigned char>(s[0])));
  if (letter < 'A' || letter > 'G') return -1;
  int pitch = base[letter - 'A'];
  std::size_t i = 1;
  for (; i < s.size() && (s[i] == '#' || s[i] == 'b'); ++i) pitch += s[i] == '#' ? 1 : -1;
  int octave = 0;
  const auto [p, ec] = std::from_chars(s.data() + i, s.data() + s.size(), octave);
  if (ec != std::errc() || p != s.data() + s.size() || i == s.size()) return -1;
  const int midi = pitch + 12 * (octave + 1);
  return midi >= 0 && midi <= 127 ? midi : -1;
}

std::size_t content_start(const std::string& text, const std::string& name) {
  if (text.size() >= 2 && ((text[0] == '\xFF' && text[1] == '\xFE') || (text[0] == '\xFE' && text[1] == '\xFF')))
    throw ParseError(name, 1, "is UTF-16 text; save it as UTF-8 (or plain) text");
  // A UTF-8 byte-order mark (spreadsheets write one) is not part of the first column's name.
  return text.compare(0, 3, "\xEF\xBB\xBF") == 0 ? 3 : 0;
}

}  // namespace

bool is_drum_label(std::string label) {
  std::transform(label.begin(), label.end(), label.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  static const char* const names[] = {"drums", "drum", "drum kit", "drumkit", "drum set", "drumset", "kit", "percussion"};
  return std::find(std::begin(names), std::end(names), label) != std::end(names);
}

namespace {

bool skipped(const std::string& row) {
  const auto p = row.find_first_not_of(" \t");
  return p == std::string::npos || row[p] == '#';
}

}  // namespace

Score parse_csv(const std::string& text, const std::string& name) {
  const std::size_t from = content_start(text, name);
  const std::vector<Line> lines = lines_of(text, from);
  const Layout l = sniff_layout(text, lines, name);
  std::vector<Note> notes;
  for (const Line& ln : lines) {
    if (ln.number == l.header_line) continue;
    const std::string row = text.substr(ln.begin, ln.end - ln.begin);
    if (skipped(row)) continue;
    const std::size_t at = ln.number;
    const auto f = split(row, l.sep);
    if (f.size() < l.needed)
      throw ParseError(name, at, "has " + std::to_string(f.size()) + " fields; expected at least " + std::to_string(l.needed) +
                                     " (" + l.describe + ")");
    const auto field = [&](int c) { return f[static_cast<std::size_t>(c)]; };
    Note n;
    n.onset = number(field(l.start), "start", l.sep, name, at);
    if (n.onset < 0) throw ParseError(name, at, "start " + field(l.start) + " is negative");
    if (l.duration >= 0) {
      n.duration = number(field(l.duration), "duration", l.sep, name, at);
      if (n.duration < 0) throw ParseError(name, at, "duration " + field(l.duration) + " is negative");
    } else {
      const double end = number(field(l.end), "end", l.sep, name, at);
      if (end < n.onset)
        throw ParseError(name, at, "end " + field(l.end) + " is before start " + field(l.start) +
                                       (l.header ? std::string() : " (" + l.describe + "; a header naming a duration column reads it as one)"));
      n.duration = end - n.onset;
    }
    const int named = note_name(field(l.pitch));
    const double pitch = named >= 0 ? named : number(field(l.pitch), "pitch", l.sep, name, at);
    if (pitch != std::floor(pitch) || pitch < 0 || pitch > 127)
      throw ParseError(name, at, "pitch " + field(l.pitch) + " is outside 0..127 (a MIDI note number is expected)");
    n.pitch = static_cast<int>(pitch);
    n.velocity = 100.0;
    if (l.velocity >= 0 && static_cast<std::size_t>(l.velocity) < f.size() && !field(l.velocity).empty()) {
      n.velocity = number(field(l.velocity), "velocity", l.sep, name, at);
      if (n.velocity < 0 || n.velocity > 127) throw ParseError(name, at, "velocity " + field(l.velocity) + " is outside 0..127");
    }
    n.label = l.label < 0 ? std::string("notes") : static_cast<std::size_t>(l.label) < f.size() ? field(l.label) : std::string();
    if (is_drum_label(n.label)) n.channel = 9;  // a drum row: GM drum-map keys (score.hpp)
    n.index = notes.size();
    notes.push_back(std::move(n));
  }
  if (notes.empty()) throw ParseError(name, 0, "holds no notes");
  // Velocities in 0..1 (libfmp's convention) are brought to MIDI's 0..127.
  const bool unit = l.velocity >= 0 && std::all_of(notes.begin(), notes.end(), [](const Note& n) { return n.velocity <= 1.0; });
  if (unit)
    for (Note& n : notes) n.velocity *= 127.0;
  return Score(std::move(notes));
}

std::string replace_csv_times(const std::string& original, const Score& score, const std::string& name) {
  const std::size_t from = content_start(original, name);
  const std::vector<Line> lines = lines_of(original, from);
  const Layout l = sniff_layout(original, lines, name);
  std::string out = original.substr(0, from);
  std::size_t copied = from, row = 0;
  for (const Line& ln : lines) {
    out.append(original, copied, ln.begin - copied);  // the line break(s) before this line
    copied = ln.end;
    std::string text = original.substr(ln.begin, ln.end - ln.begin);
    if (ln.number != l.header_line && !skipped(text)) {
      if (row >= score.size()) throw ParseError(name, ln.number, "has more note rows than the score");
      const Note& n = score.notes()[row++];
      const auto spans = split_spans(text, l.sep);
      // Replace from the rightmost field, so the spans to its left stay valid.
      std::vector<std::pair<int, double>> edits{{l.start, n.onset}};
      edits.push_back(l.duration >= 0 ? std::pair<int, double>{l.duration, n.duration} : std::pair<int, double>{l.end, n.offset()});
      std::sort(edits.begin(), edits.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
      for (const auto& [column, value] : edits) {
        if (static_cast<std::size_t>(column) >= spans.size()) throw ParseError(name, ln.number, "has too few fields");
        char buf[64];
        std::snprintf(buf, sizeof buf, "%.6f", value);
        const Span sp = spans[static_cast<std::size_t>(column)];
        text.replace(sp.begin, sp.end - sp.begin, buf);
      }
    }
    out += text;
  }
  out.append(original, copied, std::string::npos);
  if (row != score.size()) throw ParseError(name, 0, "has fewer note rows than the score");
  return out;
}

std::string with_csv_column(const std::string& original, const std::string& column, const std::vector<double>& values,
                            const std::string& name, int decimals) {
  const std::size_t from = content_start(original, name);
  const std::vector<Line> lines = lines_of(original, from);
  const Layout l = sniff_layout(original, lines, name);
  const std::string sep = l.sep == ' ' ? " " : std::string(1, l.sep);
  std::string eol = "\n";
  for (const Line& ln : lines)
    if (ln.end < original.size()) {
      eol = original[ln.end] == '\r' ? (ln.end + 1 < original.size() && original[ln.end + 1] == '\n' ? "\r\n" : "\r") : "\n";
      break;
    }
  std::string out = original.substr(0, from);
  if (!l.header) {
    // A header that says how the rows were read, so the new column is not taken for one of them.
    out += "start" + sep + "end" + sep + "pitch";
    if (l.velocity >= 0) out += sep + "velocity";
    if (l.label >= 0) out += sep + "label";
    out += sep + column + eol;
  }
  int replace = -1;  // a column of that name already there
  std::size_t copied = from, row = 0;
  for (const Line& ln : lines) {
    out.append(original, copied, ln.begin - copied);
    copied = ln.end;
    std::string text = original.substr(ln.begin, ln.end - ln.begin);
    if (skipped(text)) {
      out += text;
      continue;
    }
    std::string value;
    if (ln.number == l.header_line) {
      const auto head = split(text, l.sep);
      for (std::size_t i = 0; i < head.size(); ++i)
        if (header_key(head[i]) == header_key(column)) replace = static_cast<int>(i);
      const auto spans = split_spans(text, l.sep);
      const bool quoted = !spans.empty() && text.compare(spans[0].begin, 1, "\"") == 0;
      value = quoted ? "\"" + column + "\"" : column;
    } else {
      char v[32];
      std::snprintf(v, sizeof v, "%.*f", std::clamp(decimals, 0, 9), row < values.size() ? values[row] : 0.0);
      value = v;
      ++row;
    }
    const auto spans = split_spans(text, l.sep);
    if (replace >= 0 && static_cast<std::size_t>(replace) < spans.size())
      text.replace(spans[static_cast<std::size_t>(replace)].begin,
                   spans[static_cast<std::size_t>(replace)].end - spans[static_cast<std::size_t>(replace)].begin, value);
    else
      text += sep + value;
    out += text;
  }
  out.append(original, copied, std::string::npos);
  return out;
}

Score read_csv_score(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError(path, "cannot open score");
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_csv(ss.str(), path);
}

std::string csv_score_text(const Score& score) {
  std::ostringstream out;
  out.precision(6);
  out << std::fixed << "start,duration,pitch,velocity,label\n";
  for (const Note& n : score.notes()) {
    std::string label = n.label;
    if (label.find_first_of(",\"\'") != std::string::npos || label != trim_unquote(label)) {
      std::string q = "\"";
      for (char c : label) q += c == '"' ? std::string("'") : std::string(1, c);  // the reader has no escapes
      label = q + "\"";
    }
    out << n.onset << "," << n.duration << "," << n.pitch << "," << std::lround(n.velocity) << "," << label << "\n";
  }
  return out.str();
}

void write_csv_score(const std::string& path, const Score& score, bool overwrite) {
  write_text(path, csv_score_text(score), overwrite);
}

bool is_musicxml_path(const std::string& path) {
  std::string ext = std::filesystem::path(path).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return ext == ".musicxml" || ext == ".xml" || ext == ".mxl";
}

LabelBy parse_label_by(const std::string& name) {
  if (name == "auto") return LabelBy::Auto;
  if (name == "track") return LabelBy::Track;
  if (name == "channel") return LabelBy::Channel;
  if (name == "program") return LabelBy::Program;
  if (name == "staff") return LabelBy::Staff;
  throw InvalidArgument("{setting:label_by=" + name + "}: expected " + kLabelByNames);
}

ScoreFile read_score_file(const std::string& path, const MidiOptions& options) {
  std::string ext = path.substr(path.find_last_of('.') == std::string::npos ? path.size() : path.find_last_of('.'));
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) throw IoError(path, "is a folder, not a score file");
  ScoreFile f;
  if (ext == ".mid" || ext == ".midi" || ext == ".smf") {
    f = read_midi_file(path, options);
  } else if (ext == ".musicxml" || ext == ".xml" || ext == ".mxl") {
    f = read_musicxml_file(path, options);
  } else if (ext == ".csv" || ext == ".tsv" || ext == ".txt" || ext == ".tab") {
    f.score = read_csv_score(path);
    f.format = "CSV";
  } else {
    throw IoError(path, "unknown score format '" + ext + "' (expected .csv, .tsv, .txt, .mid, .midi, .musicxml, .xml or .mxl)");
  }
  if (f.score.empty()) throw ParseError(path, 0, "holds no notes");
  if (f.score.size() > kMaxScoreNotes)
    throw ParseError(path, 0, "holds " + std::to_string(f.score.size()) + " notes, more than the " + std::to_string(kMaxScoreNotes) +
                                  " a score may hold");
  if (!(f.score.end() <= kMaxScoreSeconds)) {
    char what[160];
    std::snprintf(what, sizeof what, "lasts %.6g s, more than the %.0f s (24 hours) a score may last", f.score.end(), kMaxScoreSeconds);
    throw ParseError(path, 0, what);
  }
  if (f.format == "CSV")
    for (const Note& n : f.score.notes()) f.percussion_notes += is_drum(n);
  return f;
}

Score read_score(const std::string& path, const MidiOptions& options) { return read_score_file(path, options).score; }

}  // namespace notewise::io
