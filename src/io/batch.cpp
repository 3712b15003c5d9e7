#include "notewise/io/batch.hpp"

#include <algorithm>
#include <cctype>
#include <climits>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "notewise/core/error.hpp"
#include "notewise/io/audio.hpp"

namespace notewise::io {
namespace fs = std::filesystem;

namespace {

std::vector<std::string> split_csv_line(const std::string& line) {
  std::vector<std::string> out(1);
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') out.back() += '"', ++i;
      else if (c == '"') quoted = false;
      else out.back() += c;
    } else if (c == '"') quoted = true;
    else if (c == ',') out.emplace_back();
    else if (c != '\r') out.back() += c;
  }
  return out;
}

std::vector<std::string> split_words(const std::string& s) {
  std::istringstream in(s);
  std::vector<std::string> w;
  for (std::string x; in >> x;) w.push_back(x);
  return w;
}

// Names are compared as macOS and Windows compare file names: ignoring (ASCII) case.
std::string folded(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// A row's folder name: a plain name the file system takes (at most NAME_MAX bytes), not hidden
// (hidden names are the temporary and staging files of the batch and of its rows), not one of
// the files the batch writes beside the rows.
void check_row_name(const std::string& path, std::size_t line, const std::string& name) {
  if (name.empty()) throw ParseError(path, line, "the row's name is empty (give a name column)");
  if (name.find('/') != std::string::npos || name.find('\0') != std::string::npos || name == "." || name == "..")
    throw ParseError(path, line, "name '" + name + "' must be a plain folder name");
  if (name.size() > NAME_MAX)
    throw ParseError(path, line, "name '" + name.substr(0, 40) + "...' is " + std::to_string(name.size()) +
                                     " bytes long; a folder name may have at most " + std::to_string(NAME_MAX));
  if (name[0] == '.')
    throw ParseError(path, line, "name '" + name + "' starts with '.': hidden names are kept for notewise's temporary files");
  if (const std::string f = folded(name); f == "summary.csv" || f == "summary.json")
    throw ParseError(path, line, "name '" + name + "' is a file the batch writes beside the rows (summary.csv, summary.json)");
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

// "SDR:left" etc.: a number or empty.
std::string score_cell(const nlohmann::json& v) {
  if (!v.is_number()) return "";
  std::ostringstream s;
  s << v.get<double>();
  return s.str();
}

}  // namespace

std::vector<BatchRow> read_manifest(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw IoError(path, "cannot read the manifest");
  const fs::path base = fs::path(path).parent_path();
  std::string line;
  if (!std::getline(in, line)) throw ParseError(path, 1, "empty manifest (expected a header: audio,score[,name][,options][,reference])");
  if (line.compare(0, 3, "\xEF\xBB\xBF") == 0) line.erase(0, 3);  // a UTF-8 byte-order mark (spreadsheets write one)
  const auto header = split_csv_line(line);
  auto col = [&](const std::string& n) {
    const auto it = std::find(header.begin(), header.end(), n);
    return it == header.end() ? -1 : static_cast<int>(it - header.begin());
  };
  const int ca = col("audio"), cs = col("score"), cn = col("name"), co = col("options"), cr = col("reference");
  if (ca < 0 || cs < 0) throw ParseError(path, 1, "the header needs the columns audio and score (and optionally name, options, reference)");
  std::vector<BatchRow> rows;
  for (std::size_t ln = 2; std::getline(in, line); ++ln) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const auto f = split_csv_line(line);
    auto at = [&](int c) { return c >= 0 && c < static_cast<int>(f.size()) ? f[c] : std::string(); };
    BatchRow r;
    r.line = ln;
    if (at(ca).empty() || at(cs).empty()) throw ParseError(path, ln, "audio and score must not be empty");
    r.audio = (base / at(ca)).string();
    r.score = (base / at(cs)).string();
    if (!at(cr).empty()) r.reference = (base / at(cr)).string();
    r.name = at(cn).empty() ? fs::path(at(ca)).stem().string() : at(cn);
    check_row_name(path, ln, r.name);
    r.options = split_words(at(co));
    rows.push_back(std::move(r));
  }
  if (rows.empty()) throw ParseError(path, 2, "the manifest has no rows");
  std::set<std::string> names;
  for (const auto& r : rows)
    if (!names.insert(folded(r.name)).second)
      throw ParseError(path, r.line, "name '" + r.name + "' appears twice, ignoring case as macOS and Windows do (give a name column)");
  return rows;
}

