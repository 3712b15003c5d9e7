// notewise batch: separate (or decompose, edit) every row of a manifest, resumably.
//
// Each row runs as a child process of this same program (posix_spawn of /proc/self/exe), so
// a row that fails in any way (bad input, out of memory, a crash) is reported and the others
// go on. A row counts as done when its folder holds the marker its command commits last and
// atomically (report.json; io/output_run.hpp): a batch
// killed midway and started again redoes only the rows without it.
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include "notewise/core/error.hpp"
#include "notewise/io/atomic_file.hpp"
#include "commands.hpp"

extern char** environ;

namespace notewise::cli {
namespace fs = std::filesystem;

namespace {

struct Row {
  std::size_t line = 0;
  std::string audio, score, name;
  std::vector<std::string> options;
  // Outcome.
  std::string status = "pending";  // done | skipped | failed
  int exit_code = 0;
  double seconds = 0;
  std::string error;
};

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

// Columns: audio, score (required), name, options (optional; options: words separated by
// spaces, passed to the command). Paths relative to the manifest's folder.
std::vector<Row> read_manifest(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw IoError(path, "cannot read the manifest");
  const fs::path base = fs::path(path).parent_path();
  std::string line;
  if (!std::getline(in, line)) throw ParseError(path, 1, "empty manifest (expected a header: audio,score[,name][,options])");
  const auto header = split_csv_line(line);
  auto col = [&](const std::string& n) {
    const auto it = std::find(header.begin(), header.end(), n);
    return it == header.end() ? -1 : static_cast<int>(it - header.begin());
  };
  const int ca = col("audio"), cs = col("score"), cn = col("name"), co = col("options");
  if (ca < 0 || cs < 0) throw ParseError(path, 1, "the header needs the columns audio and score (and optionally name, options)");
  std::vector<Row> rows;
  for (std::size_t ln = 2; std::getline(in, line); ++ln) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const auto f = split_csv_line(line);
    auto at = [&](int c) { return c >= 0 && c < static_cast<int>(f.size()) ? f[c] : std::string(); };
    Row r;
    r.line = ln;
    if (at(ca).empty() || at(cs).empty()) throw ParseError(path, ln, "audio and score must not be empty");
    r.audio = (base / at(ca)).string();
    r.score = (base / at(cs)).string();
    r.name = at(cn).empty() ? fs::path(at(ca)).stem().string() : at(cn);
    if (r.name.find('/') != std::string::npos || r.name == "." || r.name == "..")
      throw ParseError(path, ln, "name '" + r.name + "' must be a plain folder name");
    r.options = split_words(at(co));
    rows.push_back(std::move(r));
  }
  if (rows.empty()) throw ParseError(path, 2, "the manifest has no rows");
  std::vector<std::string> names;
  for (const auto& r : rows) {
    if (std::find(names.begin(), names.end(), r.name) != names.end())
      throw ParseError(path, r.line, "name '" + r.name + "' appears twice (give a name column)");
    names.push_back(r.name);
  }
  return rows;
}

// Runs argv as a child with stderr to err_path; returns the exit status (128 + signal).
int run_child(const std::vector<std::string>& args, const std::string& err_path) {
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, "/proc/self/exe", &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) return 127;
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::string last_error_line(const std::string& path) {
  std::ifstream in(path);
  std::string line, err;
  while (std::getline(in, line))
    if (line.rfind("notewise: error: ", 0) == 0) err = line.substr(17);
    else if (err.empty() && !line.empty()) err = line;
  return err;
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

}  // namespace

void add_batch_command(CLI::App& app, Globals& globals) {
  struct Args {
    std::string manifest, out, command = "separate";
    int jobs = 1;
  };
  auto a = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("batch", "Run separate (or decompose) on every row of a manifest, resumably");
  cmd->footer(
      "MANIFEST.csv: a header with the columns audio, score and optionally name (the output folder\n"
      "under ROOT; default the audio's file name without extension) and options (words passed to\n"
      "the command, e.g. \"--iterations 30 --no-report\"); paths relative to the manifest.\n"
      "Every row runs as its own process: a row that fails is reported and the others go on.\n"
      "Resumable: a row whose folder is complete (its last file committed) is skipped.\n"
      "Writes ROOT/<name>/ per row and ROOT/summary.csv, ROOT/summary.json (status, exit code,\n"
      "seconds, error per row). Exit status 1 if a row failed.\n"
      "Example: notewise batch corpus.csv --out runs/ --jobs 2");
  cmd->add_option("manifest", a->manifest, "The manifest (CSV)")->required()->check(CLI::ExistingFile);
  cmd->add_option("-o,--out", a->out, "Root folder of the outputs (created if needed)")->required();
  cmd->add_option("--command", a->command, "What each row runs: separate | decompose")
      ->capture_default_str()->check(CLI::IsMember({"separate", "decompose"}));
  cmd->add_option("-j,--jobs", a->jobs, "Rows run at once (each a process)")->capture_default_str()->check(CLI::Range(1, 256));
  cmd->callback([a, &globals] {
    std::vector<Row> rows = read_manifest(a->manifest);
    io::ensure_output_dir(a->out);
    const std::string marker = "report.json";  // what separate and decompose commit last
    const auto t0 = std::chrono::steady_clock::now();
    std::atomic<std::size_t> next{0};
    std::mutex m;
    std::size_t finished = 0, failed = 0, skipped = 0;
    auto work = [&] {
      for (std::size_t i; (i = next++) < rows.size();) {
        Row& r = rows[i];
        const fs::path dir = fs::path(a->out) / r.name;
        if (fs::exists(dir / marker)) {
          std::lock_guard<std::mutex> lock(m);
          r.status = "skipped";
          ++skipped;
          ++finished;
          continue;
        }
        std::vector<std::string> args{"notewise", "-q"};
        if (globals.force) args.push_back("--force");
        for (const auto& s : std::vector<std::string>{a->command, r.audio, "--score", r.score, "--out", dir.string()}) args.push_back(s);
        for (const auto& o : r.options) args.push_back(o);
        const std::string err = (fs::path(a->out) / ("." + r.name + ".stderr")).string();
        const auto t = std::chrono::steady_clock::now();
        const int code = run_child(args, err);
        std::lock_guard<std::mutex> lock(m);
        r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
        r.exit_code = code;
        if (code == 0 && fs::exists(dir / marker)) {
          r.status = "done";
        } else {
          r.status = "failed";
          r.error = last_error_line(err);
          if (r.error.empty()) r.error = "exit status " + std::to_string(code);
          ++failed;
        }
        std::error_code ec;
        fs::remove(err, ec);
        ++finished;
        if (!globals.quiet) {
          const double el = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
          const std::size_t ran = finished - skipped;
          const double eta = ran ? el / ran * (rows.size() - finished) : 0;
          std::fprintf(stderr, "notewise: batch: %zu/%zu rows (%zu failed, %zu skipped), %.0f s, ETA %.0f s: %s %s%s\n", finished,
                       rows.size(), failed, skipped, el, eta, r.name.c_str(), r.status.c_str(),
                       r.error.empty() ? "" : (": " + r.error).c_str());
        }
      }
    };
    std::vector<std::thread> pool;
    for (int j = 0; j < std::min<int>(a->jobs, static_cast<int>(rows.size())); ++j) pool.emplace_back(work);
    for (auto& t : pool) t.join();

    std::ostringstream csv;
    nlohmann::json js = nlohmann::json::array();
    csv << "name,audio,score,status,exit_code,seconds,error\n";
    for (const auto& r : rows) {
      csv << csv_field(r.name) << "," << csv_field(r.audio) << "," << csv_field(r.score) << "," << r.status << "," << r.exit_code
          << "," << r.seconds << "," << csv_field(r.error) << "\n";
      js.push_back({{"name", r.name}, {"audio", r.audio}, {"score", r.score}, {"status", r.status}, {"exit_code", r.exit_code},
                    {"seconds", r.seconds}, {"error", r.error}});
    }
    io::write_text((fs::path(a->out) / "summary.csv").string(), csv.str(), true);
    io::write_text((fs::path(a->out) / "summary.json").string(),
                   nlohmann::json{{"command", a->command}, {"rows", js}, {"failed", failed}, {"skipped", skipped}}.dump(1) + "\n", true);
    if (!globals.quiet)
      std::fprintf(stderr, "notewise: batch: %zu rows: %zu done, %zu skipped, %zu failed; summary in %s\n", rows.size(),
                   rows.size() - failed - skipped, skipped, failed, (fs::path(a->out) / "summary.csv").string().c_str());
    if (failed > 0) throw Error(std::to_string(failed) + " of " + std::to_string(rows.size()) + " rows failed (" + a->out + "/summary.csv)");
  });
}

}  // namespace notewise::cli
