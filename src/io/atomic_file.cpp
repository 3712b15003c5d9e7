#include "notewise/io/atomic_file.hpp"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <system_error>

#include "notewise/core/error.hpp"

namespace fs = std::filesystem;

namespace notewise::io {

void check_writable(const std::string& path, bool overwrite) {
  std::error_code ec;
  if (!overwrite && fs::exists(path, ec))
    throw IoError(path, "exists already (use --force to overwrite)");
}

void ensure_output_dir(const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw IoError(dir, "cannot create output folder: " + ec.message());
  if (!fs::is_directory(dir, ec)) throw IoError(dir, "is not a folder");
  if (::access(dir.c_str(), W_OK | X_OK) != 0) throw IoError(dir, "output folder is not writable");
}

void write_atomically(const std::string& path, bool overwrite,
                      const std::function<void(const std::string&)>& write) {
  check_writable(path, overwrite);
  const fs::path target(path);
  std::random_device rd;
  const fs::path tmp = target.parent_path() /
                       ("." + target.filename().string() + ".tmp" + std::to_string(rd() % 1000000));
  try {
    write(tmp.string());
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
