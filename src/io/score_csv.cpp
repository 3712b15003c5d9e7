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

std::string trim_unquote(std::string s) {
  auto not_space = [](unsigned char c) { return !std::isspace(c); };
  s.erase(s.begin(), std::find_if(s.begin(), s.end(), not_space));
  s.erase(std::find_if(s.rbegin(), s.rend(), not_space).base(), s.end());
  if (s.size() >= 2 && (s.front() == '"' || s.front() == '\'') && s.back() == s.front()) s = s.substr(1, s.size() - 2);
  return s;
}

std::vector<std::string> split(const std::string& line, char sep) {
  std::vector<std::string> out;
  std::string field;
  bool quoted = false;
  for (char c : line) {
    if (c == '"') quoted = !quoted;
    if (c == sep && !quoted) {
      out.push_back(trim_unquote(field));
      field.clear();
    } else {
      field.push_back(c);
    }
  }
  out.push_back(trim_unquote(field));
  return out;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

double number(const std::string& field, const std::string& column, const std::string& name, std::size_t line) {
  double v = 0;
  const char* b = field.data();
  const char* e = b + field.size();
  if (!field.empty() && *b == '+') ++b;
  const auto [p, ec] = std::from_chars(b, e, v);
  if (ec != std::errc() || p != e || field.empty() || !std::isfinite(v))
    throw ParseError(name, line, column + " '" + field + "' is not a number");
  return v;
}

}  // namespace

Score parse_csv(const std::string& text, const std::string& name) {
  // A UTF-8 byte-order mark (spreadsheets write one) is not part of the first column's name.
  std::istringstream in(text.compare(0, 3, "\xEF\xBB\xBF") == 0 ? text.substr(3) : text);
  std::string line;
  std::size_t line_no = 0;
  char sep = ',';
  int c_start = -1, c_dur = -1, c_pitch = -1, c_vel = -1, c_label = -1;
  std::size_t columns = 0;
  std::vector<Note> notes;
  while (std::getline(in, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    if (columns == 0) {  // the header
      sep = line.find(';') != std::string::npos ? ';' : line.find('\t') != std::string::npos ? '\t' : ',';
      const auto head = split(line, sep);
      columns = head.size();
      for (std::size_t i = 0; i < head.size(); ++i) {
        const std::string h = lower(head[i]);
        const int c = static_cast<int>(i);
        if (h == "start" || h == "onset") c_start = c;
        else if (h == "duration") c_dur = c;
        else if (h == "pitch") c_pitch = c;
        else if (h == "velocity") c_vel = c;
        else if (h == "instrument" || h == "label") c_label = c;
      }
      if (c_start < 0 || c_dur < 0 || c_pitch < 0)
        throw ParseError(name, line_no, "header must name start, duration and pitch columns (got '" + line + "')");
      continue;
    }
    const auto f = split(line, sep);
    if (f.size() < columns)
      throw ParseError(name, line_no, "has " + std::to_string(f.size()) + " fields, the header " + std::to_string(columns));
    Note n;
    n.onset = number(f[c_start], "start", name, line_no);
    n.duration = number(f[c_dur], "duration", name, line_no);
    const double pitch = number(f[c_pitch], "pitch", name, line_no);
    if (pitch != std::floor(pitch) || pitch < 0 || pitch > 127)
      throw ParseError(name, line_no, "pitch " + f[c_pitch] + " is outside 0..127");
    n.pitch = static_cast<int>(pitch);
    if (n.onset < 0) throw ParseError(name, line_no, "start " + f[c_start] + " is negative");
    if (n.duration < 0) throw ParseError(name, line_no, "duration " + f[c_dur] + " is negative");
    n.velocity = c_vel >= 0 ? number(f[c_vel], "velocity", name, line_no) : 100.0;
    if (n.velocity < 0 || n.velocity > 127) throw ParseError(name, line_no, "velocity " + f[c_vel] + " is outside 0..127");
    n.label = c_label >= 0 ? f[c_label] : std::string("notes");
    n.index = notes.size();
    notes.push_back(std::move(n));
  }
  if (columns == 0) throw ParseError(name, 0, "is empty (no header, no notes)");
  if (notes.empty()) throw ParseError(name, 0, "holds no notes");
  // Velocities in 0..1 (libfmp's convention) are brought to MIDI's 0..127.
  const bool unit = std::all_of(notes.begin(), notes.end(), [](const Note& n) { return n.velocity <= 1.0; });
  if (unit)
    for (Note& n : notes) n.velocity *= 127.0;
  return Score(std::move(notes));
}

std::string replace_csv_times(const std::string& original, const Score& score, const std::string& name) {
  std::istringstream in(original);
  std::ostringstream out;
  std::string line;
  bool header = true;
  char sep = ',';
  int c_start = -1, c_dur = -1;
  std::size_t row = 0;
  while (std::getline(in, line)) {
    const bool cr = !line.empty() && line.back() == '\r';
    if (cr) line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) {
      out << line << (cr ? "\r\n" : "\n");
      continue;
    }
    if (header) {
      sep = line.find(';') != std::string::npos ? ';' : line.find('\t') != std::string::npos ? '\t' : ',';
      const auto head = split(line, sep);
      for (std::size_t i = 0; i < head.size(); ++i) {
        const std::string h = lower(head[i]);
        if (h == "start" || h == "onset") c_start = static_cast<int>(i);
        if (h == "duration") c_dur = static_cast<int>(i);
      }
      header = false;
      out << line << (cr ? "\r\n" : "\n");
      continue;
    }
    if (row >= score.size()) throw ParseError(name, 0, "has more note rows than the score");
    // Split keeping the raw fields, replace two of them, join with the same separator.
    std::vector<std::string> fields;
    std::string field;
    bool quoted = false;
    for (char c : line) {
      if (c == '"') quoted = !quoted;
      if (c == sep && !quoted) {
        fields.push_back(field);
        field.clear();
      } else {
        field.push_back(c);
      }
    }
    fields.push_back(field);
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.6f", score.notes()[row].onset);
    fields[static_cast<std::size_t>(c_start)] = buf;
    std::snprintf(buf, sizeof buf, "%.6f", score.notes()[row].duration);
    fields[static_cast<std::size_t>(c_dur)] = buf;
    for (std::size_t i = 0; i < fields.size(); ++i) out << (i ? std::string(1, sep) : "") << fields[i];
    out << (cr ? "\r\n" : "\n");
    ++row;
  }
  if (row != score.size()) throw ParseError(name, 0, "has fewer note rows than the score");
  return out.str();
}

