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
// SIGINT, SIGTERM and SIGHUP stop the rows and leave only complete rows behind (RowProcesses).
#include <fcntl.h>
#include <pthread.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <climits>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include "batch_ranks.hpp"
#include "commands.hpp"
#include "notewise/core/error.hpp"
#include "notewise/core/threads.hpp"
#include "notewise/io/atomic_file.hpp"
#include "notewise/io/batch.hpp"
#include "notewise/io/folder_lock.hpp"
#include "progress.hpp"

extern char** environ;

namespace notewise::cli {
namespace fs = std::filesystem;

namespace {

// The batch's rows (child processes) and the signals that stop them. SIGINT, SIGTERM and SIGHUP
// are blocked in every thread of the batch (this is made before the MPI session and the worker
// threads, which inherit the mask; children get the old mask back) and taken by one thread with
// sigwait, which can then do what a handler cannot: stop the rows (SIGTERM: each removes what
// it staged), wait for them, let a summary being written finish, remove the root if this run
// made it and it is still empty, and only then die of the signal (through io's handler, which
// removes a half-written temporary file). The root then holds complete rows only, and no row
// runs on. A signal the process ignores (nohup) stays ignored.
class RowProcesses {
 public:
  RowProcesses() {
    sigemptyset(&signals_);
    for (int sig : {SIGINT, SIGTERM, SIGHUP}) {
      struct sigaction old {};
      if (::sigaction(sig, nullptr, &old) == 0 && old.sa_handler != SIG_IGN) sigaddset(&signals_, sig);
    }
    ::pthread_sigmask(SIG_BLOCK, &signals_, &old_mask_);
    waiter_ = std::thread([this] { wait_for_signals(); });
  }
  ~RowProcesses() {
    finished_ = true;
    waiter_.join();
    ::pthread_sigmask(SIG_SETMASK, &old_mask_, nullptr);  // a signal that came since is delivered now
  }
  RowProcesses(const RowProcesses&) = delete;
  RowProcesses& operator=(const RowProcesses&) = delete;

  // The signal mask a child must restore before exec.
  const sigset_t& child_mask() const { return old_mask_; }
  // Calls fork_child (which forks and returns the pid) under the lock, so that a stop sees
  // every child; -1 if the fork failed, 0 (nothing forked) once the batch is stopping.
  pid_t start(const std::function<pid_t()>& fork_child) {
    std::lock_guard<std::mutex> lock(m_);
    if (stopping_) return 0;
    const pid_t pid = fork_child();
    if (pid > 0) pids_.insert(pid);
    return pid;
  }
  // After waitpid.
  void reaped(pid_t pid) {
    std::lock_guard<std::mutex> lock(m_);
    pids_.erase(pid);
    cv_.notify_all();
  }
  bool stopping() {
    std::lock_guard<std::mutex> lock(m_);
    return stopping_;
  }
  // The root, if this run created it: removed on a signal if it is empty.
  void own_root(const std::string& dir) {
    std::lock_guard<std::mutex> lock(m_);
    root_ = dir;
  }
  // While the summary is written a signal waits for it (so the summary is complete); once a
  // signal has stopped the rows, no summary is begun (this blocks until the process dies).
  class Summary {
   public:
    explicit Summary(RowProcesses& p) : p_(p) {
      std::unique_lock<std::mutex> lock(p_.m_);
      p_.cv_.wait(lock, [&] { return !p_.stopping_; });
      p_.summary_ = true;
    }
    ~Summary() {
      std::lock_guard<std::mutex> lock(p_.m_);
      p_.summary_ = false;
      p_.cv_.notify_all();
    }

   private:
    RowProcesses& p_;
  };

 private:
  void wait_for_signals() {
    const timespec tick{0, 50'000'000};  // how often the end of the batch is noticed
    while (!finished_)
      if (const int sig = ::sigtimedwait(&signals_, nullptr, &tick); sig > 0) stop_and_die(sig);
  }
  [[noreturn]] void stop_and_die(int sig) {
    std::unique_lock<std::mutex> lock(m_);  // held to the end: nothing else starts
    stopping_ = true;
    for (const pid_t pid : pids_) ::kill(pid, SIGTERM);
    cv_.wait(lock, [&] { return pids_.empty() && !summary_; });
    if (!root_.empty()) ::rmdir(root_.c_str());  // only if empty
    sigset_t one;
    sigemptyset(&one);
    sigaddset(&one, sig);
    ::raise(sig);  // pending for this thread until it is unblocked here
    ::pthread_sigmask(SIG_UNBLOCK, &one, nullptr);
    std::signal(sig, SIG_DFL);
    ::raise(sig);
    ::_exit(128 + sig);
  }

  sigset_t signals_{}, old_mask_{};
  std::atomic<bool> finished_{false};
  std::thread waiter_;
  std::mutex m_;
  std::condition_variable cv_;
  std::set<pid_t> pids_;
  bool stopping_ = false, summary_ = false;
  std::string root_;
};

// What a child wrote on stderr, read as it comes (memory bounded whatever it writes): its last
// "notewise: error: " line without the prefix, else its first non-empty line.
class ChildMessage {
 public:
  void feed(const char* p, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i)
      if (p[i] == '\n') end_line();
      else if (line_.size() < 65536) line_ += p[i];
  }
  std::string text() {
    end_line();
    return error_.empty() ? first_ : error_;
  }

