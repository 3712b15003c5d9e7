// The settings table (pipeline/settings.hpp) against the program: every setting of separate,
// decompose and edit is an option of the command with the table's default and range in its
// --help-all, and report.json records every setting, with the values given, in a form that
// re-runs (notewise plot reads it back).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <regex>
#include <sstream>
#include <fstream>
#include <nlohmann/json.hpp>

#include "notewise/io/audio.hpp"
#include "notewise/pipeline/settings.hpp"
#include "test_util.hpp"

using namespace notewise;
using notewise::test::CliRun;
using notewise::test::notewise_cli;
using notewise::test::TempDir;

namespace {

// The flag a setting has on the command line, by the rule the table documents (written here
// again on purpose: the test checks the program against the rule, not against its own code).
std::string long_flag(const Setting& s) {
  std::string names = s.flag;
  if (names.empty()) {
    std::string dashed = s.name;
    for (auto& c : dashed)
      if (c == '_') c = '-';
    names = (s.type == SettingType::Bool && s.default_text == "true" ? "--no-" : "--") + dashed;
  }
  const auto at = names.find("--");
  std::string flag = names.substr(at, names.find_first_of(",{", at) - at);
  return flag;
}

// The option's entry in the help: the line that names it ("  -n,--iterations INT=50 ...", the
// names up to the first space, '=' or '[') and the lines that continue its description.
std::string entry(const std::string& help, const std::string& flag) {
  std::istringstream in(help);
  std::string line, out;
  bool inside = false;
  while (std::getline(in, line)) {
    if (line.rfind("  -", 0) == 0) {
      if (inside) break;
      const std::string names = line.substr(2, line.find_first_of(" =[", 2) - 2);
      std::istringstream parts(names);
      for (std::string n; std::getline(parts, n, ',');) inside = inside || n == flag;
    } else if (inside && line.rfind("   ", 0) != 0) {
      break;
    }
    if (inside) out += line + "\n";
  }
  return out;
}

}  // namespace

TEST(SettingsCli, EverySettingInTheHelpWithItsDefaultAndRange) {
  const std::pair<const char*, unsigned> commands[] = {
      {"separate", kSeparate}, {"decompose", kDecompose}, {"edit", kEdit}, {"align", kAlign}};
  for (const auto& [command, bit] : commands) {
    TempDir dir;
    const std::string cmd = std::string(NOTEWISE_BINARY) + " " + command + " --help-all > " + dir.file("help.txt");
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
    const std::string help = test::read_bytes(dir.file("help.txt"));
    for (const Setting& s : settings()) {
      if ((s.commands & bit) == 0) continue;
      const std::string flag = long_flag(s);
      const std::string e = entry(help, flag);
      ASSERT_FALSE(e.empty()) << command << ": " << flag << " (" << s.name << ") is not in the help\n" << help;
      const bool valued = s.type != SettingType::Bool && s.type != SettingType::List && s.flag.find('{') == std::string::npos;
      if (valued && !s.default_text.empty()) {
        EXPECT_NE(e.find("=" + s.default_text), std::string::npos) << command << " " << flag << ": default " << s.default_text << "\n" << e;
      }
      if (s.has_range && !std::isinf(s.max)) {
        EXPECT_NE(e.find(setting_number(s.min) + ".." + setting_number(s.max)), std::string::npos) << command << " " << flag << "\n" << e;
      }
      for (const auto& c : s.choices) EXPECT_NE(e.find(c), std::string::npos) << command << " " << flag << ": " << c << "\n" << e;
    }
  }
}

TEST(SettingsCli, ReportRecordsEverySettingAndReRuns) {
  TempDir dir;
  const int rate = 22050;
  const Index n = 3 * rate;
  MatrixXf x(n, 1);
  for (Index i = 0; i < n; ++i) {
    const double t = static_cast<double>(i) / rate;
    x(i, 0) = static_cast<float>((t > 0.2 && t < 2.0 ? 0.3 * std::sin(2 * 3.14159265 * 220.0 * t) : 0.0) +
                                 (t > 1.0 && t < 2.8 ? 0.3 * std::sin(2 * 3.14159265 * 329.63 * t) : 0.0));
  }
  io::write_wav(dir.file("mix.wav"), x, rate, io::SampleFormat::Float32);
  test::write_bytes(dir.file("s.csv"), "start,duration,pitch,velocity,label\n0.2,1.8,57,100,a\n1.0,1.8,64,100,b\n");
  // Values other than the defaults, as the command line gives them.
  const std::string given = "--n-fft 2048 --hop 256 --sr 16000 -n 7 --tolerance 0.03 --partials 12 --no-onsets --alpha 1.5 "
                            "--timbre per-label --align=no --instrument a=strings --rel-loss-tol 0.001";
  const CliRun r = notewise_cli("-q separate " + dir.file("mix.wav") + " --score " + dir.file("s.csv") + " " + given + " --out " +
                                dir.file("run"));
  ASSERT_EQ(r.code, 0) << r.err;
  std::ifstream f(dir.file("run/report.json"));
  const nlohmann::json report = nlohmann::json::parse(f);
  const nlohmann::json& p = report.at("parameters");
  for (const Setting& s : settings())
    if (s.commands & (kSeparate | kDecompose | kEdit)) {
      EXPECT_TRUE(p.contains(s.key())) << s.name << " (" << s.key() << ") not in report.json";
    } else {
      EXPECT_FALSE(p.contains(s.key())) << s.name << ": align's own, not a separation's";
    }
  EXPECT_EQ(p.at("n_fft"), 2048);
  EXPECT_EQ(p.at("hop"), 256);
  EXPECT_EQ(p.at("analysis_sample_rate"), 16000);
  EXPECT_EQ(p.at("iterations"), 7);
  EXPECT_EQ(p.at("tolerance"), 0.03);
  EXPECT_EQ(p.at("partials"), 12);
  EXPECT_EQ(p.at("onset_templates"), false);
  EXPECT_EQ(p.at("alpha"), 1.5);
  EXPECT_EQ(p.at("alpha_used"), 1.5);
  EXPECT_EQ(p.at("timbre"), "per-label");
  EXPECT_EQ(p.at("align_mode"), "no");
  EXPECT_EQ(p.at("instruments"), nlohmann::json({"a=strings"}));
  EXPECT_EQ(p.at("rel_loss_tol"), 0.001);
  for (const char* g : {"n_fft", "tolerance", "partials", "onsets", "instruments"})
    EXPECT_NE(std::find(p.at("given").begin(), p.at("given").end(), g), p.at("given").end()) << g;
  // The library's decisions, with their reasons.
  const nlohmann::json& d = report.at("decisions");
  EXPECT_EQ(d.at("alpha").at("value"), "1.5");
  EXPECT_EQ(d.at("alpha").at("reason"), "given");
  EXPECT_EQ(d.at("timbre").at("value"), "per-label");
  EXPECT_EQ(d.at("align").at("value"), "as given");
  EXPECT_EQ(d.at("drums").at("value"), "none");
  EXPECT_EQ(d.at("spectrogram").at("value"), "memory");
  // Re-run from report.json: plot rebuilds the model from the recorded settings (a setting read
  // back wrongly changes the geometry, which must match the saved W and H).
  const CliRun plot = notewise_cli("-q plot " + dir.file("run") + " --figure templates --out " + dir.file("templates.png"));
  EXPECT_EQ(plot.code, 0) << plot.err;
}
