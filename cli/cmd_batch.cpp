// notewise batch: separate (or decompose) every row of a manifest, resumably, on this machine
// (--jobs N) or across the ranks of an MPI launch (mpirun -np N notewise batch ...).
//
// Each row runs as a child process of this same program (fork + exec of /proc/self/exe), so
// a row that fails in any way (bad input, out of memory, a crash) is reported and the others
// go on. A row counts as done when its folder holds the marker its command commits last and
// atomically (report.json; io/output_run.hpp): a batch killed midway and started again redoes
// only the rows without it. Rows are handed out longest first (audio length from the file's
// header), so the longest row does not start last and leave the other workers idle.
// Under MPI (batch_ranks.hpp) rank 0 reads the manifest, hands the rows out one at a time to
// whichever rank asks, runs rows itself too, and writes the summary; every rank writes its
// rows' folders itself (a shared file system).
// The root is locked for the whole run (as io::OutputRun locks a command's folder), and
// SIGINT, SIGTERM and SIGHUP stop the rows and leave only complete rows behind
// (io::BatchProcesses, which runs the rows: io/batch_processes.hpp).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <mutex>
#include <thread>

#include "batch_ranks.hpp"
#include "commands.hpp"
#include "notewise/core/error.hpp"
#include "notewise/core/threads.hpp"
#include "notewise/io/atomic_file.hpp"
#include "notewise/io/batch.hpp"
#include "notewise/io/batch_processes.hpp"
#include "notewise/io/folder_lock.hpp"
#include "progress.hpp"

