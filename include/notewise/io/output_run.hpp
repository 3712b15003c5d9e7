#pragma once
// Whole-run atomicity for commands that write a folder of results (DIR/<group>.wav, report.json,
// W.npy, ...): every file is written into a staging folder and moved into DIR only once all of
// them are complete, the run's completion marker (report.json, model.json, ...) last. An
// advisory lock (flock) on DIR makes a second run on the same DIR fail at once. On an error
// (exception) or on SIGINT/SIGTERM/SIGHUP, what the run created is removed.
//
//  - DIR did not exist: it is created empty (to be locked), the files are staged in a hidden
//    sibling `.DIR.notewise-XXXXXX`, and the commit renames that folder over the empty DIR:
//    DIR appears complete or not at all.
//  - DIR existed: the files are staged in `DIR/.notewise-run-XXXXXX` and the commit moves them
//    into DIR; an old marker is removed first and the new one moved last, so a reader that
//    checks the marker never takes a mixed set for a complete one.
//  - The commit also writes DIR/.notewise.outputs, the list of the files the run wrote. With
//    overwriting on, the files an earlier run listed there that this run does not write again
//    (stems of groups no longer there, a report left out) are removed, with the folders that
//    leaves empty, between the old marker and the new; files notewise did not write are kept.
// Not thread-safe; one OutputRun per process at a time.
#include <string>
#include <vector>

namespace notewise::io {

// The manifest a committed run leaves in DIR: "notewise outputs 1", then a path a line.
inline constexpr const char* kRunManifest = ".notewise.outputs";

class OutputRun {
 public:
  // Creates DIR if needed and locks it; IoError naming DIR if it cannot be created, is not a
  // folder, is not writable, or another run holds the lock.
  OutputRun(const std::string& dir, bool overwrite);
  ~OutputRun();  // without commit(): removes the staging folder, and DIR if this run created it
  OutputRun(const OutputRun&) = delete;
  OutputRun& operator=(const OutputRun&) = delete;

  const std::string& dir() const { return dir_; }          // where the results end up
  const std::string& staging() const { return staging_; }  // where to write them
  // IoError if one of `files` (names relative to DIR) exists in DIR and overwriting is off.
  void expect(const std::vector<std::string>& files) const;
  // Moves every staged file into DIR (subfolders too), `marker` last. Signals wait until it is
  // done. Refuses (IoError, nothing moved) if a file exists in DIR and overwriting is off.
  void commit(const std::string& marker);

 private:
  std::string dir_, staging_;
  bool overwrite_ = false, created_dir_ = false, sibling_ = false, committed_ = false;
  int lock_fd_ = -1;
  int cleanup_slot_ = -1, dir_slot_ = -1;
};

// `text` with the latest OutputRun's staging folder replaced by its DIR: errors raised while
// writing name the files where the user will look for them (kept after the run is gone).
std::string staged_to_final(std::string text);

// Installs handlers for SIGINT, SIGTERM and SIGHUP that remove what is registered for cleanup
// (staging folders, temporary files, folders a run created), then die of the same signal.
void install_signal_cleanup();

// Registry used by OutputRun and write_atomically; async-signal-safe removal. kind: 0 file,
// 1 folder tree, 2 empty folder. Returns a slot (or -1 when full); release with unregister.
int register_cleanup(const std::string& path, int kind);
void unregister_cleanup(int slot);

}  // namespace notewise::io
