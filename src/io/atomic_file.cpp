#include "notewise/io/atomic_file.hpp"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <system_error>

#include "notewise/core/error.hpp"
#include "notewise/io/output_run.hpp"

namespace fs = std::filesystem;

namespace notewise::io {

void check_writable(const std::string& path, bool overwrite) {
  std::error_code ec;
  if (!overwrite && fs::exists(path, ec))
    throw IoError(path, "exists already (use {setting:force} to overwrite)");
}

void ensure_output_dir(const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw IoError(dir, "cannot create output folder: " + ec.message());
  if (!fs::is_directory(dir, ec)) throw IoError(dir, "is not a folder");
  if (::access(dir.c_str(), W_OK | X_OK) != 0) throw IoError(dir, "output folder is not writable");
}

namespace {
// An error from the writer names the temporary file it was given; the user knows the target.
std::string retarget(std::string what, const std::string& tmp, const std::string& path) {
  for (std::size_t at = what.find(tmp); at != std::string::npos; at = what.find(tmp, at + path.size()))
    what.replace(at, tmp.size(), path);
  return what;
}
}  // namespace

void write_atomically(const std::string& path, bool overwrite,
                      const std::function<void(const std::string&)>& write) {
  check_writable(path, overwrite);
  const fs::path target(path);
  std::random_device rd;
  // The temporary name keeps the extension last (".NAME.tmp123.png"): writers that choose the
  // format by extension (Cairo) then write the temporary file itself, and nothing else.
  const fs::path tmp = target.parent_path() / ("." + target.stem().string() + ".tmp" +
                                               std::to_string(rd() % 1000000) + target.extension().string());
  const int slot = register_cleanup(tmp.string(), 0);
  struct Release {
    int slot;
    ~Release() { unregister_cleanup(slot); }
  } release{slot};
  try {
    try {
      write(tmp.string());
    } catch (const IoError& e) {
      if (e.path() != tmp.string()) throw;
      throw IoError(path, retarget(std::string(e.what()).substr(e.path().size() + 2), tmp.string(), path));
    } catch (const InvalidArgument& e) {
      throw InvalidArgument(retarget(e.what(), tmp.string(), path));
    }
    std::error_code ec;
    fs::rename(tmp, target, ec);
    if (ec) throw IoError(path, "cannot write: " + ec.message());
  } catch (...) {
    std::error_code ignore;
    fs::remove(tmp, ignore);
    throw;
  }
}

void write_text(const std::string& path, const std::string& content, bool overwrite) {
  write_atomically(path, overwrite, [&](const std::string& tmp) {
    std::ofstream out(tmp, std::ios::binary);
    out << content;
    out.close();
    if (!out) throw IoError(path, "cannot write");
  });
}

}  // namespace notewise::io
