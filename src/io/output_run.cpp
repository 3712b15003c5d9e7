#include "notewise/io/output_run.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <system_error>

#include "notewise/core/error.hpp"
#include "notewise/io/folder_lock.hpp"

namespace fs = std::filesystem;

namespace notewise::io {
namespace {

// ---- cleanup registry: fixed storage, so that a signal handler can read it -----------------
constexpr int kSlots = 32;
constexpr std::size_t kPathMax = 4096;
constexpr const char* kManifest = kRunManifest;
constexpr const char* kManifestHeader = "notewise outputs 1";
struct Slot {
  std::atomic<int> kind{-1};  // -1 free, -2 being written, 0 file, 1 tree, 2 empty folder
  char path[kPathMax];
};
Slot g_slots[kSlots];
// 0 idle, 1 a commit is moving files (signals wait), 2 a handler is cleaning up.
std::atomic<int> g_phase{0};
std::atomic<int> g_pending_signal{0};
std::string g_last_staging, g_last_dir;  // for staged_to_final

// Removes a folder tree with raw system calls only (open, getdents64, unlinkat): safe inside a
// signal handler. Depth-limited; staging folders are two levels deep (plots/).
void remove_tree_raw(int parent, const char* name, int depth) {
  const int fd = ::openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    ::unlinkat(parent, name, 0);
    return;
  }
  alignas(8) char buf[4096];
  for (;;) {
    const long n = ::syscall(SYS_getdents64, fd, buf, sizeof buf);
    if (n <= 0) break;
    for (long off = 0; off < n;) {
      struct Entry {
        unsigned long long ino;
        long long off;
        unsigned short reclen;
        unsigned char type;
        char name[1];
      };
      const auto* e = reinterpret_cast<const Entry*>(buf + off);
      off += e->reclen;
      if (std::strcmp(e->name, ".") == 0 || std::strcmp(e->name, "..") == 0) continue;
      if (e->type == DT_DIR && depth < 8) remove_tree_raw(fd, e->name, depth + 1);
      else ::unlinkat(fd, e->name, 0);
    }
  }
  ::close(fd);
  ::unlinkat(parent, name, AT_REMOVEDIR);
}

void clean_all_raw() {
  for (int i = kSlots - 1; i >= 0; --i) {
    const int kind = g_slots[i].kind.load();
    if (kind == 0) ::unlink(g_slots[i].path);
    else if (kind == 1) remove_tree_raw(AT_FDCWD, g_slots[i].path, 0);
  }
  for (int i = kSlots - 1; i >= 0; --i)
    if (g_slots[i].kind.load() == 2) ::rmdir(g_slots[i].path);  // only if empty
}

void die_of(int sig) {
  std::signal(sig, SIG_DFL);
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, sig);
  ::pthread_sigmask(SIG_UNBLOCK, &s, nullptr);  // blocked while its handler runs
  ::raise(sig);
  ::_exit(128 + sig);
}

void on_signal(int sig) {
  int idle = 0;
  if (!g_phase.compare_exchange_strong(idle, 2)) {
    if (g_phase.load() == 1) {  // a commit is moving files: it finishes, then dies of sig
      g_pending_signal.store(sig);
      return;
    }
    for (;;) ::pause();  // another thread's handler is cleaning up and will end the process
  }
  clean_all_raw();
  die_of(sig);
}

std::string make_temp_dir(const fs::path& parent, const std::string& prefix) {
  std::string pattern = (parent / (prefix + "XXXXXX")).string();
  if (::mkdtemp(pattern.data()) == nullptr)
    throw IoError(parent.string(), std::string("cannot create a staging folder: ") + std::strerror(errno));
  return pattern;
}

// Every regular file under `root`, as paths relative to it.
void list_files(const fs::path& root, const fs::path& rel, std::vector<fs::path>& out) {
  for (const auto& e : fs::directory_iterator(root / rel)) {
    if (e.is_directory()) list_files(root, rel / e.path().filename(), out);
    else out.push_back(rel / e.path().filename());
  }
}

// The outputs an old run of DIR listed in its manifest (relative paths, one a line): only those
// that stay inside DIR (relative, no "." or ".." parts, no folder on the way that is a link) and
// are a file or a link, so a manifest written by hand cannot remove anything else.
std::vector<fs::path> old_outputs(const fs::path& dir) {
  std::vector<fs::path> out;
  std::ifstream in(dir / kManifest);
  std::string line;
  if (!std::getline(in, line) || line != kManifestHeader) return out;
  std::error_code ec;
  while (std::getline(in, line)) {
    const fs::path rel(line);
    if (line.empty() || line.size() >= kPathMax || rel.is_absolute() || rel.has_root_name()) continue;
    bool inside = true;
    for (const auto& part : rel) inside = inside && !part.empty() && part != "." && part != "..";
    if (!inside || rel == fs::path(kManifest)) continue;
    fs::path at = dir;
    for (auto it = rel.begin(); inside && std::next(it) != rel.end(); ++it) {
      at /= *it;
      inside = fs::symlink_status(at, ec).type() == fs::file_type::directory;
    }
    const auto type = fs::symlink_status(dir / rel, ec).type();
    if (inside && (type == fs::file_type::regular || type == fs::file_type::symlink)) out.push_back(rel);
  }
  return out;
}