namespace notewise::cli {
namespace fs = std::filesystem;

namespace {

struct BatchArgs {
  std::string manifest, out, command = "separate";
  int jobs = 1;
};

// Each row as a task (batch_ranks.hpp carries it as JSON text): this program's command line for
// it, its folder and the marker its run commits last.
std::vector<std::string> row_tasks(const std::vector<io::BatchRow>& rows, const std::vector<std::size_t>& order, const BatchArgs& a,
                                   const Globals& globals, int row_threads, const std::string& marker) {
  std::vector<std::string> tasks;
  for (std::size_t i : order) {
    const io::BatchRow& r = rows[i];
    const fs::path dir = fs::path(a.out) / r.name;
    std::vector<std::string> args{"notewise", "-q", "--threads", std::to_string(row_threads)};
    if (globals.force) args.push_back("--force");
    for (const auto& s : std::vector<std::string>{a.command, r.audio, "--score", r.score, "--out", dir.string()}) args.push_back(s);
    if (!r.reference.empty()) args.insert(args.end(), {"--reference", r.reference});
    for (const auto& o : r.options) args.push_back(o);
    tasks.push_back(nlohmann::json{{"args", args}, {"dir", dir.string()}, {"marker", marker}}.dump());
  }

  return tasks;
}

// Runs the tasks (on this machine's --jobs threads, or handed out to the MPI ranks), each row's
// outcome into `rows`, with the corpus's progress. {rows run, rows failed}.
std::pair<std::size_t, std::size_t> run_rows(io::BatchProcesses& processes, ranks::Session& mpi,
                                             const std::function<std::string(const std::string&)>& work,
                                             std::vector<io::BatchRow>& rows, const std::vector<std::size_t>& order,
                                             const std::vector<std::string>& tasks, double total_audio, int jobs, bool quiet) {
  // Progress over the corpus: the fraction of the audio done (rows are of unequal length,
  // so the ETA follows the seconds of audio, not the count of rows).
  ProgressBar bar("batch", quiet);
  std::size_t ran = 0, failed = 0;
  double audio_done = 0;
  std::mutex m;
  const auto done = [&](std::size_t k, const std::string& outcome) {
    if (processes.stopping()) return;  // the batch dies of a signal once its rows have stopped
    std::lock_guard<std::mutex> lock(m);
    io::BatchRow& r = rows[order[k]];
    io::set_outcome(r, nlohmann::json::parse(outcome, nullptr, false));
    ++ran;
    if (r.status != "done") ++failed;
    audio_done += std::max(r.audio_seconds, 0.0);
    const double f = total_audio > 0 ? audio_done / total_audio : static_cast<double>(ran) / static_cast<double>(tasks.size());
    bar.update(f, std::to_string(ran) + "/" + std::to_string(tasks.size()) + " rows, " + std::to_string(failed) + " failed");
  };
  if (mpi.size() > 1) {
    mpi.distribute(tasks, work, done);
  } else {
    std::atomic<std::size_t> next{0};
    std::vector<std::thread> pool;
    for (int j = 0; j < std::min<int>(jobs, static_cast<int>(tasks.size())); ++j)
      pool.emplace_back([&] {
        for (std::size_t k; (k = next++) < tasks.size();) done(k, work(tasks[k]));
      });
    for (auto& t : pool) t.join();
  }
  const std::size_t skipped = rows.size() - tasks.size();
  bar.finish(std::to_string(ran - failed) + " done, " + std::to_string(skipped) + " skipped, " + std::to_string(failed) + " failed");
  return {ran, failed};
}

}  // namespace

void add_batch_command(CLI::App& app, Globals& globals) {
  auto a = std::make_shared<BatchArgs>();
  CLI::App* cmd = app.add_subcommand("batch", "Run separate (or decompose) on every row of a manifest, resumably");
  cmd->footer(
      "MANIFEST.csv: a header with the columns audio, score and optionally name (the output folder\n"
      "under ROOT; default the audio's file name without extension), options (words passed to\n"
      "the command, e.g. \"--iterations 30 --no-report\") and reference (a folder of reference\n"
      "stems: the row's stems are scored as 'eval' does); paths relative to the manifest.\n"
      "Names: plain folder names of at most 255 bytes, not hidden, distinct ignoring case, and not\n"
      "summary.csv or summary.json (the batch's own files); checked before any row runs.\n"
      "Every row runs as its own process: a row that fails is reported and the others go on.\n"
      "Rows start longest first. Resumable: a row whose folder is complete is skipped.\n"
      "Writes ROOT/<name>/ per row and ROOT/summary.csv, ROOT/summary.json (status, exit code,\n"
      "seconds, error, SDR / SI-SDR per stem and mean when a reference is given). Exit status 1\n"
      "if a row failed. ROOT is locked while the batch runs (a second batch on it fails at once);\n"
      "SIGINT/SIGTERM stop the rows and leave only complete ones.\n"
      "Across processes or machines: mpirun -np N notewise batch ... (a build with MPI) hands the\n"
      "rows out one at a time to whichever rank is free; ROOT must be on a shared file system.\n"
      "Example: notewise batch corpus.csv --out runs/ --jobs 2");
  cmd->add_option("manifest", a->manifest, "The manifest (CSV)")->required()->check(CLI::ExistingFile);
  cmd->add_option("-o,--out", a->out, "Root folder of the outputs (created if needed)")->required();
  cmd->add_option("--command", a->command, "What each row runs: separate | decompose")
      ->capture_default_str()->check(CLI::IsMember({"separate", "decompose"}));
  cmd->add_option("-j,--jobs", a->jobs, "Rows run at once (each a process); under MPI, one per rank")
      ->capture_default_str()->check(CLI::Range(1, 256));
  cmd->callback([a, &globals] {
    io::BatchProcesses processes;  // first: the MPI session's threads inherit its signal mask
    ranks::Session mpi;
    const auto work = [&](const std::string& task) { return io::run_batch_task(processes, "/proc/self/exe", task, mpi.rank(), mpi.host()); };
    if (mpi.rank() != 0) {  // the other ranks only run what rank 0 hands them
      mpi.distribute({}, work, nullptr);
      return;
    }
    if (mpi.size() > 1 && a->jobs > 1)
      throw CLI::ValidationError("--jobs: under MPI every rank runs one row at a time; start more ranks instead (mpirun -np N)");
    std::vector<io::BatchRow> rows = io::read_manifest(a->manifest);
    if (a->command != "separate")
      for (const auto& r : rows)
        if (!r.reference.empty())
          throw ParseError(a->manifest, r.line, "a reference is scored only with --command separate");
    // Locked for the whole run, before anything is changed: a second batch on the same root
    // fails here. Only rank 0 locks it (the other ranks write only into rows' folders, which
    // the rows' own runs lock), and the lock is on the root itself, never on a row's folder.
    std::error_code ec;
    const bool created = !fs::exists(a->out, ec);
    io::ensure_output_dir(a->out);
    const io::FolderLock root_lock(a->out);
    if (created) processes.own_root(a->out);
    const std::string marker = "report.json";  // what separate and decompose commit last
    const auto t0 = std::chrono::steady_clock::now();

    // Complete rows are skipped (their scores taken from their report); the others are run
    // longest first.
    double total_audio = 0;
    const std::vector<std::size_t> order = io::plan_batch(rows, a->out, marker, &total_audio);
    const int row_threads = io::threads_per_row(globals.threads, mpi.size(), a->jobs);
    const std::vector<std::string> tasks = row_tasks(rows, order, *a, globals, row_threads, marker);
    const auto [ran, failed] = run_rows(processes, mpi, work, rows, order, tasks, total_audio, a->jobs, globals.quiet);
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const std::size_t skipped = rows.size() - tasks.size();

    const io::BatchProcesses::Summary writing(processes);  // a signal now waits for both files
    io::write_text((fs::path(a->out) / "summary.csv").string(), io::summary_csv(rows), true);
    io::write_text((fs::path(a->out) / "summary.json").string(),
                   nlohmann::json{{"command", a->command},
                                  {"rows", io::summary_rows(rows)},
                                  {"failed", failed},
                                  {"skipped", skipped},
                                  {"ranks", mpi.size()},
                                  {"jobs", mpi.size() > 1 ? 1 : a->jobs},
                                  {"wall_seconds", wall},
                                  {"mean_handout_seconds", mpi.mean_handout_seconds()}}
                           .dump(1) +
                       "\n",
                   true);
    for (const auto& r : rows)
      if (r.status == "failed") warn("batch: row " + r.name + " (line " + std::to_string(r.line) + ") failed: " + r.error);
    info(globals.quiet, "notewise: batch: " + std::to_string(rows.size()) + " rows: " + std::to_string(ran - failed) + " done, " +
                            std::to_string(skipped) + " skipped, " + std::to_string(failed) + " failed in " + format_seconds(wall) +
                            "; summary in " + (fs::path(a->out) / "summary.csv").string());
    if (failed > 0) throw Error(std::to_string(failed) + " of " + std::to_string(rows.size()) + " rows failed (" + a->out + "/summary.csv)");
  });
}

}  // namespace notewise::cli
