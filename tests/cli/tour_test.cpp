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
#include "unit/separation/drum_signals.hpp"
#include "unit/separation/pitch_signals.hpp"

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

}  // namespace

// A fresh clone after the set-up, as far as the tour can tell: build/notewise and the shipped
// example folder, copied as it ships (nothing added). The block runs in one shell, as a reader
// pastes it: its `export` and `cd` carry over to the commands after them.
TEST(Tour, ReadmeCommandsRunAsWritten) {
  const std::string readme = test::read_bytes(NOTEWISE_SOURCE "/README.md");
  const std::vector<std::string> commands = tour_commands(readme);
  ASSERT_GE(commands.size(), 10u);
  TempDir dir;
  namespace fs = std::filesystem;
  const fs::path root = dir.path() / "clone";
  fs::create_directories(root / "build");
  fs::create_directories(root / "examples");
  fs::create_symlink(fs::absolute(NOTEWISE_BINARY), root / "build" / "notewise");
  fs::copy(std::string(NOTEWISE_EXAMPLES) + "/chopin_op64_1", root / "examples" / "chopin_op64_1", fs::copy_options::recursive);
  const fs::path ex = root / "examples" / "chopin_op64_1";
  std::set<std::string> shipped;
  for (const auto& e : fs::recursive_directory_iterator(ex)) shipped.insert(fs::relative(e.path(), ex).string());
  for (const char* f : {"mix.wav", "score.mid", "score.csv", "score.mxl", "truth/left.wav", "truth/right.wav"})
    ASSERT_TRUE(shipped.count(f)) << "the example does not ship " << f;

  // One script: each command's stdout dropped, its stderr kept in the log after a marker line;
  // the first failure stops it and names its index.
  const std::string log = dir.file("tour.log");
  std::string script = "cd " + quoted(root.string()) + "\n";
  for (std::size_t i = 0; i < commands.size(); ++i)
    script += "echo '### command " + std::to_string(i) + "' >&2\n" + commands[i] + " </dev/null >/dev/null || { echo 'FAILED " +
              std::to_string(i) + "' >&2; exit 1; }\n";
  std::ofstream(dir.file("tour.sh")) << script;
  const int status = std::system(("bash --noprofile --norc " + dir.file("tour.sh") + " 2>" + log).c_str());
  const std::string log_text = test::read_bytes(log);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << log_text.substr(log_text.size() > 4000 ? log_text.size() - 4000 : 0);
  EXPECT_EQ(log_text.find("notewise: error"), std::string::npos) << log_text;
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
  // Nothing the tour needed was made for it: the shipped files are as they were.
  for (const std::string& f : shipped)
    if (fs::is_regular_file(ex / f)) {
      EXPECT_EQ(test::read_bytes((ex / f).string()), test::read_bytes(std::string(NOTEWISE_EXAMPLES) + "/chopin_op64_1/" + f)) << f;
    }
}

// The applications' block ("### Applications"), on generated signals: a drum beat and a band
// (the beat with piano triads) with their MIDI scores (drums on channel 10), the example's
// recording cut into a target and a source for the mosaic, and its score with an E4 after 10 s
// for the note edits.
TEST(Tour, ApplicationCommandsRunAsWritten) {
  const std::string readme = test::read_bytes(NOTEWISE_SOURCE "/README.md");
  const std::vector<std::string> commands = tour_commands(readme, "### Applications");
  ASSERT_GE(commands.size(), 6u);
  TempDir dir;
  namespace fs = std::filesystem;
  const std::string ex = std::string(NOTEWISE_EXAMPLES) + "/chopin_op64_1/";
  const io::Audio mix = io::read_audio(ex + "mix.wav");
  const int rate = mix.sample_rate;
  fs::copy_file(ex + "mix.wav", dir.file("mix.wav"));
  io::write_wav(dir.file("target.wav"), mix.samples.middleRows(2 * rate, 3 * rate), rate);
  io::write_wav(dir.file("bees.wav"), mix.samples.middleRows(10 * rate, 4 * rate), rate);
  std::vector<Note> s = io::read_score(ex + "score.mid").notes();
  Note e4 = s.back();
  e4.onset = 12.0;
  e4.duration = 0.5;
  e4.pitch = 64;
  s.push_back(e4);
  io::write_midi_score(dir.file("s.mid"), Score(s), false);
  const test::DrumMix beat = test::rock_beat(4, rate);
  std::vector<Note> drums = beat.notes, piano;
  for (Note& n : drums) {
    n.label = "drums";
    n.channel = 9;
  }
  io::write_wav(dir.file("beat.wav"), beat.mix, rate);
  io::write_midi_score(dir.file("beat.mid"), Score(drums), false);
  for (int b = 0; b < 4; ++b)
    for (int p : {60, 64, 67}) {
      Note n;
      n.onset = 0.1 + b * 2.0;
      n.duration = 1.8;
      n.pitch = p + (b % 2) * 2;
      n.label = "piano";
      piano.push_back(n);
    }
  VectorXf band = test::piano_like(piano, static_cast<double>(beat.mix.size()) / rate, rate);
  band.conservativeResize(beat.mix.size());
  band += beat.mix;
  io::write_wav(dir.file("band.wav"), band, rate);
  piano.insert(piano.end(), drums.begin(), drums.end());
  io::write_midi_score(dir.file("band.mid"), Score(piano), false);
  const std::string binary = NOTEWISE_BINARY;
  for (const std::string& command : commands) {
    ASSERT_EQ(command.rfind("build/notewise ", 0), 0u) << command;
    const std::string err = dir.file("stderr.txt");
    const std::string run = "cd " + dir.path().string() + " && " + binary + command.substr(14) + " >/dev/null 2>" + err + " </dev/null";
    const int status = std::system(run.c_str());
    const std::string stderr_text = test::read_bytes(err);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << command << "\n" << stderr_text;
    EXPECT_EQ(stderr_text.find("notewise: error"), std::string::npos) << command << "\n" << stderr_text;
  }
  for (const char* f : {"mosaic.wav", "fig/activations.png", "drums/kick.wav", "drums/snare.wav", "drums/hihat.wav", "band/piano.wav",
                        "band/kick.wav", "band/snare.wav", "band/hihat.wav", "kit/piano.wav", "kit/drums.wav"})
    EXPECT_TRUE(fs::exists(dir.file(f))) << f;
  EXPECT_FALSE(fs::exists(dir.file("kit/kick.wav")));
  for (const char* f : {"edited.wav", "later.wav"}) EXPECT_EQ(io::read_audio(dir.file(f)).frames(), mix.frames()) << f;
}
