#include "notewise/report/alignment_files.hpp"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "notewise/io/atomic_file.hpp"
#include "notewise/io/score_io.hpp"
#include "notewise/report/run_json.hpp"

namespace notewise::report {
namespace {

std::string unquote_lower(std::string s) {
  s.erase(std::remove_if(s.begin(), s.end(), [](char c) { return c == '"' || c == ' ' || c == '\t'; }), s.end());
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

bool ends_with_ci(const std::string& s, const std::string& suffix) {
  if (s.size() < suffix.size()) return false;
  return unquote_lower(s.substr(s.size() - suffix.size())) == suffix;
}

}  // namespace

std::string warp_path_for(const std::string& aligned_score) {
  const std::filesystem::path p(aligned_score);
  return (p.parent_path() / (p.stem().string() + ".warp.csv")).string();
}

void write_aligned_score(const std::string& out, const std::string& score_path, const Alignment& al, bool overwrite) {
  if (ends_with_ci(out, ".mid") || ends_with_ci(out, ".midi")) {
    io::write_midi_score(out, al.aligned, overwrite);
    return;
  }
  std::string text;
  // An excerpt's notes are a part of the score's rows: written as a table of their own.
  if (!al.excerpt && (ends_with_ci(score_path, ".csv") || ends_with_ci(score_path, ".tsv") || ends_with_ci(score_path, ".txt"))) {
    std::ifstream f(score_path, std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    text = io::replace_csv_times(ss.str(), al.aligned, score_path);
  } else {
    text = io::csv_score_text(al.aligned);
  }
  text = io::with_csv_column(text, "confidence", al.confidence, score_path);
  // Per-voice refinement: the confidence at each note's own onset and its part's mean, after the
  // existing columns; then each note's event-level onset (Alignment::event_onset, s).
  if (al.voice_confidence.size() == al.aligned.size() && !al.voice_confidence.empty()) {
    std::vector<double> part(al.aligned.size(), 0.0);
    for (std::size_t i = 0; i < part.size(); ++i)
      if (const auto it = al.part_confidence.find(al.aligned.notes()[i].label); it != al.part_confidence.end()) part[i] = it->second;
    text = io::with_csv_column(text, "voice_confidence", al.voice_confidence, score_path);
    text = io::with_csv_column(text, "part_confidence", part, score_path);
    if (al.event_onset.size() == al.aligned.size()) text = io::with_csv_column(text, "event_onset", al.event_onset, score_path, 6);
  }
  io::write_text(out, text, overwrite);
}

void write_warp(const std::string& path, const Alignment& al, bool overwrite) {
  std::ostringstream w;
  w.precision(6);
  w << std::fixed << "score_s,audio_s\n";
  for (const auto& [s, t] : al.warp) w << s << "," << t << "\n";
  io::write_text(path, w.str(), overwrite);
}

void write_align_outputs(const std::string& dir, const std::string& score_path, const Alignment* al, nlohmann::json& report, bool overwrite) {
  if (!al) return;
  write_aligned_score((std::filesystem::path(dir) / "aligned.csv").string(), score_path, *al, overwrite);
  report["alignment"] = alignment_json(*al);
}

std::string alignment_summary(const Alignment& al) {
  char line[200];
  std::snprintf(line, sizeof line, "aligned %zu notes; normalised path cost %.3f, mean note confidence %.2f", al.aligned.size(), al.cost,
                al.mean_confidence);
  std::string s = line;
  if (al.excerpt) {
    std::snprintf(line, sizeof line, "\nthe recording plays the score's %.2f-%.2f s (an excerpt; the notes outside it are left out)",
                  al.score_start, al.score_end);
    s += line;
  }
  if (al.poor) {
    s += " (POOR: " + al.problem + "; is this the right score for this recording?)";
    for (const AlignIssue& is : al.issues) s += "\n  flagged: " + is.what;
  }
  return s;
}

}  // namespace notewise::report
