// notewise batch (#17): every row of a manifest, one bad row not stopping the others, resumable.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "notewise/io/audio.hpp"
#include "test_util.hpp"

using namespace notewise;
namespace fs = std::filesystem;

namespace {

int run(const std::string& args) {
  const int status = std::system((std::string(NOTEWISE_BINARY) + " " + args + " >/dev/null 2>&1 </dev/null").c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// A 1 s recording of one tone at `hz` and its one-note score.
void piece(const fs::path& dir, const std::string& name, double hz) {
  MatrixXf x(22050, 1);
  for (Index i = 0; i < x.rows(); ++i) x(i, 0) = 0.3f * static_cast<float>(std::sin(2 * M_PI * hz * i / 22050.0));
  io::write_wav((dir / (name + ".wav")).string(), x, 22050);
  test::write_bytes((dir / (name + ".csv")).string(), "start,duration,pitch,velocity,label\n0.1,0.8,60,90,a\n");
}

std::map<std::string, std::string> statuses(const fs::path& root) {
  std::ifstream in(root / "summary.json");
  const auto j = nlohmann::json::parse(in);
  std::map<std::string, std::string> out;
  for (const auto& r : j.at("rows")) out[r.at("name").get<std::string>()] = r.at("status").get<std::string>();
  return out;
}

}  // namespace

TEST(Batch, BadRowDoesNotStopTheOthers_ResumesOnlyUnfinishedRows) {
  test::TempDir d;
  const fs::path in = d.path() / "in", root = d.path() / "runs";
  fs::create_directories(in);
  piece(in, "one", 261.6);
  piece(in, "two", 261.6);
  test::write_bytes((in / "corpus.csv").string(),
                    "audio,score,name,options\n"
                    "one.wav,one.csv,,--iterations 3 --no-report\n"
                    "missing.wav,one.csv,bad,--iterations 3\n"
                    "two.wav,two.csv,second,\"--iterations 3 --no-report\"\n");
  const std::string cmd = "-q batch " + (in / "corpus.csv").string() + " --out " + root.string() + " --jobs 2";
  EXPECT_EQ(run(cmd), 1);  // a row failed
  auto s = statuses(root);
  EXPECT_EQ(s["one"], "done");
  EXPECT_EQ(s["second"], "done");
  EXPECT_EQ(s["bad"], "failed");
  EXPECT_TRUE(fs::exists(root / "one" / "a.wav"));  // the stem of label a
  EXPECT_TRUE(fs::exists(root / "second" / "report.json"));
  EXPECT_FALSE(fs::exists(root / "bad"));
  {
    std::ifstream f(root / "summary.json");
    const auto j = nlohmann::json::parse(f);
    for (const auto& r : j.at("rows"))
      if (r.at("name") == "bad") {
        EXPECT_NE(r.at("error").get<std::string>().find("missing.wav"), std::string::npos) << r.dump();
      }
  }
  // Again: the complete rows are skipped, the bad one tried again.
  EXPECT_EQ(run(cmd), 1);
  s = statuses(root);
  EXPECT_EQ(s["one"], "skipped");
  EXPECT_EQ(s["second"], "skipped");
  EXPECT_EQ(s["bad"], "failed");
  // A row whose outputs are gone (as after a kill midway: no marker) is redone.
  fs::remove_all(root / "second");
  EXPECT_EQ(run(cmd), 1);
  s = statuses(root);
  EXPECT_EQ(s["one"], "skipped");
  EXPECT_EQ(s["second"], "done");
}

TEST(Batch, ManifestErrorsAreOneLineNamingTheFile) {
  test::TempDir d;
  const fs::path m = d.path() / "m.csv";
  test::write_bytes(m.string(), "audio,name\nx.wav,x\n");
  EXPECT_EQ(run("-q batch " + m.string() + " --out " + (d.path() / "r").string()), 1);
  test::write_bytes(m.string(), "audio,score,name\na.wav,a.csv,x\nb.wav,b.csv,x\n");
  EXPECT_EQ(run("-q batch " + m.string() + " --out " + (d.path() / "r").string()), 1);
  EXPECT_FALSE(fs::exists(d.path() / "r" / "summary.csv"));
}

TEST(Batch, DecomposeRowsAreSkippedOnceComplete) {
  test::TempDir d;
  piece(d.path(), "one", 261.6);
  test::write_bytes((d.path() / "m.csv").string(), "audio,score,options\none.wav,one.csv,--iterations 3\n");
  const fs::path root = d.path() / "runs";
  const std::string cmd = "-q batch " + (d.path() / "m.csv").string() + " --out " + root.string() + " --command decompose";
  EXPECT_EQ(run(cmd), 0);
  EXPECT_EQ(statuses(root)["one"], "done");
  EXPECT_TRUE(fs::exists(root / "one" / "H.npy"));
  EXPECT_EQ(run(cmd), 0);
  EXPECT_EQ(statuses(root)["one"], "skipped");
}