 private:
  void end_line() {
    if (line_.rfind("notewise: error: ", 0) == 0) error_ = line_.substr(17);
    else if (first_.empty() && !line_.empty()) first_ = line_;
    line_.clear();
  }
  std::string line_, error_, first_;
};

// Runs argv (this same program) as a child, its stderr read through a pipe into `message`;
// returns the exit status (128 + signal). No file is made for it, so nothing is left behind and
// nothing depends on the row's name. The child is told to stop (SIGTERM: it removes what it
// staged) if this thread dies, so a batch killed even by SIGKILL leaves no row running on.
int run_child(RowProcesses& rows, const std::vector<std::string>& args, std::string& message) {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  int err[2];
  if (::pipe2(err, O_CLOEXEC) != 0) {
    message = std::string("batch: cannot start the row: ") + std::strerror(errno);
    return 127;
  }
  const pid_t parent = ::getpid();
  const sigset_t* mask = &rows.child_mask();
  const pid_t pid = rows.start([&] {
    const pid_t p = ::fork();
    if (p == 0) {  // only async-signal-safe calls until exec
      ::prctl(PR_SET_PDEATHSIG, SIGTERM);
      if (::getppid() != parent) ::_exit(127);  // the parent died before prctl took effect
      ::sigprocmask(SIG_SETMASK, mask, nullptr);  // the row handles these signals itself
      const int out = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
      if (out < 0 || ::dup2(out, 1) < 0 || ::dup2(err[1], 2) < 0) ::_exit(127);
      ::execve("/proc/self/exe", argv.data(), environ);
      ::_exit(127);
    }
    return p;
  });
  ::close(err[1]);
  if (pid <= 0) {
    ::close(err[0]);
    message = pid < 0 ? std::string("batch: cannot start the row: ") + std::strerror(errno) : "batch: stopped by a signal";
    return 127;
  }
  ChildMessage text;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(err[0], buf, sizeof buf);
    if (n > 0) text.feed(buf, static_cast<std::size_t>(n));
    else if (n == 0 || errno != EINTR) break;
  }
  ::close(err[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  rows.reaped(pid);
  message = text.text();
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// One row run as a task (the same on every rank): the task and its outcome are JSON text, so
// batch_ranks.hpp can carry them between ranks without knowing what they hold.
std::string run_task(RowProcesses& rows, const std::string& task, int rank, const std::string& host) noexcept {
  nlohmann::json out{{"rank", rank}, {"host", host}};
  try {
    const auto t = nlohmann::json::parse(task);
    const auto args = t.at("args").get<std::vector<std::string>>();
    const std::string dir = t.at("dir"), marker = t.at("marker");
    const auto t0 = std::chrono::steady_clock::now();
    std::string message;
    const int code = run_child(rows, args, message);
    out["seconds"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    out["exit_code"] = code;
    const bool ok = code == 0 && fs::exists(fs::path(dir) / marker);
    out["status"] = ok ? "done" : "failed";
    if (ok) message.clear();
    else if (message.empty()) message = "exit status " + std::to_string(code);
    out["error"] = message;
    out["scores"] = ok ? io::scores_of((fs::path(dir) / marker).string()) : nlohmann::json();
  } catch (const std::exception& e) {
    out["status"] = "failed";
    out["exit_code"] = 1;
    out["error"] = std::string("batch: ") + e.what();
  }
  return out.dump();
}

struct BatchArgs {
  std::string manifest, out, command = "separate";
  int jobs = 1;
};

int threads_per_row(const Globals& globals, int ranks, int jobs) {
  // Each row's threads: what --threads / NOTEWISE_THREADS says, else this process's CPUs
  // shared among the rows that run at once on this machine (the jobs, or the MPI ranks
  // started on this node), so that the rows do not outnumber the cores. A row's own
  // --threads option comes later on its command line and wins.
  int row_threads = globals.threads;
  if (row_threads <= 0) {
    int at_once = ranks > 1 ? 1 : jobs;
    if (ranks > 1)
      for (const char* v : {"OMPI_COMM_WORLD_LOCAL_SIZE", "MPI_LOCALNRANKS", "SLURM_NTASKS_PER_NODE"})
        if (const char* n = std::getenv(v); n != nullptr && std::atoi(n) > 0) {
          at_once = std::atoi(n);
          break;
        }
    row_threads = std::max(1, threads::limit() / std::max(1, at_once));
  }
  return row_threads;
}

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
std::pair<std::size_t, std::size_t> run_rows(RowProcesses& processes, ranks::Session& mpi,
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
    RowProcesses processes;  // first: the MPI session's threads inherit its signal mask
    ranks::Session mpi;
    const auto work = [&](const std::string& task) { return run_task(processes, task, mpi.rank(), mpi.host()); };
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
    const int row_threads = threads_per_row(globals, mpi.size(), a->jobs);
    const std::vector<std::string> tasks = row_tasks(rows, order, *a, globals, row_threads, marker);
    const auto [ran, failed] = run_rows(processes, mpi, work, rows, order, tasks, total_audio, a->jobs, globals.quiet);
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const std::size_t skipped = rows.size() - tasks.size();

    const RowProcesses::Summary writing(processes);  // a signal now waits for both files
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
