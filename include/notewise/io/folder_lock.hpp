#pragma once
// An advisory lock on an output folder: flock(LOCK_EX | LOCK_NB) on the folder itself, so it
// needs no file of its own and a run that dies (even of SIGKILL) leaves none behind. io::OutputRun
// takes it on a command's --out; `notewise batch` on its root (the rows' own runs lock the rows'
// folders, which are other folders). Not inherited by child processes (close-on-exec).
#include <string>

namespace notewise::io {

// Locks `dir` (an existing folder) and returns the descriptor that holds the lock (close it to
// release). IoError naming `dir` if it cannot be opened or another run holds the lock
// ("output folder is in use by another notewise run (locked); ...").
int lock_folder(const std::string& dir);

// lock_folder for the object's lifetime.
class FolderLock {
 public:
  explicit FolderLock(const std::string& dir) : fd_(lock_folder(dir)) {}
  ~FolderLock();
  FolderLock(const FolderLock&) = delete;
  FolderLock& operator=(const FolderLock&) = delete;

 private:
  int fd_;
};

}  // namespace notewise::io
