// --threads and NOTEWISE_THREADS on the command line, and the threads batch gives its rows.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <regex>

#include <nlohmann/json.hpp>

#include "notewise/core/threads.hpp"
#include "notewise/io/audio.hpp"
#include "test_util.hpp"

using namespace notewise;
namespace fs = std::filesystem;

namespace {

// A one-second tone and its one-note score.
void tone(const fs::path& dir, const std::string& name) {
  MatrixXf x(22050, 1);
  for (Index i = 0; i < x.rows(); ++i) x(i, 0) = 0.3f * static_cast<float>(std::sin(2 * M_PI * 261.6 * i / 22050.0));
  io::write_wav((dir / (name + ".wav")).string(), x, 22050);
  test::write_bytes((dir / (name + ".csv")).string(), "start,duration,pitch,label\n0,1,60,a\n");
}

nlohmann::json read_json(const fs::path& p) {
  std::ifstream f(p);
  return nlohmann::json::parse(f);
}

}  // namespace

TEST(Threads, OptionAndEnvironmentAreChecked) {
  test::TempDir d;
  tone(d.path(), "t");
  const std::string in = (d.path() / "t.wav").string() + " --score " + (d.path() / "t.csv").string();
  for (const char* bad : {"-1", "two", "1025", "1.5"}) {
    const auto r = test::notewise_cli("--threads " + std::string(bad) + " separate " + in + " --out " + (d.path() / "x").string());
    EXPECT_EQ(r.code, 2) << bad << ": " << r.err;
    EXPECT_NE(r.err.find("--threads"), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(d.path() / "x"));
  }
  const auto plain = test::notewise_cli("separate " + in + " --out " + (d.path() / "y").string() + " --no-report");
  EXPECT_EQ(plain.code, 0) << plain.err;  // without --threads: auto
  // From the environment, and as a global option after the command.
  const std::string bin = NOTEWISE_BINARY;
  const auto r = test::notewise_cli("separate " + in + " --out " + (d.path() / "one").string() + " --no-report --threads 1");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(read_json(d.path() / "one" / "report.json").at("threads"), 1);
  const int code = std::system(("NOTEWISE_THREADS=bad " + bin + " separate " + in + " --out " + (d.path() / "z").string() +
                                " >/dev/null 2>&1").c_str());
  EXPECT_EQ(WEXITSTATUS(code), 2);
  const int ok = std::system(("NOTEWISE_THREADS=3 " + bin + " -q separate " + in + " --out " + (d.path() / "three").string() +
                              " --no-report >/dev/null 2>&1").c_str());
  ASSERT_EQ(WEXITSTATUS(ok), 0);
  EXPECT_EQ(read_json(d.path() / "three" / "report.json").at("threads"), 3);
  // The same stems whatever the thread count (the work is small: one thread either way).
  EXPECT_EQ(test::read_bytes((d.path() / "one" / "a.wav").string()), test::read_bytes((d.path() / "three" / "a.wav").string()));
}

// batch shares the CPUs among the rows that run at once: --jobs 2 gives each row at most half
// of them (at least one); an explicit --threads goes to every row as given.
TEST(Threads, BatchRowsShareTheCpus) {
  test::TempDir d;
  tone(d.path(), "one");
  tone(d.path(), "two");
  test::write_bytes((d.path() / "corpus.csv").string(), "audio,score,options\none.wav,one.csv,--no-report\ntwo.wav,two.csv,--no-report\n");
  const std::string corpus = (d.path() / "corpus.csv").string();
  auto r = test::notewise_cli("-q batch " + corpus + " --out " + (d.path() / "runs").string() + " --jobs 2");
  ASSERT_EQ(r.code, 0) << r.err;
  const int expected = std::max(1, std::min(threads::available_cpus(), 1024) / 2);
  for (const char* row : {"one", "two"}) {
    const int t = read_json(d.path() / "runs" / row / "report.json").at("threads").get<int>();
    EXPECT_GE(t, 1);
    EXPECT_LE(t, expected) << row;
  }
  r = test::notewise_cli("-q --threads 3 batch " + corpus + " --out " + (d.path() / "runs3").string() + " --jobs 2");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(read_json(d.path() / "runs3" / "one" / "report.json").at("threads"), 3);
  // A row's own --threads wins.
  test::write_bytes(corpus, "audio,score,options\none.wav,one.csv,\"--no-report --threads 2\"\n");
  r = test::notewise_cli("-q batch " + corpus + " --out " + (d.path() / "runs2").string() + " --jobs 2");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(read_json(d.path() / "runs2" / "one" / "report.json").at("threads"), 2);
}

// The program waits passively (OpenMP's threads sleep instead of spinning while other
// processes need the cores) unless the user chose a policy: libgomp shows what it started with.
TEST(Threads, OpenMPWaitsPassivelyUnlessTheUserChose) {
  test::TempDir d;
  const std::string bin = NOTEWISE_BINARY, out = d.file("env.txt");
  ASSERT_EQ(std::system(("env -u OMP_WAIT_POLICY -u GOMP_SPINCOUNT OMP_DISPLAY_ENV=verbose " + bin + " --version >/dev/null 2>" + out).c_str()), 0);
  EXPECT_NE(test::read_bytes(out).find("OMP_WAIT_POLICY = 'PASSIVE'"), std::string::npos) << test::read_bytes(out);
  // libgomp shows an unset policy as PASSIVE too: its spin count tells (300000 unset, 0 passive).
  EXPECT_NE(test::read_bytes(out).find("GOMP_SPINCOUNT = '0'"), std::string::npos) << test::read_bytes(out);
  ASSERT_EQ(std::system(("env -u OMP_WAIT_POLICY GOMP_SPINCOUNT=1234 OMP_DISPLAY_ENV=verbose " + bin + " --version >/dev/null 2>" + out).c_str()), 0);
  EXPECT_NE(test::read_bytes(out).find("GOMP_SPINCOUNT = '1234'"), std::string::npos) << test::read_bytes(out);
  ASSERT_EQ(std::system(("OMP_WAIT_POLICY=active OMP_DISPLAY_ENV=true " + bin + " --version >/dev/null 2>" + out).c_str()), 0);
  EXPECT_NE(test::read_bytes(out).find("OMP_WAIT_POLICY = 'ACTIVE'"), std::string::npos) << test::read_bytes(out);
}