// The prefix of DIR's sibling staging folder, ".NAME.notewise-" (mkdtemp adds six characters):
// a NAME so long that the whole would not fit in a file name is cut, between UTF-8 characters.
std::string sibling_prefix(const std::string& name) {
  constexpr std::size_t kFixed = 1 + 10 + 6;  // ".", ".notewise-", "XXXXXX"
  std::size_t n = std::min(name.size(), static_cast<std::size_t>(NAME_MAX) - kFixed);
  while (n > 0 && n < name.size() && (static_cast<unsigned char>(name[n]) & 0xC0) == 0x80) --n;  // a continuation byte
  return "." + name.substr(0, n) + ".notewise-";
}

// SIGINT, SIGTERM and SIGHUP wait while it lives: a signal between making a folder and
// registering it for removal would leave the folder behind (a batch stops its rows with SIGTERM
// as soon as they start).
class SignalsDeferred {
 public:
  SignalsDeferred() {
    sigset_t s;
    sigemptyset(&s);
    for (int sig : {SIGINT, SIGTERM, SIGHUP}) sigaddset(&s, sig);
    ::pthread_sigmask(SIG_BLOCK, &s, &old_);
  }
  ~SignalsDeferred() { ::pthread_sigmask(SIG_SETMASK, &old_, nullptr); }  // one that came is delivered now
  SignalsDeferred(const SignalsDeferred&) = delete;
  SignalsDeferred& operator=(const SignalsDeferred&) = delete;

 private:
  sigset_t old_;
};

bool is_empty_dir(const std::string& d) {
  std::error_code ec;
  return fs::is_directory(d, ec) && fs::directory_iterator(d, ec) == fs::directory_iterator();
}

}  // namespace

std::string staged_to_final(std::string text) {
  if (g_last_staging.empty()) return text;
  for (std::size_t at = text.find(g_last_staging); at != std::string::npos;
       at = text.find(g_last_staging, at + g_last_dir.size()))
    text.replace(at, g_last_staging.size(), g_last_dir);
  return text;
}

int register_cleanup(const std::string& path, int kind) {
  if (path.size() >= kPathMax) return -1;
  std::string abs = path;
  std::error_code ec;
  const fs::path a = fs::absolute(path, ec);  // the handler must not depend on the cwd
  if (!ec && a.string().size() < kPathMax) abs = a.string();
  for (int i = 0; i < kSlots; ++i) {
    int free_slot = -1;
    if (g_slots[i].kind.compare_exchange_strong(free_slot, -2)) {
      std::memcpy(g_slots[i].path, abs.c_str(), abs.size() + 1);
      g_slots[i].kind.store(kind);
      return i;
    }
  }
  return -1;
}

void unregister_cleanup(int slot) {
  if (slot >= 0 && slot < kSlots) g_slots[slot].kind.store(-1);
}

void install_signal_cleanup() {
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) ::sigaction(sig, &sa, nullptr);
}

int lock_folder(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) throw IoError(dir, std::string("cannot open output folder: ") + std::strerror(errno));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int e = errno;
    ::close(fd);
    throw IoError(dir, e == EWOULDBLOCK ? "output folder is in use by another notewise run (locked); wait for it or choose another {setting:out}"
                                        : std::string("cannot lock output folder: ") + std::strerror(e));
  }
  return fd;
}

FolderLock::~FolderLock() { ::close(fd_); }

