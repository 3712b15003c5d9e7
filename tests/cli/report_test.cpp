// The HTML report in a real browser: Debian's headless Chromium loads report.html from the run
// folder (file://, no server), the page's self-check reports that every image and audio file
// loaded and no error fired, and a screenshot is kept as a test artefact.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <filesystem>
#include <regex>

#include "test_util.hpp"

using notewise::test::TempDir;

namespace {
int run(const std::string& cmd) {
  const int status = std::system(cmd.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}
const std::string kExample = std::string(NOTEWISE_EXAMPLES) + "/chopin_op64_1";
const std::string kChromium =
    "chromium --headless --no-sandbox --disable-gpu --disable-background-networking --disable-dev-shm-usage "
    "--no-first-run --mute-audio --virtual-time-budget=15000 --enable-logging=stderr --v=0 ";
}  // namespace

TEST(Report, LoadsInHeadlessChromiumWithEveryImageAndAudio) {
  ASSERT_EQ(run("command -v chromium > /dev/null"), 0) << "chromium is not installed (scripts/install-deps.sh --all installs it)";
  TempDir dir;
  ASSERT_EQ(run(std::string(NOTEWISE_BINARY) + " -q separate " + kExample + "/mix.wav --score " + kExample +
                "/score.csv -n 10 --out " + dir.file("run")),
            0);
  const std::string page = "file://" + dir.file("run/report.html");
  ASSERT_EQ(run(kChromium + "--dump-dom " + page + " > " + dir.file("dom.html") + " 2> " + dir.file("console.txt")), 0);
  const std::string dom = notewise::test::read_bytes(dir.file("dom.html"));
  std::smatch m;
  ASSERT_TRUE(std::regex_search(dom, m, std::regex(R"(self-check: images (\d+)/(\d+), audio (\d+)/(\d+), errors (\d+))")))
      << "the page's self-check did not run";
  EXPECT_EQ(m[2].str(), "8");  // mix, 2 stems, templates, activations, 2 masks, loss
  EXPECT_EQ(m[1].str(), m[2].str()) << "images failed to load";
  EXPECT_EQ(m[4].str(), "3");  // mix and two stems
  EXPECT_EQ(m[3].str(), m[4].str()) << "audio failed to load";
  EXPECT_EQ(m[5].str(), "0") << "errors on the page";
  // Console messages of the page itself (Chromium's own environment noise, e.g. dbus, is not).
  const std::string console = notewise::test::read_bytes(dir.file("console.txt"));
  EXPECT_FALSE(std::regex_search(console, std::regex(R"(CONSOLE.*(Uncaught|Error|Failed))"))) << console;
  // A screenshot, kept as an artefact of the test run.
  const std::string shot = std::filesystem::absolute(NOTEWISE_ARTIFACTS "/report.png").string();
  std::filesystem::create_directories(NOTEWISE_ARTIFACTS);
  ASSERT_EQ(run(kChromium + "--window-size=1100,3600 --screenshot=" + shot + " " + page + " 2> /dev/null"), 0);
  ASSERT_TRUE(std::filesystem::exists(shot));
  EXPECT_GT(std::filesystem::file_size(shot), 50000u);
}

// plot draws from the saved run (W.npy, H.npy), from a moved folder whose input is gone (the
// report's copy of the mix stands in): the same pixels as the figures the run drew itself.
TEST(Report, PlotDrawsTheSavedRunFromAMovedFolder) {
  TempDir dir;
  std::filesystem::create_directories(dir.file("in"));
  std::filesystem::copy_file(kExample + "/mix.wav", dir.file("in/mix.wav"));
  ASSERT_EQ(run(std::string(NOTEWISE_BINARY) + " -q separate " + dir.file("in/mix.wav") + " --score " + kExample +
                "/score.csv -n 10 --out " + dir.file("run")),
            0);
  std::filesystem::rename(dir.file("run"), dir.file("moved"));
  std::filesystem::remove_all(dir.file("in"));
  for (const std::string fig : {"mask:left", "activations", "loss"}) {
    std::string file = fig;
    std::replace(file.begin(), file.end(), ':', '_');
    const std::string out = dir.file(file + ".png");
    ASSERT_EQ(run(std::string(NOTEWISE_BINARY) + " -q plot " + dir.file("moved") + " --figure " + fig + " --out " + out), 0) << fig;
    EXPECT_EQ(notewise::test::read_bytes(out), notewise::test::read_bytes(dir.file("moved/plots/" + file + ".png"))) << fig;
  }
}
