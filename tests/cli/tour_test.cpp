// The README's tour, run as written: every command of its "Command line" block, in order, from
// a copy of a clone's example folder (the files the tour names ship with the example).
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <regex>
#include <sstream>

#include "notewise/io/audio.hpp"
#include "notewise/io/score_io.hpp"
#include "test_util.hpp"

using namespace notewise;
using notewise::test::TempDir;

namespace {

// The commands of the first ```sh block after the heading `section` ("### Command line"):
// continuation lines joined, comments (a '#' outside quotes) cut.
std::vector<std::string> tour_commands(const std::string& readme, const std::string& heading = "### Command line") {
  const std::size_t section = readme.find(heading);
  EXPECT_NE(section, std::string::npos);
  const std::size_t begin = readme.find("```sh\n", section);
  const std::size_t end = readme.find("```", begin + 6);
  std::istringstream block(readme.substr(begin + 6, end - begin - 6));
  std::vector<std::string> out;
  std::string line, joined;
  while (std::getline(block, line)) {
    char quote = 0;
    std::size_t cut = line.size();
    for (std::size_t i = 0; i < line.size(); ++i) {
      if (quote) {
        if (line[i] == quote) quote = 0;
      } else if (line[i] == '\'' || line[i] == '"') {
        quote = line[i];
      } else if (line[i] == '#' && (i == 0 || line[i - 1] == ' ')) {
        cut = i;
        break;
      }
    }
    line = line.substr(0, cut);
    while (!line.empty() && line.back() == ' ') line.pop_back();
    const bool continued = !line.empty() && line.back() == '\\';
    if (continued) line.pop_back();
    joined += line;
    if (!continued) {
      if (joined.find_first_not_of(' ') != std::string::npos) out.push_back(joined);
      joined.clear();
    }
  }
  return out;
}

// A word for the shell, in single quotes.
std::string quoted(const std::string& s) {
  std::string o = "'";
  for (char c : s) o += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return o + "'";
}

// A fresh clone after the set-up, as far as a README block can tell: build/notewise and the
// shipped example folders, copied as they ship (nothing added).
std::filesystem::path make_clone(const TempDir& dir) {
  namespace fs = std::filesystem;
  const fs::path root = dir.path() / "clone";
  fs::create_directories(root / "build");
  fs::create_symlink(fs::absolute(NOTEWISE_BINARY), root / "build" / "notewise");
  fs::copy(std::string(NOTEWISE_EXAMPLES), root / "examples", fs::copy_options::recursive);
  return root;
}

// Runs `commands` in one shell from `root`, as a reader pastes the block (its `export` and `cd`
// carry over): each command's stdout dropped, its stderr kept in the log after a marker line;
// the first failure stops it and names its index. Returns the log; fails the test on a failure.
std::string run_block(const std::vector<std::string>& commands, const std::filesystem::path& root, const TempDir& dir) {
  const std::string log = dir.file("block.log");
  std::string script = "cd " + quoted(root.string()) + "\n";
  for (std::size_t i = 0; i < commands.size(); ++i)
    script += "echo '### command " + std::to_string(i) + "' >&2\n" + commands[i] + " </dev/null >/dev/null || { echo 'FAILED " +
              std::to_string(i) + "' >&2; exit 1; }\n";
  std::ofstream(dir.file("block.sh")) << script;
  const int status = std::system(("bash --noprofile --norc " + dir.file("block.sh") + " 2>" + log).c_str());
  const std::string log_text = test::read_bytes(log);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << log_text.substr(log_text.size() > 4000 ? log_text.size() - 4000 : 0);
  EXPECT_EQ(log_text.find("notewise: error"), std::string::npos) << log_text;
  return log_text;
}

// The files of a shipped example folder (relative paths).
std::set<std::string> shipped_files(const std::filesystem::path& ex) {
  std::set<std::string> shipped;
  for (const auto& e : std::filesystem::recursive_directory_iterator(ex)) shipped.insert(std::filesystem::relative(e.path(), ex).string());
  return shipped;
}

// Nothing a block needed was made for it: the shipped files are as they were.
void expect_unchanged(const std::filesystem::path& ex, const std::set<std::string>& shipped, const std::string& name) {
  for (const std::string& f : shipped)
    if (std::filesystem::is_regular_file(ex / f)) {
      EXPECT_EQ(test::read_bytes((ex / f).string()), test::read_bytes(std::string(NOTEWISE_EXAMPLES) + "/" + name + "/" + f)) << f;
    }
}

}  // namespace

