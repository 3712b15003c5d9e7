// The HTML report in a real browser: Debian's headless Chromium loads report.html from the run
// folder (file://, no server), the page's self-check reports that every image and audio file
// loaded and no error fired, and a screenshot is kept as a test artefact. Then what the page
// and report.json say: the verdict first, parameters as rounded tables, stems linked, the next
// commands; a late score's verdict is poor.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <regex>

#include "notewise/io/score_io.hpp"
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
  // The input in a folder whose name needs quoting, and a parameter with many digits (the page's
  // own checks below, after the browser's).
  std::filesystem::create_directories(dir.file("in put"));
  std::filesystem::copy_file(kExample + "/mix.wav", dir.file("in put/mix.wav"));
  ASSERT_EQ(run("cd " + dir.path().string() + " && " + NOTEWISE_BINARY + " -q separate 'in put/mix.wav' --score " + kExample +
                "/score.csv -n 10 --tolerance 0.10932098999999995 --out run"),
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
  // The check is for tests, out of the user's sight: an attribute, no text on the page.
  EXPECT_TRUE(std::regex_search(dom, std::regex(R"(<body[^>]* data-selfcheck="self-check)"))) << "the self-check is not on <body>";
  EXPECT_EQ(dom.find("id=\"selfcheck\""), std::string::npos);
  EXPECT_EQ(dom.find("checking..."), std::string::npos);
  // Console messages of the page itself (Chromium's own environment noise, e.g. dbus, is not).
  const std::string console = notewise::test::read_bytes(dir.file("console.txt"));
  EXPECT_FALSE(std::regex_search(console, std::regex(R"(CONSOLE.*(Uncaught|Error|Failed))"))) << console;
  // The page a person reads: the verdict before the viewer, the parameters as a table of rounded
  // values (no raw JSON, no 17-digit numbers), links to the stems, and next commands quoted for
  // the shell from the run's own paths.
  const std::string html = notewise::test::read_bytes(dir.file("run/report.html"));
  const std::size_t verdict = html.find("id=\"nw-verdict\""), viewer = html.find("id=\"nw-viewer\"");
  ASSERT_NE(verdict, std::string::npos);
  ASSERT_NE(viewer, std::string::npos);
  EXPECT_LT(verdict, viewer);
  EXPECT_NE(html.find("data-verdict=\"good\""), std::string::npos);
  EXPECT_NE(html.find("<th>tolerance</th><td>0.1093</td>"), std::string::npos);
  // (but for the command line as typed, which the page repeats to reproduce the run)
  const std::string typed = std::regex_replace(html, std::regex("--tolerance 0\\.10932098999999995"), "");
  // (more than 7 significant digits; a small rounded value such as 0.006653 s is fine)
  EXPECT_FALSE(std::regex_search(typed, std::regex(R"([0-9]\.0*[1-9][0-9]{6,})"))) << "unrounded numbers on the page";
  EXPECT_EQ(html.find("<pre>"), std::string::npos);
  EXPECT_NE(html.find("href=\"left.wav\""), std::string::npos);
  EXPECT_NE(html.find("href=\"right.wav\""), std::string::npos);
  EXPECT_NE(html.find("notewise edit 'in put/mix.wav' --score"), std::string::npos) << "the edit command, quoted";
  EXPECT_NE(html.find("--out run-regrouped"), std::string::npos);
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

namespace {
nlohmann::json report_json(const std::string& dir) {
  return nlohmann::json::parse(notewise::test::read_bytes(dir + "/report.json"));
}
}  // namespace

// The verdict (report.json "verdict", the block atop report.html) on the example with its score:
// good, with every stem's level, model fit and leakage; the same recording with the score 4 s
// late (made here from the example's) used as given: poor, and it says why. Reference-free both.
TEST(Report, VerdictIsGoodForTheExampleAndPoorForALateScore) {
  TempDir dir;
  const std::string nw = std::string(NOTEWISE_BINARY) + " -q separate " + kExample + "/mix.wav -n 10 --no-report --score ";
  ASSERT_EQ(run(nw + kExample + "/score.mid --out " + dir.file("good")), 0);
  notewise::io::write_csv_score(dir.file("late.csv"), notewise::io::read_score(kExample + "/score.csv").warped(1.0, 4.0), false);
  // (--align=no: by default a score that does not fit is aligned first, and then fits)
  ASSERT_EQ(run(nw + dir.file("late.csv") + " --align=no --out " + dir.file("late") + " 2> /dev/null"), 0);
  const nlohmann::json good = report_json(dir.file("good")), late = report_json(dir.file("late"));
  const nlohmann::json& v = good["verdict"];
  EXPECT_EQ(v["verdict"], "good") << v.dump(1);
  ASSERT_EQ(v["stems"].size(), 2u);
  for (const auto& s : v["stems"]) {
    EXPECT_GT(s["level_dbfs"].get<double>(), -30) << s.dump();
    EXPECT_LT(s["level_dbfs"].get<double>(), 0) << s.dump();
    EXPECT_GT(s["fit_db"].get<double>(), v["thresholds"]["fit_doubtful_db"].get<double>()) << s.dump();
    EXPECT_LT(s["leakage"].get<double>(), v["thresholds"]["leakage_doubtful"].get<double>()) << s.dump();
  }
  EXPECT_LT(good["quality"]["unexplained"].get<double>(), v["thresholds"]["unexplained_doubtful"].get<double>());
  const nlohmann::json& w = late["verdict"];
  EXPECT_EQ(w["verdict"], "poor") << w.dump(1);
  ASSERT_GE(w["reasons"].size(), 1u);
  EXPECT_EQ(w["reasons"][0]["level"], "problem");
  EXPECT_NE(w["reasons"][0]["text"].get<std::string>().find("does not fit"), std::string::npos) << w.dump(1);
  // The model explains the late score's run worse than the right one's.
  EXPECT_GT(late["quality"]["unexplained"].get<double>(), 3 * good["quality"]["unexplained"].get<double>());
}
