#include "notewise/io/batch_processes.hpp"

#include <fcntl.h>
#include <pthread.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "notewise/core/threads.hpp"
#include "notewise/io/batch.hpp"

extern char** environ;

namespace notewise::io {
namespace fs = std::filesystem;

BatchProcesses::BatchProcesses() {
  sigemptyset(&signals_);
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) {
    struct sigaction old {};
    if (::sigaction(sig, nullptr, &old) == 0 && old.sa_handler != SIG_IGN) sigaddset(&signals_, sig);
  }
  ::pthread_sigmask(SIG_BLOCK, &signals_, &old_mask_);
  waiter_ = std::thread([this] { wait_for_signals(); });
}

BatchProcesses::~BatchProcesses() {
  finished_ = true;
  waiter_.join();
  ::pthread_sigmask(SIG_SETMASK, &old_mask_, nullptr);  // a signal that came since is delivered now
}

pid_t BatchProcesses::start(const std::function<pid_t()>& fork_child) {
  std::lock_guard<std::mutex> lock(m_);
  if (stopping_) return 0;
  const pid_t pid = fork_child();
  if (pid > 0) pids_.insert(pid);
  return pid;
}

void BatchProcesses::reaped(pid_t pid) {
  std::lock_guard<std::mutex> lock(m_);
  pids_.erase(pid);
  cv_.notify_all();
}

bool BatchProcesses::stopping() {
  std::lock_guard<std::mutex> lock(m_);
  return stopping_;
}

void BatchProcesses::own_root(const std::string& dir) {
  std::lock_guard<std::mutex> lock(m_);
  root_ = dir;
}

BatchProcesses::Summary::Summary(BatchProcesses& p) : p_(p) {
  std::unique_lock<std::mutex> lock(p_.m_);
  p_.cv_.wait(lock, [&] { return !p_.stopping_; });
  p_.summary_ = true;
}

BatchProcesses::Summary::~Summary() {
  std::lock_guard<std::mutex> lock(p_.m_);
  p_.summary_ = false;
  p_.cv_.notify_all();
}

void BatchProcesses::wait_for_signals() {
  const timespec tick{0, 50'000'000};  // how often the end of the batch is noticed
  while (!finished_)
    if (const int sig = ::sigtimedwait(&signals_, nullptr, &tick); sig > 0) stop_and_die(sig);
}

void BatchProcesses::stop_and_die(int sig) {
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

namespace {

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

}  // namespace

int run_child(BatchProcesses& rows, const std::string& program, const std::vector<std::string>& args, std::string& message) {
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
      ::execve(program.c_str(), argv.data(), environ);
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

std::string run_batch_task(BatchProcesses& rows, const std::string& program, const std::string& task, int rank,
                           const std::string& host) noexcept {
  nlohmann::json out{{"rank", rank}, {"host", host}};
  try {
    const auto t = nlohmann::json::parse(task);
    const auto args = t.at("args").get<std::vector<std::string>>();
    const std::string dir = t.at("dir"), marker = t.at("marker");
    const auto t0 = std::chrono::steady_clock::now();
    std::string message;
    const int code = run_child(rows, program, args, message);
    out["seconds"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    out["exit_code"] = code;
    const bool ok = code == 0 && fs::exists(fs::path(dir) / marker);
    out["status"] = ok ? "done" : "failed";
    if (ok) message.clear();
    else if (message.empty()) message = "exit status " + std::to_string(code);
    out["error"] = message;
    out["scores"] = ok ? scores_of((fs::path(dir) / marker).string()) : nlohmann::json();
  } catch (const std::exception& e) {
    out["status"] = "failed";
    out["exit_code"] = 1;
    out["error"] = std::string("batch: ") + e.what();
  }
  return out.dump();
}

int threads_per_row(int threads, int ranks, int jobs) {
  // (A thread count the row is given itself comes later on its command line and wins.)
  if (threads > 0) return threads;
  int at_once = ranks > 1 ? 1 : jobs;
  if (ranks > 1)
    for (const char* v : {"OMPI_COMM_WORLD_LOCAL_SIZE", "MPI_LOCALNRANKS", "SLURM_NTASKS_PER_NODE"})
      if (const char* n = std::getenv(v); n != nullptr && std::atoi(n) > 0) {
        at_once = std::atoi(n);
        break;
      }
  return std::max(1, threads::limit() / std::max(1, at_once));
}

}  // namespace notewise::io