// The tour's block from a fresh clone after the set-up (build/notewise and the shipped example
// folders, nothing added), run in one shell as a reader pastes it.
TEST(Tour, ReadmeCommandsRunAsWritten) {
  const std::string readme = test::read_bytes(NOTEWISE_SOURCE "/README.md");
  const std::vector<std::string> commands = tour_commands(readme);
  ASSERT_GE(commands.size(), 10u);
  TempDir dir;
  namespace fs = std::filesystem;
  const fs::path root = make_clone(dir);
  const fs::path ex = root / "examples" / "chopin_op64_1";
  const std::set<std::string> shipped = shipped_files(ex);
  for (const char* f : {"mix.wav", "score.mid", "score.csv", "score.mxl", "truth/left.wav", "truth/right.wav"})
    ASSERT_TRUE(shipped.count(f)) << "the example does not ship " << f;
  run_block(commands, root, dir);
  if (HasFailure()) return;
  for (const std::string& command : commands) {
    // What the command says it writes is there (in the example folder, where the tour runs).
    std::smatch m;
    if (std::regex_search(command, m, std::regex("--out ([^ ]+)"))) {
      EXPECT_TRUE(fs::exists(ex / m[1].str())) << command;
    }
  }
  // A few of the outputs, looked at: the melody run's automatic rest, the edit's length, the
  // scored run's verdict beside its baselines.
  EXPECT_TRUE(fs::exists(ex / "melody/melody.wav"));
  EXPECT_TRUE(fs::exists(ex / "melody/rest.wav"));
  EXPECT_TRUE(fs::exists(ex / "piece/Grand_Piano__left.flac"));  // the part's name made safe (issue #41)
  EXPECT_TRUE(fs::exists(ex / "piece/aligned.csv"));
  EXPECT_TRUE(fs::exists(ex / "aligned.csv"));
  EXPECT_EQ(test::read_bytes((ex / "edited.flac").string()).substr(0, 4), "fLaC");
  const io::Audio mix = io::read_audio((ex / "mix.wav").string());
  EXPECT_EQ(io::read_audio((ex / "edited.flac").string()).frames(), mix.frames());
  const nlohmann::json scored = nlohmann::json::parse(test::read_bytes((ex / "scored/report.json").string()));
  EXPECT_EQ(scored["verdict"]["verdict"], "good") << scored["verdict"].dump(1);
  const auto& sc = scored["scores"];
  EXPECT_GT(sc["mean_SDR"].get<double>(), sc["baselines"]["mix"]["mean_SDR"].get<double>() + 5);
  EXPECT_GT(sc["baselines"]["ideal_mask"]["mean_SDR"].get<double>(), sc["mean_SDR"].get<double>());
  expect_unchanged(ex, shipped, "chopin_op64_1");
}

// The applications' block ("### Applications"), as written, from the same kind of clone: in
// examples/band (a rendered band and its drum beat with their MIDI scores), the mosaic's source
// taken from the waltz's folder beside it.
TEST(Tour, ApplicationCommandsRunAsWritten) {
  const std::string readme = test::read_bytes(NOTEWISE_SOURCE "/README.md");
  const std::vector<std::string> commands = tour_commands(readme, "### Applications");
  ASSERT_GE(commands.size(), 8u);
  TempDir dir;
  namespace fs = std::filesystem;
  const fs::path root = make_clone(dir);
  const fs::path ex = root / "examples" / "band";
  const std::set<std::string> shipped = shipped_files(ex);
  for (const char* f : {"band.flac", "band.mid", "beat.flac", "beat.mid"}) ASSERT_TRUE(shipped.count(f)) << "the example does not ship " << f;
  run_block(commands, root, dir);
  if (HasFailure()) return;
  for (const char* f : {"mosaic.wav", "fig/activations.png", "drums/kick.wav", "drums/snare.wav", "drums/hihat.wav", "band/bass.wav",
                        "band/piano.wav", "band/kick.wav", "band/snare.wav", "band/hihat.wav", "kit/bass.wav", "kit/piano.wav",
                        "kit/drums.wav"})
    EXPECT_TRUE(fs::exists(ex / f)) << f;
  EXPECT_FALSE(fs::exists(ex / "kit/kick.wav"));
  const io::Audio band = io::read_audio((ex / "band.flac").string());
  const Index frames = band.frames();
  for (const char* f : {"edited.wav", "later.wav"}) EXPECT_EQ(io::read_audio((ex / f).string()).frames(), frames) << f;
  // The transposition changed the recording after 7 s (here: from 8 s on).
  const io::Audio edited = io::read_audio((ex / "edited.wav").string());
  const Index tail = frames - 8 * band.sample_rate;
  EXPECT_GT((edited.samples.bottomRows(tail) - band.samples.bottomRows(tail)).norm(), 0.05 * band.samples.bottomRows(tail).norm());
  expect_unchanged(ex, shipped, "band");
  expect_unchanged(root / "examples" / "chopin_op64_1", shipped_files(root / "examples" / "chopin_op64_1"), "chopin_op64_1");
}
