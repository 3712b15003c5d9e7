#pragma once
// A batch's rows run as child processes (the CLI's `batch`; io/batch.hpp holds its manifest,
// plan and summary): each row is a program run in a child process, so a row that fails in any
// way (bad input, out of memory, a crash) is reported and the others go on. How the rows are
// handed out (threads on this machine, MPI ranks) and what command line each row gets are the
// front end's.
//
// Signals: a BatchProcesses blocks SIGINT, SIGTERM and SIGHUP in the thread that makes it (and
// in every thread made after it, which inherits the mask; children get the old mask back) and
// takes them in one thread with sigwait, which can then do what a handler cannot: stop the rows
// (SIGTERM: each removes what it staged), wait for them, let a summary being written finish,
// remove the root if this run made it and it is still empty, and only then die of the signal
// (through io's handler, which removes a half-written temporary file). The root then holds
// complete rows only, and no row runs on. A signal the process ignores (nohup) stays ignored.
// Make one per process, before any other thread. Thread safe otherwise.
#include <sys/types.h>

#include <atomic>
#include <condition_variable>
#include <csignal>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace notewise::io {

class BatchProcesses {
 public:
  BatchProcesses();
  ~BatchProcesses();  // the old signal mask back (a signal that came since is delivered then)
  BatchProcesses(const BatchProcesses&) = delete;
  BatchProcesses& operator=(const BatchProcesses&) = delete;

  // The signal mask a child must restore before exec.
  const sigset_t& child_mask() const { return old_mask_; }
  // Calls fork_child (which forks and returns the pid) under the lock, so that a stop sees
  // every child; -1 if the fork failed, 0 (nothing forked) once the batch is stopping.
  pid_t start(const std::function<pid_t()>& fork_child);
  // After waitpid.
  void reaped(pid_t pid);
  bool stopping();
  // The root, if this run created it: removed on a signal if it is empty.
  void own_root(const std::string& dir);
  // While the summary is written a signal waits for it (so the summary is complete); once a
  // signal has stopped the rows, no summary is begun (this blocks until the process dies).
  class Summary {
   public:
    explicit Summary(BatchProcesses& p);
    ~Summary();
    Summary(const Summary&) = delete;
    Summary& operator=(const Summary&) = delete;

   private:
    BatchProcesses& p_;
  };

 private:
  void wait_for_signals();
  [[noreturn]] void stop_and_die(int sig);

  sigset_t signals_{}, old_mask_{};
  std::atomic<bool> finished_{false};
  std::thread waiter_;
  std::mutex m_;
  std::condition_variable cv_;
  std::set<pid_t> pids_;
  bool stopping_ = false, summary_ = false;
  std::string root_;
};

// Runs `program` with `args` (args[0] is its name) as a child, standard output to /dev/null and
// its standard error read through a pipe (memory bounded whatever it writes) into `message`: its
// last line starting "notewise: error: " without that prefix, else its first non-empty line.
// Returns the exit status (128 + signal; 127 if it could not start, `message` saying why). No
// file is made for it, so nothing is left behind and nothing depends on the row's name. The
// child is told to stop (SIGTERM: it removes what it staged) if the calling thread dies, so a
// batch killed even by SIGKILL leaves no row running on.
int run_child(BatchProcesses& rows, const std::string& program, const std::vector<std::string>& args, std::string& message);

// A row run as a task, the same on every worker: the task and its outcome are JSON text, so a
// front end can carry them between processes or machines without knowing what they hold. Task:
// {"args": the row's command line, "dir": its folder, "marker": the file its run commits
// last}. Outcome (io/batch.hpp's set_outcome reads it): {"rank", "host", "seconds",
// "exit_code", "status": done (exit 0 and the marker there) | failed, "error", "scores" (of the
// row's report, against its reference)}. Never throws.
std::string run_batch_task(BatchProcesses& rows, const std::string& program, const std::string& task, int rank,
                           const std::string& host) noexcept;

// The threads each row may use: `threads` if positive (the front end's --threads or
// NOTEWISE_THREADS), else this process's CPUs (threads::limit) shared among the rows that run at
// once on this machine: `jobs`, or under several `ranks` the MPI ranks started on this node
// (OMPI_COMM_WORLD_LOCAL_SIZE, MPI_LOCALNRANKS or SLURM_NTASKS_PER_NODE; 1 if none is set).
// At least 1.
int threads_per_row(int threads, int ranks, int jobs);

}  // namespace notewise::io
