// notewise batch (#17): every row of a manifest, one bad row not stopping the others, resumable.
#include <fcntl.h>
#include <sys/file.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

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

// A recording of `seconds` of one tone at `hz` and its one-note score.
void piece(const fs::path& dir, const std::string& name, double hz, double seconds = 1) {
  MatrixXf x(static_cast<Index>(22050 * seconds), 1);
  for (Index i = 0; i < x.rows(); ++i) x(i, 0) = 0.3f * static_cast<float>(std::sin(2 * M_PI * hz * i / 22050.0));
  io::write_wav((dir / (name + ".wav")).string(), x, 22050);
  test::write_bytes((dir / (name + ".csv")).string(),
                    "start,duration,pitch,velocity,label\n0.1," + std::to_string(seconds - 0.2) + ",60,90,a\n");
}

nlohmann::json summary(const fs::path& root) {
  std::ifstream in(root / "summary.json");
  return nlohmann::json::parse(in);
}

// A shell command line's exit status (stdout and stderr discarded).
int shell(const std::string& cmd) {
  const int status = std::system((cmd + " >/dev/null 2>&1 </dev/null").c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

using test::tree;

// The program started in the background with `args` (stdin, stdout, stderr to /dev/null).
pid_t start(const std::vector<std::string>& args) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    const int null = ::open("/dev/null", O_RDWR);
    ::dup2(null, 0), ::dup2(null, 1), ::dup2(null, 2);
    std::vector<char*> argv{const_cast<char*>("notewise")};
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execv(NOTEWISE_BINARY, argv.data());
    ::_exit(127);
  }
  return pid;
}

// Waits (polling, up to 300 s: the test must not depend on the machine's speed) until `p`
// exists or `pid` has ended; whether it exists.
bool appears(const fs::path& p, pid_t pid) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(300);
  while (!fs::exists(p) && std::chrono::steady_clock::now() < deadline) {
    siginfo_t info{};
    if (::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) != 0 || info.si_pid != 0) break;  // ended (not reaped)
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return fs::exists(p);
}