Score read_csv_score(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError(path, "cannot open score");
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_csv(ss.str(), path);
}

void write_csv_score(const std::string& path, const Score& score, bool overwrite) {
  std::ostringstream out;
  out.precision(6);
  out << std::fixed << "start,duration,pitch,velocity,label\n";
  for (const Note& n : score.notes())
    out << n.onset << "," << n.duration << "," << n.pitch << "," << std::lround(n.velocity) << "," << n.label << "\n";
  write_text(path, out.str(), overwrite);
}

LabelBy parse_label_by(const std::string& name) {
  if (name == "auto") return LabelBy::Auto;
  if (name == "track") return LabelBy::Track;
  if (name == "channel") return LabelBy::Channel;
  if (name == "program") return LabelBy::Program;
  throw InvalidArgument("--label-by " + name + ": expected " + kLabelByNames);
}

ScoreFile read_score_file(const std::string& path, const MidiOptions& options) {
  std::string ext = path.substr(path.find_last_of('.') == std::string::npos ? path.size() : path.find_last_of('.'));
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) throw IoError(path, "is a folder, not a score file");
  ScoreFile f;
  if (ext == ".mid" || ext == ".midi" || ext == ".smf") {
    f = read_midi_file(path, options);
  } else if (ext == ".csv" || ext == ".txt") {
    f.score = read_csv_score(path);
    f.format = "CSV";
  } else {
    throw IoError(path, "unknown score format '" + ext + "' (expected .csv, .mid or .midi)");
  }
  if (f.score.empty()) {
    if (f.percussion_notes > 0)
      throw ParseError(path, 0, "holds no pitched notes (" + std::to_string(f.percussion_notes) +
                                    " on channel 10, General MIDI percussion, which is not modelled)");
    throw ParseError(path, 0, "holds no notes");
  }
  return f;
}

Score read_score(const std::string& path, const MidiOptions& options) { return read_score_file(path, options).score; }

}  // namespace notewise::io
