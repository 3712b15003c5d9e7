#pragma once
// Helpers shared by the tests: a fresh temporary folder per test, removed afterwards.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <cstdlib>
#include <random>
#include <set>
#include <string>

namespace notewise::test {

class TempDir {
 public:
  TempDir() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    std::random_device rd;
    path_ = std::filesystem::temp_directory_path() /
            ("notewise_" + std::string(info ? info->name() : "test") + "_" + std::to_string(rd()));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

inline void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

inline std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Every path under `root` (files and folders, hidden ones too) with file sizes, to check that a
// run left nothing behind and changed nothing; empty if `root` does not exist.
inline std::set<std::string> tree(const std::filesystem::path& root) {
  std::set<std::string> out;
  std::error_code ec;
  if (!std::filesystem::exists(root, ec)) return out;
  for (auto it = std::filesystem::recursive_directory_iterator(root); it != std::filesystem::recursive_directory_iterator(); ++it) {
    const auto size = it->is_regular_file(ec) ? it->file_size(ec) : 0;
    out.insert(std::filesystem::relative(it->path(), root).string() + ":" + std::to_string(size));
  }
  return out;
}

#ifdef NOTEWISE_BINARY
// The program run with `args` (a shell command line), stdout discarded, stdin empty.
struct CliRun {
  int code;
  std::string err;  // stderr
};

inline CliRun notewise_cli(const std::string& args) {
  TempDir scratch;
  const std::string err_file = scratch.file("stderr.txt");
  const std::string cmd = std::string(NOTEWISE_BINARY) + " " + args + " >/dev/null 2>" + err_file + " </dev/null";
  const int status = std::system(cmd.c_str());
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, read_bytes(err_file)};
}
#endif

}  // namespace notewise::test