std::vector<std::size_t> plan_batch(std::vector<BatchRow>& rows, const std::string& root, const std::string& marker,
                                    double* total_audio_seconds) {
  std::vector<std::size_t> order;
  double total_audio = 0;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    BatchRow& r = rows[i];
    const fs::path dir = fs::path(root) / r.name;
    if (fs::exists(dir / marker)) {
      r.status = "skipped";
      r.scores = scores_of((dir / marker).string());
      continue;
    }
    try {
      const AudioInfo info = read_audio_info(r.audio);
      if (info.sample_rate > 0) r.audio_seconds = static_cast<double>(info.frames) / info.sample_rate;
    } catch (const std::exception&) {
      // The row's own run reports what is wrong with the file.
    }
    total_audio += std::max(r.audio_seconds, 0.0);
    order.push_back(i);
  }
  std::stable_sort(order.begin(), order.end(), [&](std::size_t x, std::size_t y) { return rows[x].audio_seconds > rows[y].audio_seconds; });
  if (total_audio_seconds) *total_audio_seconds = total_audio;
  return order;
}

nlohmann::json scores_of(const std::string& report_json) {
  std::ifstream in(report_json);
  const auto j = nlohmann::json::parse(in, nullptr, false);
  return j.is_object() && j.contains("scores") ? j["scores"] : nlohmann::json();
}

void set_outcome(BatchRow& r, const nlohmann::json& o) {
  if (!o.is_object()) {
    r.status = "failed", r.error = "batch: unreadable outcome from a rank";
    return;
  }
  r.status = o.value("status", "failed");
  r.exit_code = o.value("exit_code", 1);
  r.seconds = o.value("seconds", 0.0);
  r.error = o.value("error", "");
  r.rank = o.value("rank", -1);
  r.host = o.value("host", "");
  r.scores = o.value("scores", nlohmann::json());
}

std::string summary_csv(const std::vector<BatchRow>& rows) {
  // Quality columns: one SDR and SI-SDR column per stem any row was scored on, and the means.
  std::set<std::string> stems;
  for (const auto& r : rows)
    if (r.scores.is_object() && r.scores.contains("stems"))
      for (const auto& [s, v] : r.scores["stems"].items()) stems.insert(s);
  const bool scored = std::any_of(rows.begin(), rows.end(), [](const BatchRow& r) { return r.scores.is_object(); });
  std::ostringstream csv;
  csv << "name,audio,score,status,exit_code,seconds,audio_seconds,rank,host,error";
  if (scored) {
    csv << ",mean_SDR,mean_SI_SDR";
    for (const auto& s : stems) csv << "," << csv_field("SDR:" + s) << "," << csv_field("SI_SDR:" + s);
  }
  csv << "\n";
  for (const auto& r : rows) {
    csv << csv_field(r.name) << "," << csv_field(r.audio) << "," << csv_field(r.score) << "," << r.status << "," << r.exit_code
        << "," << r.seconds << "," << (r.audio_seconds >= 0 ? std::to_string(r.audio_seconds) : "") << ","
        << (r.rank >= 0 ? std::to_string(r.rank) : "") << "," << csv_field(r.host) << "," << csv_field(r.error);
    if (scored) {
      const auto get = [&](const std::string& s, const char* k) {
        return r.scores.is_object() && r.scores.contains("stems") && r.scores["stems"].contains(s) ? r.scores["stems"][s].value(k, nlohmann::json())
                                                                                                    : nlohmann::json();
      };
      csv << "," << score_cell(r.scores.is_object() ? r.scores.value("mean_SDR", nlohmann::json()) : nlohmann::json()) << ","
          << score_cell(r.scores.is_object() ? r.scores.value("mean_SI_SDR", nlohmann::json()) : nlohmann::json());
      for (const auto& s : stems) csv << "," << score_cell(get(s, "SDR")) << "," << score_cell(get(s, "SI_SDR"));
    }
    csv << "\n";
  }
  return csv.str();
}

nlohmann::json summary_rows(const std::vector<BatchRow>& rows) {
  nlohmann::json js = nlohmann::json::array();
  for (const auto& r : rows) {
    nlohmann::json row{{"name", r.name},       {"audio", r.audio},     {"score", r.score},
                       {"status", r.status},   {"exit_code", r.exit_code}, {"seconds", r.seconds},
                       {"error", r.error},     {"scores", r.scores}};
    row["audio_seconds"] = r.audio_seconds >= 0 ? nlohmann::json(r.audio_seconds) : nlohmann::json();
    row["rank"] = r.rank >= 0 ? nlohmann::json(r.rank) : nlohmann::json();
    row["host"] = r.host;
    js.push_back(row);
  }
  return js;
}

}  // namespace notewise::io