OutputRun::OutputRun(const std::string& dir, bool overwrite) : dir_(dir), overwrite_(overwrite) {
  const SignalsDeferred deferred;  // DIR and the staging folder are registered as they are made
  std::error_code ec;
  if (fs::exists(dir_, ec) && !fs::is_directory(dir_, ec)) throw IoError(dir_, "exists and is not a folder");
  if (!fs::exists(dir_, ec)) {
    // Parents first (kept: they may be shared), then DIR itself, which this run owns.
    const fs::path parent = fs::path(dir_).parent_path();
    if (!parent.empty()) {
      fs::create_directories(parent, ec);
      if (ec) throw IoError(dir_, "cannot create output folder: " + ec.message());
    }
    if (::mkdir(dir_.c_str(), 0777) != 0) {
      if (errno != EEXIST) throw IoError(dir_, std::string("cannot create output folder: ") + std::strerror(errno));
    } else {
      created_dir_ = true;
      dir_slot_ = register_cleanup(dir_, 2);
    }
  }
  try {
    if (!fs::is_directory(dir_, ec)) throw IoError(dir_, "is not a folder");
    if (::access(dir_.c_str(), W_OK | X_OK) != 0) throw IoError(dir_, "output folder is not writable");
    lock_fd_ = lock_folder(dir_);
    fs::path d(dir_);
    if (d.filename().empty()) d = d.parent_path();  // "out/"
    const fs::path parent = d.parent_path().empty() ? fs::path(".") : d.parent_path();
    sibling_ = created_dir_ && ::access(parent.c_str(), W_OK | X_OK) == 0;
    staging_ = sibling_ ? make_temp_dir(parent, sibling_prefix(d.filename().string()))
                        : make_temp_dir(d, ".notewise-run-");
    cleanup_slot_ = register_cleanup(staging_, 1);
    // mkdtemp makes 0700 folders; the staging folder may become DIR, so it takes DIR's mode.
    struct stat st {};
    if (sibling_ && ::stat(dir_.c_str(), &st) == 0) ::chmod(staging_.c_str(), st.st_mode & 07777);
    g_last_staging = staging_;
    g_last_dir = dir_;
  } catch (...) {
    if (lock_fd_ >= 0) ::close(lock_fd_);
    if (created_dir_) ::rmdir(dir_.c_str());
    unregister_cleanup(dir_slot_);
    throw;
  }
}

OutputRun::~OutputRun() {
  if (!committed_) {
    std::error_code ec;
    if (!staging_.empty()) fs::remove_all(staging_, ec);
    if (created_dir_) ::rmdir(dir_.c_str());
  }
  unregister_cleanup(cleanup_slot_);
  unregister_cleanup(dir_slot_);
  if (lock_fd_ >= 0) ::close(lock_fd_);
}

void OutputRun::expect(const std::vector<std::string>& files) const {
  if (overwrite_) return;
  std::error_code ec;
  for (const auto& f : files) {
    const fs::path p = fs::path(dir_) / f;
    if (fs::exists(p, ec)) throw IoError(p.string(), "exists already (use {setting:force} to overwrite)");
  }
}

void OutputRun::commit(const std::string& marker) {
  std::vector<fs::path> files;
  list_files(staging_, "", files);
  std::error_code ec;
  if (!overwrite_)
    for (const auto& f : files)
      if (fs::exists(fs::path(dir_) / f, ec))
        throw IoError((fs::path(dir_) / f).string(), "exists already (use {setting:force} to overwrite)");
  {
    // The manifest: what this run wrote, so that a later run with --force into DIR can remove
    // what it does not write again (old stems, a report it leaves out), and nothing else.
    // Without overwriting, the earlier run's files stay beside these, and so do their entries.
    std::vector<fs::path> listed = files;
    if (!overwrite_ && !sibling_)
      for (const auto& old : old_outputs(dir_))
        if (std::find(listed.begin(), listed.end(), old) == listed.end()) listed.push_back(old);
    std::ofstream m(fs::path(staging_) / kManifest);
    m << kManifestHeader << '\n';
    for (const auto& f : listed) m << f.generic_string() << '\n';
    m.close();
    if (!m) throw IoError((fs::path(dir_) / kManifest).string(), "cannot write");
  }
  int idle = 0;
  if (!g_phase.compare_exchange_strong(idle, 1))
    for (;;) ::pause();  // a signal handler is removing the run; it ends the process
  struct Done {
    ~Done() {
      g_phase.store(0);
      if (const int sig = g_pending_signal.exchange(0)) {
        clean_all_raw();
        die_of(sig);
      }
    }
  } done;
  if (sibling_ && is_empty_dir(dir_) && ::rename(staging_.c_str(), dir_.c_str()) == 0) {
    committed_ = true;
    return;
  }
  // Into an existing folder: the old marker goes first, the new one last.
  const fs::path d(dir_), s(staging_);
  if (!marker.empty()) fs::remove(d / marker, ec);
  if (overwrite_) {
    // The old run's outputs that this one does not write again, and the folders they leave empty.
    for (const auto& old : old_outputs(d)) {
      if (std::find(files.begin(), files.end(), old) != files.end()) continue;
      fs::remove(d / old, ec);
      for (fs::path up = old.parent_path(); !up.empty(); up = up.parent_path())
        if (::rmdir((d / up).c_str()) != 0) break;  // not empty: something else is in it
    }
  }
  auto move = [&](const fs::path& f) {
    fs::create_directories((d / f).parent_path(), ec);
    if (::rename((s / f).c_str(), (d / f).c_str()) != 0)
      throw IoError((d / f).string(), std::string("cannot write: ") + std::strerror(errno));
  };
  for (const auto& f : files)
    if (f != fs::path(marker)) move(f);
  move(kManifest);
  for (const auto& f : files)
    if (f == fs::path(marker)) move(f);
  committed_ = true;
  fs::remove_all(staging_, ec);
}

}  // namespace notewise::io
