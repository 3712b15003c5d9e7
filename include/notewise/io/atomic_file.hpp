#pragma once
// Nothing is ever half-written: every output goes to a temporary file in the destination's
// folder and is renamed over the destination only once complete.
#include <functional>
#include <string>

namespace notewise::io {

// Throws IoError if `path` exists and !overwrite.
void check_writable(const std::string& path, bool overwrite);

// Creates `dir` (and parents) if needed and checks that a file can be created in it.
// Throws IoError naming the folder otherwise. Call before long work.
void ensure_output_dir(const std::string& dir);

// Calls write(tmp_path), then renames tmp_path to path. On any exception the temporary file is
// removed and the exception propagates; `path` is untouched.
void write_atomically(const std::string& path, bool overwrite, const std::function<void(const std::string&)>& write);

// Text content, atomically.
void write_text(const std::string& path, const std::string& content, bool overwrite);

}  // namespace notewise::io
