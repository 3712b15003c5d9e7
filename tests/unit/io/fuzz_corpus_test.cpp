// Issue #40: the kept fuzz corpus (fuzz/corpus/<target>/, grown by `bash fuzz/run.sh --keep`)
// replayed through the fuzz targets' own bodies (fuzz/fuzz_targets.hpp) in a normal build: each
// file is read within the reader's documented bounds or rejected with a notewise::Error, never
// another exception and never a crash. A broken bound throws std::logic_error here (a trap under
// libFuzzer), so the file is named.
#include <stdexcept>
#define NOTEWISE_FUZZ_FAIL(what) throw std::logic_error(what)
#include "fuzz_targets.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace {

using Body = void (*)(const std::uint8_t*, std::size_t);

void replay(const std::string& target, Body body) {
  const std::filesystem::path dir = std::filesystem::path(NOTEWISE_FUZZ_CORPUS) / target;
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    if (e.is_regular_file()) files.push_back(e.path());
  std::sort(files.begin(), files.end());
  ASSERT_FALSE(files.empty()) << dir;
  for (const auto& f : files) {
    std::ifstream in(f, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_NO_THROW(body(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size())) << f;
  }
}

}  // namespace

TEST(FuzzCorpus, Midi) { replay("midi", notewise::fuzz::midi); }
TEST(FuzzCorpus, Csv) { replay("csv", notewise::fuzz::csv); }
TEST(FuzzCorpus, MusicXml) { replay("musicxml", notewise::fuzz::musicxml); }
TEST(FuzzCorpus, Npy) { replay("npy", notewise::fuzz::npy); }
TEST(FuzzCorpus, Selection) { replay("selection", notewise::fuzz::selection); }
TEST(FuzzCorpus, Model) { replay("model", notewise::fuzz::model); }
TEST(FuzzCorpus, Audio) { replay("audio", notewise::fuzz::audio); }