// Processes whose command line mentions `text` (a test folder's path: the batch's rows).
int processes_mentioning(const std::string& text) {
  int n = 0;
  for (const auto& e : fs::directory_iterator("/proc")) {
    const std::string pid = e.path().filename().string();
    if (pid.find_first_not_of("0123456789") != std::string::npos || pid == std::to_string(::getpid())) continue;
    std::string cmdline = test::read_bytes((e.path() / "cmdline").string());
    std::replace(cmdline.begin(), cmdline.end(), '\0', ' ');
    std::string state = test::read_bytes((e.path() / "stat").string());
    const auto close = state.rfind(')');
    if (close != std::string::npos && close + 2 < state.size() && state[close + 2] == 'Z') continue;  // a zombie has stopped
    if (cmdline.find(text) != std::string::npos) ++n;
  }
  return n;
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

TEST(Batch, LocalRowsRunLongestFirst) {
  test::TempDir d;
  piece(d.path(), "short", 261.6, 1);
  piece(d.path(), "long", 261.6, 3);
  piece(d.path(), "middle", 261.6, 2);
  test::write_bytes((d.path() / "m.csv").string(),
                    "audio,score,options\nshort.wav,short.csv,--iterations 3 --no-report\n"
                    "long.wav,long.csv,--iterations 3 --no-report\nmiddle.wav,middle.csv,--iterations 3 --no-report\n");
  const fs::path root = d.path() / "runs";
  const auto r = test::notewise_cli("batch " + (d.path() / "m.csv").string() + " --out " + root.string() + " --jobs 1");
  ASSERT_EQ(r.code, 0) << r.err;
  // Progress over the corpus (stderr is a file: a line at each quarter of the audio, then the
  // total): the 3 s row is half the audio, so the first line after the start is at 50 %.
  EXPECT_NE(r.err.find("batch: 50% "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("1/3 rows, 0 failed"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("3 done, 0 skipped, 0 failed"), std::string::npos) << r.err;
  // One row at a time, so each marker is committed before the next row starts.
  const auto t = [&](const char* n) { return fs::last_write_time(root / n / "report.json"); };
  EXPECT_LT(t("long"), t("middle"));
  EXPECT_LT(t("middle"), t("short"));
  for (const nlohmann::json sum = summary(root); const auto& r : sum.at("rows")) {
    EXPECT_EQ(r.at("status"), "done");
    EXPECT_EQ(r.at("rank"), 0);
  }
  EXPECT_NEAR(summary(root).at("rows")[1].at("audio_seconds").get<double>(), 3.0, 1e-6);
}

// A row with a reference folder gets the scores `eval` gives for its stems, in both summaries.
TEST(Batch, ReferenceGivesTheScoresEvalGives) {
  test::TempDir d;
  const int sr = 22050;
  MatrixXf a = MatrixXf::Zero(2 * sr, 1), b = MatrixXf::Zero(2 * sr, 1);
  for (Index i = 0; i < sr; ++i) a(i, 0) = 0.3f * static_cast<float>(std::sin(2 * M_PI * 261.6 * i / sr));
  for (Index i = sr; i < 2 * sr; ++i) b(i, 0) = 0.3f * static_cast<float>(std::sin(2 * M_PI * 392.0 * i / sr));
  fs::create_directories(d.path() / "truth");
  io::write_wav((d.path() / "truth" / "lo.wav").string(), a, sr);
  io::write_wav((d.path() / "truth" / "hi.wav").string(), b, sr);
  io::write_wav((d.path() / "mix.wav").string(), MatrixXf(a + b), sr);
  test::write_bytes((d.path() / "mix.csv").string(), "start,duration,pitch,velocity,label\n0.05,0.9,60,90,lo\n1.05,0.9,67,90,hi\n");
  test::write_bytes((d.path() / "m.csv").string(),
                    "audio,score,name,options,reference\n"
                    "mix.wav,mix.csv,scored,--iterations 20 --no-report,truth\n"
                    "mix.wav,mix.csv,plain,--iterations 20 --no-report,\n");
  const fs::path root = d.path() / "runs";
  ASSERT_EQ(run("-q batch " + (d.path() / "m.csv").string() + " --out " + root.string()), 0);
  const auto j = summary(root);
  const std::string eval_json = d.file("eval.json");
  ASSERT_EQ(std::system((std::string(NOTEWISE_BINARY) + " eval --reference " + (d.path() / "truth").string() + " --estimate " +
                         (root / "scored").string() + " --json >" + eval_json + " 2>/dev/null").c_str()),
            0);
  std::ifstream ef(eval_json);
  const auto e = nlohmann::json::parse(ef);
  nlohmann::json scored, plain;
  for (const auto& r : j.at("rows")) (r.at("name") == "scored" ? scored : plain) = r;
  ASSERT_TRUE(scored.at("scores").is_object());
  EXPECT_TRUE(plain.at("scores").is_null());
  for (const char* stem : {"lo", "hi"})
    for (const char* k : {"SDR", "SI_SDR"})
      EXPECT_NEAR(scored["scores"]["stems"][stem][k].get<double>(), e["stems"][stem][k].get<double>(), 1e-9) << stem << " " << k;
  EXPECT_NEAR(scored["scores"]["mean_SDR"].get<double>(), e["mean_SDR"].get<double>(), 1e-9);
  EXPECT_GT(e["mean_SDR"].get<double>(), 5.0);  // two tones apart in time and pitch separate well
  // The CSV: a column per stem and measure, filled for the scored row, empty for the other.
  std::ifstream cf(root / "summary.csv");
  std::string header, line;
  std::getline(cf, header);
  std::map<std::string, std::vector<std::string>> cells;
  auto split = [](const std::string& l) {
    std::vector<std::string> f(1);
    for (char c : l)
      if (c == ',') f.emplace_back();
      else f.back().push_back(c);
    return f;
  };
  const auto cols = split(header);
  while (std::getline(cf, line)) cells[split(line)[0]] = split(line);
  for (const char* c : {"mean_SDR", "mean_SI_SDR", "SDR:lo", "SI_SDR:lo", "SDR:hi", "SI_SDR:hi"}) {
    const auto it = std::find(cols.begin(), cols.end(), c);
    ASSERT_NE(it, cols.end()) << c << " in " << header;
    const auto k = static_cast<std::size_t>(it - cols.begin());
    EXPECT_TRUE(cells["plain"][k].empty()) << c;
    ASSERT_FALSE(cells["scored"][k].empty()) << c;
  }
  const auto k = static_cast<std::size_t>(std::find(cols.begin(), cols.end(), "SDR:hi") - cols.begin());
  EXPECT_NEAR(std::stod(cells["scored"][k]), e["stems"]["hi"]["SDR"].get<double>(), 1e-3 * std::abs(e["stems"]["hi"]["SDR"].get<double>()) + 1e-6);
  // A reference is scored only by separate.
  EXPECT_EQ(run("-q batch " + (d.path() / "m.csv").string() + " --out " + (d.path() / "r2").string() + " --command decompose"), 1);
}

// SIGKILL of the batch after its first row is complete; the restart redoes only the rows that
// were not complete, and the row running at the kill is stopped with its batch (nothing staged
// is left behind).
TEST(Batch, KilledMidwayRedoesOnlyUnfinishedRows) {
  test::TempDir d;
  const std::vector<std::string> names{"a", "b", "c"};
  for (std::size_t i = 0; i < names.size(); ++i) piece(d.path(), names[i], 261.6, 8.0 - 2.0 * static_cast<double>(i));
  std::string m = "audio,score,options\n";
  for (const auto& n : names) m += n + ".wav," + n + ".csv,--iterations 150 --no-report\n";
  test::write_bytes((d.path() / "m.csv").string(), m);
  const fs::path root = d.path() / "runs";
  const std::string manifest = (d.path() / "m.csv").string();
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    const int null = ::open("/dev/null", O_RDWR);
    ::dup2(null, 0), ::dup2(null, 1), ::dup2(null, 2);
    ::execl(NOTEWISE_BINARY, "notewise", "-q", "batch", manifest.c_str(), "--out", root.string().c_str(), "--jobs", "1",
            static_cast<char*>(nullptr));
    ::_exit(127);
  }
  std::set<std::string> complete;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(300);
  while (complete.empty() && std::chrono::steady_clock::now() < deadline) {
    for (const auto& n : names)
      if (fs::exists(root / n / "report.json")) complete.insert(n);
    if (complete.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status));
  ASSERT_FALSE(complete.empty()) << "no row completed in time";
  for (const auto& n : names)  // rows that completed between the poll and the kill count too
    if (fs::exists(root / n / "report.json")) complete.insert(n);
  ASSERT_LT(complete.size(), names.size()) << "every row completed before the kill: the test proves nothing";
  EXPECT_TRUE(complete.count("a")) << "the longest row runs first";
  // The row that was running is stopped (SIGTERM when its batch dies) and removes what it staged.
  bool clean = false;
  for (int i = 0; i < 1000 && !clean; ++i) {
    clean = true;
    for (const auto& e : fs::directory_iterator(root))
      if (e.path().filename().string().find(".notewise-") != std::string::npos) clean = false;
    for (const auto& n : names)
      if (!complete.count(n) && fs::exists(root / n)) clean = false;
    if (!clean) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(clean) << "the killed batch's running row left files behind";
  std::map<std::string, fs::file_time_type> before;
  for (const auto& n : complete) before[n] = fs::last_write_time(root / n / "report.json");

  ASSERT_EQ(run("-q batch " + manifest + " --out " + root.string() + " --jobs 1"), 0);
  for (const nlohmann::json sum = summary(root); const auto& r : sum.at("rows")) {
    const std::string n = r.at("name");
    EXPECT_EQ(r.at("status"), complete.count(n) ? "skipped" : "done") << n;
    EXPECT_TRUE(fs::exists(root / n / "report.json")) << n;
    if (complete.count(n)) {
      EXPECT_EQ(fs::last_write_time(root / n / "report.json"), before[n]) << n << " was redone";
    }
  }
}

// ---- hostile inputs, third round (#40) --------------------------------------------------------

// The processes `pid` started and that still run (its threads' children, from /proc).
std::vector<pid_t> children_of(pid_t pid) {
  std::vector<pid_t> out;
  std::error_code ec;
  for (const auto& task : fs::directory_iterator("/proc/" + std::to_string(pid) + "/task", ec)) {
    std::istringstream in(test::read_bytes((task.path() / "children").string()));
    for (pid_t c; in >> c;) out.push_back(c);
  }
  return out;
}

// A batch holds a lock on its root for its whole run: a second batch on the same --out fails at
// once with one line naming the folder, and writes nothing.
TEST(Batch, SecondRunOnTheSameOutIsRefused) {
  test::TempDir d;
  piece(d.path(), "a", 261.6, 4);
  piece(d.path(), "b", 261.6, 2);
  test::write_bytes((d.path() / "m.csv").string(),
                    "audio,score,options\na.wav,a.csv,--iterations 30 --no-report\nb.wav,b.csv,--iterations 30 --no-report\n");
  const fs::path root = d.path() / "runs";
  const std::string manifest = (d.path() / "m.csv").string();
  const std::string second = "-q batch " + manifest + " --out " + root.string();
  // 1. As a first batch holds the lock: refused, the root's files untouched, with or without --force.
  fs::create_directories(root / "a");
  test::write_bytes((root / "summary.csv").string(), "keep me");
  {
    const int fd = ::open(root.c_str(), O_RDONLY | O_DIRECTORY);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::flock(fd, LOCK_EX | LOCK_NB), 0);
    const auto before = tree(d.path());
    for (const std::string force : {"", "--force "}) {
      const auto r = test::notewise_cli(force + second);
      EXPECT_EQ(r.code, 1) << r.err;
      EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
      EXPECT_EQ(r.err.rfind("notewise: error: " + root.string() + ": ", 0), 0u) << r.err;
      EXPECT_NE(r.err.find("in use by another notewise run"), std::string::npos) << r.err;
    }
    EXPECT_EQ(tree(d.path()), before) << "a refused batch changed the folder";
    ::close(fd);
  }
  fs::remove_all(root);
  // 2. Two real batches: the first is held still (SIGSTOP) once its first row has started, the
  // second is refused, the first then finishes every row as if alone.
  const pid_t first = start({"-q", "batch", manifest, "--out", root.string()});
  ASSERT_GT(first, 0);
  const bool started = appears(root / "a", first);
  // The batch and its running row both held still: the row writes into its staging folder
  // otherwise, on a busy machine while the second batch runs (what follows compares the tree).
  ::kill(first, SIGSTOP);
  const std::vector<pid_t> rows = children_of(first);
  for (pid_t c : rows) ::kill(c, SIGSTOP);
  const auto before = tree(d.path());
  const auto r = test::notewise_cli(second);
  const auto after = tree(d.path());
  for (pid_t c : rows) ::kill(c, SIGCONT);
  ::kill(first, SIGCONT);
  int status = 0;
  ASSERT_EQ(::waitpid(first, &status, 0), first);
  ASSERT_TRUE(started) << "the first batch ended before its first row was seen";
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_NE(r.err.find(root.string() + ": output folder is in use by another notewise run"), std::string::npos) << r.err;
  EXPECT_EQ(after, before) << "the refused batch wrote into the root";
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_EQ(statuses(root), (std::map<std::string, std::string>{{"a", "done"}, {"b", "done"}}));
}

// SIGINT, SIGTERM or SIGHUP to a batch whose first row has started: it stops its rows (each
// removes what it staged), waits for them and dies of the signal; the root then holds complete
// rows only (no stderr captures, staging folders or half rows), or is gone if it was created
// empty, and no row runs on.
void signal_leaves_only_complete_rows(int sig) {
  test::TempDir d;
  for (const char* n : {"a", "b", "c"}) piece(d.path(), n, 261.6, 8);
  test::write_bytes((d.path() / "m.csv").string(), "audio,score,options\na.wav,a.csv,--iterations 150 --no-report\n"
                                                    "b.wav,b.csv,--iterations 150 --no-report\nc.wav,c.csv,--iterations 150 --no-report\n");
  const fs::path root = d.path() / "runs";
  const pid_t pid = start({"-q", "batch", (d.path() / "m.csv").string(), "--out", root.string(), "--jobs", "2"});
  ASSERT_GT(pid, 0);
  const bool started = appears(root / "a", pid) || fs::exists(root / "b");
  ::kill(pid, sig);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(started) << "the batch ended before its first row was seen";
  ASSERT_TRUE(WIFSIGNALED(status)) << "exit status " << WEXITSTATUS(status);
  EXPECT_EQ(WTERMSIG(status), sig);
  EXPECT_EQ(processes_mentioning(root.string()), 0) << "a row runs on after its batch";
  if (fs::exists(root))
    for (const auto& e : fs::directory_iterator(root)) {
      const std::string n = e.path().filename().string();
      EXPECT_TRUE(e.is_directory() && fs::exists(e.path() / "report.json")) << "left behind: " << n;
    }
}

TEST(Batch, SigintLeavesNoStderrFiles) { signal_leaves_only_complete_rows(SIGINT); }
TEST(Batch, SigtermLeavesNoStderrFiles) { signal_leaves_only_complete_rows(SIGTERM); }

// A 250-byte row name (the file system allows 255) runs: the batch's and the row's temporary
// names do not grow with it. One of 256 bytes is refused, naming the manifest line, before any work.
TEST(Batch, RowNameOf250CharactersRuns) {
  test::TempDir d;
  piece(d.path(), "one", 261.6);
  std::string name;
  for (int i = 0; i < 125; ++i) name += "\xC3\xA9";  // "é": 250 bytes, so a cut must fall between characters
  test::write_bytes((d.path() / "m.csv").string(), "audio,score,name,options\none.wav,one.csv," + name + ",--iterations 3 --no-report\n");
  const fs::path root = d.path() / "runs";
  const auto r = test::notewise_cli("-q batch " + (d.path() / "m.csv").string() + " --out " + root.string());
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(statuses(root)[name], "done");
  EXPECT_TRUE(fs::exists(root / name / "report.json"));
  EXPECT_EQ(tree(root).size(), tree(root / name).size() + 3) << "the root holds the row and the two summaries only";

  test::write_bytes((d.path() / "m.csv").string(),
                    "audio,score,name,options\none.wav,one.csv,ok,--iterations 3\none.wav,one.csv," + std::string(256, 'n') + ",--iterations 3\n");
  const fs::path root2 = d.path() / "runs2";
  const auto r2 = test::notewise_cli("-q batch " + (d.path() / "m.csv").string() + " --out " + root2.string());
  EXPECT_EQ(r2.code, 1) << r2.err;
  EXPECT_EQ(r2.err.rfind("notewise: error: " + (d.path() / "m.csv").string() + ":3: ", 0), 0u) << r2.err;
  EXPECT_EQ(std::count(r2.err.begin(), r2.err.end(), '\n'), 1) << r2.err;
  EXPECT_FALSE(fs::exists(root2)) << "refused before any work";
}

// A manifest saved by a spreadsheet starts with a UTF-8 byte-order mark (as score CSVs may).
TEST(Batch, ManifestWithBomIsRead) {
  test::TempDir d;
  piece(d.path(), "one", 261.6);
  test::write_bytes((d.path() / "m.csv").string(), "\xEF\xBB\xBF" "audio,score,options\r\none.wav,one.csv,--iterations 3 --no-report\r\n");
  const fs::path root = d.path() / "runs";
  const auto r = test::notewise_cli("-q batch " + (d.path() / "m.csv").string() + " --out " + root.string());
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(statuses(root)["one"], "done");
}

// A row name that is one of the batch's own files (the summaries, their temporary files),
// ignoring case as macOS and Windows do, or that differs from another only in case, is refused
// at once naming the line: no row runs, nothing is written.
TEST(Batch, RowNamedSummaryCsvIsRefused) {
  test::TempDir d;
  piece(d.path(), "one", 261.6);
  const fs::path root = d.path() / "runs", manifest = d.path() / "m.csv";
  for (const std::string bad : {"summary.csv", "Summary.JSON", ".summary.tmp123.csv", "ONE"}) {
    test::write_bytes(manifest.string(), "audio,score,name,options\none.wav,one.csv,one,--iterations 3\none.wav,one.csv," + bad +
                                             ",--iterations 3\n");
    const auto r = test::notewise_cli("-q batch " + manifest.string() + " --out " + root.string());
    EXPECT_EQ(r.code, 1) << bad << ": " << r.err;
    EXPECT_EQ(r.err.rfind("notewise: error: " + manifest.string() + ":3: ", 0), 0u) << r.err;
    EXPECT_NE(r.err.find(bad), std::string::npos) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_FALSE(fs::exists(root)) << bad << ": refused before any work";
  }
}

#ifdef NOTEWISE_MPIEXEC
// Two MPI ranks share the rows: each row is run once (a second run of a row would fail: its
// outputs exist and --force is not given), by one of the two ranks, both ranks work, the bad
// row is reported and the others go on, and rank 0 writes the whole summary.
TEST(Batch, MpiTwoRanksShareTheRows) {
#ifdef NOTEWISE_MPI_SKIP_UNDER_SANITIZERS
  GTEST_SKIP() << "under the sanitizers: LeakSanitizer reports Open MPI's own allocations from MPI_Init "
                  "(in components it dlclose'd; tests/cli/CMakeLists.txt)";
#endif
  test::TempDir d;
  std::string m = "audio,score,name,options\n";
  for (int i = 0; i < 6; ++i) {
    const std::string n = "p" + std::to_string(i);
    piece(d.path(), n, 261.6, 1.0 + 0.5 * i);
    m += n + ".wav," + n + ".csv,,--iterations 30 --no-report\n";
    if (i == 2) m += "missing.wav,p0.csv,bad,--iterations 3\n";
  }
  test::write_bytes((d.path() / "m.csv").string(), m);
  const fs::path root = d.path() / "runs";
  // CI runs as root, which mpirun refuses without these.
  const std::string cmd = "OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMP_NUM_THREADS=1 " + std::string(NOTEWISE_MPIEXEC) +
                          " --oversubscribe -np 2 " + NOTEWISE_BINARY + " -q batch " + (d.path() / "m.csv").string() + " --out " +
                          root.string();
  EXPECT_NE(shell(cmd), 0);  // a row failed
  const auto j = summary(root);
  EXPECT_EQ(j.at("ranks"), 2);
  ASSERT_EQ(j.at("rows").size(), 7u);
  std::set<int> ranks;
  for (const auto& r : j.at("rows")) {
    const std::string n = r.at("name");
    if (n == "bad") {
      EXPECT_EQ(r.at("status"), "failed");
      EXPECT_NE(r.at("error").get<std::string>().find("missing.wav"), std::string::npos) << r.dump();
      continue;
    }
    EXPECT_EQ(r.at("status"), "done") << r.dump();
    EXPECT_TRUE(fs::exists(root / n / "a.wav")) << n;
    ASSERT_TRUE(r.at("rank").is_number()) << r.dump();
    ranks.insert(r.at("rank").get<int>());
  }
  EXPECT_EQ(ranks, (std::set<int>{0, 1}));
  // Resumed under MPI: every complete row skipped, the bad one tried again.
  EXPECT_NE(shell(cmd), 0);
  for (const nlohmann::json sum = summary(root); const auto& r : sum.at("rows")) EXPECT_EQ(r.at("status"), r.at("name") == "bad" ? "failed" : "skipped") << r.dump();
}
#endif
