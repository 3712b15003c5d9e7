// End-to-end tests: run the real binary as a user would, check exit codes, messages and files.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <functional>
#include <tuple>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "notewise/io/audio.hpp"
#include "notewise/io/npy.hpp"
#include "notewise/io/score_io.hpp"
#include <nlohmann/json.hpp>
#include "test_util.hpp"

using namespace notewise;
using notewise::test::CliRun;
using notewise::test::notewise_cli;
using notewise::test::TempDir;

namespace {
int lines(const std::string& s) { return static_cast<int>(std::count(s.begin(), s.end(), '\n')); }
const std::string kExample = std::string(NOTEWISE_EXAMPLES) + "/chopin_op64_1";
}  // namespace

TEST(Cli, HelpListsCommands) {
  TempDir dir;
  const std::string cmd = std::string(NOTEWISE_BINARY) + " --help > " + dir.file("help.txt");
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  const std::string help = test::read_bytes(dir.file("help.txt"));
  for (const char* c : {"spectrogram", "factorize", "Exit codes"}) EXPECT_NE(help.find(c), std::string::npos) << c;
  EXPECT_EQ(notewise_cli("factorize --help").code, 0);
  EXPECT_EQ(notewise_cli("--version").code, 0);
}

// Every command's help (and --help-all) fits 100 columns and shows no parser artefacts: a flag's
// parser value ("{false}"), type tags ("TEXT:{wav,flac}", "FLOAT:FLOAT in [0 - 10]"), and puts
// the required arguments before the options.
TEST(Cli, Help_HundredColumnsNoParserArtefactsRequiredFirst) {
  TempDir dir;
  for (const char* c : {"", "separate", "decompose", "edit", "eval", "plot", "align", "compare", "nae", "nae train", "batch",
                        "mosaic", "drums", "spectrogram", "factorize"})
    for (const char* h : {"--help", "--help-all"}) {
      const std::string what = std::string(c) + " " + h;
      ASSERT_EQ(std::system((std::string(NOTEWISE_BINARY) + " " + what + " > " + dir.file("h.txt")).c_str()), 0) << what;
      const std::string help = test::read_bytes(dir.file("h.txt"));
      std::istringstream lines_in(help);
      std::string line;
      while (std::getline(lines_in, line)) EXPECT_LE(line.size(), 100u) << what << ": " << line;
      EXPECT_FALSE(std::regex_search(help, std::regex(R"(\{(true|false)\}|\b(TEXT|FLOAT|INT|UINT):| :\{)"))) << what << "\n" << help;
      if (std::string(c) == "separate") {
        EXPECT_LT(help.find("Required:"), help.find("Options:")) << help;
        EXPECT_NE(help.find("--ext {wav,"), std::string::npos) << help;
      }
    }
}

TEST(Cli, UsageErrorsExitTwo) {
  EXPECT_EQ(notewise_cli("").code, 2);
  EXPECT_EQ(notewise_cli("no-such-command").code, 2);
  EXPECT_EQ(notewise_cli("spectrogram").code, 2);
  TempDir dir;
  EXPECT_EQ(notewise_cli("spectrogram " + kExample + "/mix.wav --out " + dir.file("o") + " --hop 0").code, 2);
  // One line, "notewise: error:", naming the command and pointing at its own help.
  for (const auto& [args, want] : std::vector<std::pair<std::string, std::string>>{
           {"separate " + kExample + "/mix.wav", "notewise: error: separate: --out is required (see notewise separate --help)"},
           {"separate " + kExample + "/mix.wav --score x.csv --out " + dir.file("o") + " --quality 11",
            "notewise: error: separate: --quality: Value 11 not in range 0 to 10 (see notewise separate --help)"}}) {
    const CliRun r = notewise_cli(args);
    EXPECT_EQ(r.code, 2) << args;
    EXPECT_EQ(r.err, want + "\n") << args;
  }
}

TEST(Cli, MissingAndCorruptAudio_OneLineErrorExitOne) {
  TempDir dir;
  test::write_bytes(dir.file("text.wav"), "just some text, renamed to .wav\n");
  const std::string wav = test::read_bytes(kExample + "/mix.wav");
  test::write_bytes(dir.file("cut.wav"), wav.substr(0, wav.size() / 3));
  for (const std::string& f : {dir.file("missing.wav"), dir.file("text.wav"), dir.file("cut.wav")}) {
    const CliRun r = notewise_cli("-q spectrogram " + f + " --out " + dir.file("out"));
    EXPECT_EQ(r.code, 1) << f;
    EXPECT_EQ(lines(r.err), 1) << r.err;
    EXPECT_NE(r.err.find(f), std::string::npos) << "message must name the file: " << r.err;
    EXPECT_FALSE(std::filesystem::exists(dir.file("out/V.npy"))) << "nothing written on error";
  }
}

TEST(Cli, Spectrogram_RoundTripOnExample) {
  TempDir dir;
  const CliRun r = notewise_cli("spectrogram " + kExample + "/mix.wav --out " + dir.file("run"));
  ASSERT_EQ(r.code, 0) << r.err;
  const MatrixXf V = io::read_npy(dir.file("run/V.npy"));
  EXPECT_EQ(V.rows(), 2049);  // n_fft 4096: the V that separate and decompose analyse
  const io::Audio in = io::read_audio(kExample + "/mix.wav");
  EXPECT_EQ(V.cols(), 1 + in.frames() / 512);
  const io::Audio out = io::read_audio(dir.file("run/resynth.wav"));
  EXPECT_EQ(out.frames(), in.frames());
  EXPECT_LE((out.samples - in.samples).cwiseAbs().maxCoeff(), 2.0f / 32768);  // 16-bit requantisation
  // Existing outputs are kept unless --force.
  const CliRun again = notewise_cli("-q spectrogram " + kExample + "/mix.wav --out " + dir.file("run"));
  EXPECT_EQ(again.code, 1);
  EXPECT_NE(again.err.find("--force"), std::string::npos);
  EXPECT_EQ(notewise_cli("-q --force spectrogram " + kExample + "/mix.wav --out " + dir.file("run")).code, 0);
}

TEST(Cli, Spectrogram_StereoAtAnotherRate) {
  TempDir dir;
  MatrixXf x(44100, 2);
  for (Index i = 0; i < x.rows(); ++i) {
    x(i, 0) = 0.3f * std::sin(0.05f * i);
    x(i, 1) = 0.2f * std::sin(0.11f * i);
  }
  io::write_wav(dir.file("st.wav"), x, 44100, io::SampleFormat::Float32);
  ASSERT_EQ(notewise_cli("-q spectrogram " + dir.file("st.wav") + " --out " + dir.file("o") + " --format float32").code, 0);
  const io::Audio out = io::read_audio(dir.file("o/resynth.wav"));
  EXPECT_EQ(out.sample_rate, 44100);
  EXPECT_EQ(out.channels(), 2);
  EXPECT_LE((out.samples - x).cwiseAbs().maxCoeff(), 1e-5f);
  EXPECT_EQ(io::read_npy(dir.file("o/V.npy")).cols(), 1 + 22050 / 512);
}

TEST(Cli, UnwritableOutput) {
  const CliRun r = notewise_cli("-q spectrogram " + kExample + "/mix.wav --out /proc/notewise_cannot_write");
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(lines(r.err), 1) << r.err;
}

TEST(Cli, Factorize_WritesFactorsAndLoss) {
  TempDir dir;
  const MatrixXf V = (MatrixXf::Random(30, 40).array() + 1.0f).matrix();
  io::write_npy(dir.file("V.npy"), V);
  const CliRun r = notewise_cli("-q factorize " + dir.file("V.npy") + " --rank 4 --loss kl -n 25 --out " + dir.file("o"));
  ASSERT_EQ(r.code, 0) << r.err;
  const MatrixXf W = io::read_npy(dir.file("o/W.npy")), H = io::read_npy(dir.file("o/H.npy"));
  EXPECT_EQ(W.rows(), 30);
  EXPECT_EQ(W.cols(), 4);
  EXPECT_EQ(H.rows(), 4);
  EXPECT_EQ(H.cols(), 40);
  EXPECT_GE(W.minCoeff(), 0.0f);
  std::ifstream csv(dir.file("o/loss.csv"));
  std::string line;
  int rows = 0;
  while (std::getline(csv, line)) ++rows;
  EXPECT_EQ(rows, 1 + 1 + 25);  // header, start, 25 iterations
}

TEST(Cli, Factorize_FixedWAndZerosKept) {
  TempDir dir;
  const MatrixXf V = (MatrixXf::Random(10, 12).array() + 1.0f).matrix();
  MatrixXf W0 = (MatrixXf::Random(10, 3).array() + 1.0f).matrix();
  W0(2, 1) = 0;
  io::write_npy(dir.file("V.npy"), V);
  io::write_npy(dir.file("W0.npy"), W0);
  ASSERT_EQ(notewise_cli("-q factorize " + dir.file("V.npy") + " --init-w " + dir.file("W0.npy") + " --fix-w --out " + dir.file("o")).code, 0);
  EXPECT_EQ(io::read_npy(dir.file("o/W.npy")), W0);
  ASSERT_EQ(notewise_cli("-q factorize " + dir.file("V.npy") + " --init-w " + dir.file("W0.npy") + " --out " + dir.file("p")).code, 0);
  EXPECT_EQ(io::read_npy(dir.file("p/W.npy"))(2, 1), 0.0f);
}

TEST(Cli, Factorize_BadInputs) {
  TempDir dir;
  io::write_npy(dir.file("V.npy"), MatrixXf::Ones(10, 12));
  io::write_npy(dir.file("W0.npy"), MatrixXf::Ones(9, 3));
  MatrixXf neg = MatrixXf::Ones(10, 12);
  neg(0, 0) = -1;
  io::write_npy(dir.file("neg.npy"), neg);
  test::write_bytes(dir.file("junk.npy"), "junk");
  for (const std::string& args : {"factorize " + dir.file("V.npy") + " --init-w " + dir.file("W0.npy"),
                                  "factorize " + dir.file("neg.npy") + " --rank 2",
                                  "factorize " + dir.file("junk.npy") + " --rank 2"}) {
    const CliRun r = notewise_cli("-q " + args + " --out " + dir.file("o"));
    EXPECT_EQ(r.code, 1) << args << ": " << r.err;
    EXPECT_EQ(lines(r.err), 1) << r.err;
  }
  EXPECT_EQ(notewise_cli("-q factorize " + dir.file("V.npy") + " --out " + dir.file("o")).code, 2);  // no rank
  EXPECT_EQ(notewise_cli("-q factorize " + dir.file("V.npy") + " --rank 2 --loss beta=3 --out " + dir.file("o")).code, 2);
}

// ---- separate, decompose, edit, eval on the shipped example -------------------------------

namespace {
std::string read_text(const std::string& path) { return test::read_bytes(path); }
}  // namespace

TEST(Cli, Separate_ExampleEndToEnd) {
  TempDir dir;
  const CliRun r = notewise_cli("separate " + kExample + "/mix.wav --score " + kExample + "/score.mid --out " + dir.file("stems"));
  ASSERT_EQ(r.code, 0) << r.err;
  const io::Audio mix = io::read_audio(kExample + "/mix.wav");
  MatrixXf sum = MatrixXf::Zero(mix.frames(), 1);
  for (const char* stem : {"left", "right"}) {
    const io::Audio a = io::read_audio(dir.file(std::string("stems/") + stem + ".wav"));
    EXPECT_EQ(a.frames(), mix.frames());
    EXPECT_EQ(a.sample_rate, mix.sample_rate);
    EXPECT_TRUE(a.samples.allFinite());
    EXPECT_GT(a.samples.cwiseAbs().maxCoeff(), 0.05f) << stem;
    sum += a.samples;
  }
  EXPECT_LE((sum - mix.samples).cwiseAbs().maxCoeff(), 3.0f / 32768);  // two 16-bit roundings
  const auto report = nlohmann::json::parse(read_text(dir.file("stems/report.json")));
  EXPECT_EQ(report["groups"].size(), 2u);
  EXPECT_EQ(report["groups"][0]["notes"].get<int>() + report["groups"][1]["notes"].get<int>(), 422);
  EXPECT_EQ(report["nmf"]["loss"].size(), report["nmf"]["iterations"].get<std::size_t>());
  for (const char* k : {"load", "decompose", "resynthesise", "write", "total"}) EXPECT_TRUE(report["timings_s"].contains(k)) << k;
  EXPECT_EQ(report["parameters"]["n_fft"], 4096);
  const MatrixXf W = io::read_npy(dir.file("stems/W.npy")), H = io::read_npy(dir.file("stems/H.npy"));
  EXPECT_EQ(W.cols(), H.rows());
  EXPECT_TRUE(std::filesystem::exists(dir.file("stems/loss.csv")));
  // index.json says what each row of W/H is, as decompose writes it: every row once, every
  // note in exactly one pitch row.
  const auto index = nlohmann::json::parse(read_text(dir.file("stems/index.json")));
  ASSERT_EQ(index["rows"].size(), static_cast<std::size_t>(W.cols()));
  EXPECT_EQ(index["frames"].get<Index>(), H.cols());
  EXPECT_EQ(index["bins"].get<Index>(), W.rows());
  std::vector<int> pitch_rows_of_note(422, 0);
  for (std::size_t r = 0; r < index["rows"].size(); ++r) {
    EXPECT_EQ(index["rows"][r]["row"].get<std::size_t>(), r);
    if (index["rows"][r]["kind"] == "pitch")
      for (const auto& n : index["rows"][r]["notes"]) ++pitch_rows_of_note.at(n.get<std::size_t>());
  }
  EXPECT_EQ(std::count(pitch_rows_of_note.begin(), pitch_rows_of_note.end(), 1), 422);
  // The stems score well against... the eval command itself, here as a smoke test on stems vs
  // themselves: a perfect estimate.
  const CliRun e = notewise_cli("eval --reference " + dir.file("stems") + " --estimate " + dir.file("stems") + " --json");
  EXPECT_EQ(e.code, 0) << e.err;
}

TEST(Cli, Separate_GroupsAndBadInput) {
  TempDir dir;
  const std::string base = "-q separate " + kExample + "/mix.wav --score " + kExample + "/score.csv --out ";
  CliRun r = notewise_cli(base + dir.file("g") + " --group \"melody=label==right && pitch>=76\" --group rest=others -n 5");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(std::filesystem::exists(dir.file("g/melody.wav")));
  EXPECT_TRUE(std::filesystem::exists(dir.file("g/rest.wav")));
  // A group name that cannot name a file is a usage error; a group that selects no note an
  // error; nothing written either way.
  r = notewise_cli(base + dir.file("h") + " --group 'a/b=label==right'");
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(lines(r.err), 1) << r.err;
  r = notewise_cli(base + dir.file("h") + " --group 'x=pitch>120' --group y=others");
  EXPECT_EQ(r.code, 1);
  EXPECT_FALSE(std::filesystem::exists(dir.file("h/y.wav")));
  // Unwritable output: refused before any work.
  r = notewise_cli(base + "/proc/cannot_write_here");
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(lines(r.err), 1) << r.err;
  // Bad option values are usage errors.
  EXPECT_EQ(notewise_cli(base + dir.file("i") + " --alpha -1").code, 2);
  EXPECT_EQ(notewise_cli(base + dir.file("i") + " --group 'x=pitch>>3'").code, 2);
}

TEST(Cli, Separate_ScoreLongerThanAudioIsCutWithAWarning) {
  TempDir dir;
  const io::Audio mix = io::read_audio(kExample + "/mix.wav");
  io::write_wav(dir.file("short.wav"), mix.samples.topRows(5 * mix.sample_rate), mix.sample_rate);
  const CliRun r = notewise_cli("-q separate " + dir.file("short.wav") + " --score " + kExample + "/score.csv -n 5 --out " + dir.file("o"));
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("warning"), std::string::npos);
  EXPECT_NE(r.err.find("cut"), std::string::npos);
  EXPECT_EQ(io::read_audio(dir.file("o/left.wav")).frames(), 5 * mix.sample_rate);
}

// An instrument name notewise does not know is a warning that -q does not silence; a name it
// knows in another language ("Fagott") is not.
TEST(Cli, Separate_UnknownInstrumentNameWarnsEvenWhenQuiet) {
  TempDir dir;
  const io::Audio mix = io::read_audio(kExample + "/mix.wav");
  io::write_wav(dir.file("short.wav"), mix.samples.topRows(3 * mix.sample_rate), mix.sample_rate);
  test::write_bytes(dir.file("score.csv"), "start,duration,pitch,velocity,label\n0.1,0.5,48,80,zork\n0.2,1.0,67,80,Fagott\n"
                                           "1.0,0.5,50,80,zork\n1.2,1.0,69,80,Fagott\n");
  const CliRun r = notewise_cli("-q separate " + dir.file("short.wav") + " --score " + dir.file("score.csv") +
                                " --align=no -n 2 --no-report --out " + dir.file("o"));
  EXPECT_EQ(r.code, 0) << r.err;
  std::istringstream in(r.err);  // quiet: warnings and nothing else
  for (std::string line; std::getline(in, line);) EXPECT_EQ(line.rfind("notewise: warning: ", 0), 0u) << line;
  EXPECT_NE(r.err.find("warning: label 'zork'"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("--instrument zork=FAMILY"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("Fagott"), std::string::npos) << r.err;
}

TEST(Cli, Separate_SilentAudioGivesSilentStems) {
  TempDir dir;
  io::write_wav(dir.file("silence.wav"), MatrixXf::Zero(22050 * 3, 2), 22050);
  test::write_bytes(dir.file("s.csv"), "start,duration,pitch,velocity,label\n0.5,1,60,100,a\n1.0,1,64,100,b\n");
  const CliRun r = notewise_cli("-q separate " + dir.file("silence.wav") + " --score " + dir.file("s.csv") + " --out " + dir.file("o"));
  ASSERT_EQ(r.code, 0) << r.err;
  for (const char* s : {"o/a.wav", "o/b.wav"}) {
    const io::Audio a = io::read_audio(dir.file(s));
    EXPECT_EQ(a.channels(), 2);
    EXPECT_EQ(a.samples.cwiseAbs().maxCoeff(), 0.0f);
  }
}

TEST(Cli, Separate_StreamedStemsEqualTheWholeOnes_BadSampleLeavesNothing) {
  // --no-report reads the recording block by block and writes the stems block by block; with
  // the report everything is held whole. The stems are the same numbers.
  TempDir dir;
  const int rate = 44100;
  const Index n = 7 * rate;
  MatrixXf x(n, 2);
  for (Index i = 0; i < n; ++i) {
    const double t = static_cast<double>(i) / rate;
    const double a = t > 0.5 && t < 4.0 ? 0.3 * std::sin(2 * 3.14159265 * 261.63 * t) * std::exp(-(t - 0.5)) : 0.0;
    const double b = t > 2.0 && t < 6.5 ? 0.3 * std::sin(2 * 3.14159265 * 392.0 * t) * std::exp(-(t - 2.0)) : 0.0;
    x(i, 0) = static_cast<float>(0.8 * a + 0.2 * b);
    x(i, 1) = static_cast<float>(0.3 * a + 0.7 * b);
  }
  io::Encoding flac;
  flac.format = io::FileFormat::Flac;
  flac.sample = io::SampleFormat::Pcm24;
  io::write_audio(dir.file("mix.flac"), x, rate, flac);
  test::write_bytes(dir.file("s.csv"), "start,duration,pitch,velocity,label\n0.5,3.5,60,100,a\n2.0,4.5,67,100,b\n");
  const std::string args = "-q separate " + dir.file("mix.flac") + " --score " + dir.file("s.csv") + " -n 10 --format float32 ";
  CliRun r = notewise_cli(args + "--out " + dir.file("whole"));
  ASSERT_EQ(r.code, 0) << r.err;
  r = notewise_cli(args + "--no-report --out " + dir.file("streamed"));
  ASSERT_EQ(r.code, 0) << r.err;
  for (const char* stem : {"a.wav", "b.wav"}) {
    const io::Audio w = io::read_audio(dir.file(std::string("whole/") + stem));
    const io::Audio s = io::read_audio(dir.file(std::string("streamed/") + stem));
    ASSERT_EQ(s.frames(), n);
    ASSERT_EQ(s.channels(), 2);
    EXPECT_EQ((w.samples - s.samples).cwiseAbs().maxCoeff(), 0.0f) << stem;
    EXPECT_GT(s.samples.cwiseAbs().maxCoeff(), 0.01f) << stem;
  }
  // No temporary files beside the stems.
  int files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir.file("streamed")))  // the run's manifest is no temporary file
    files += e.path().filename().string()[0] == '.' && e.path().filename() != ".notewise.outputs";
  EXPECT_EQ(files, 0);
  // A sample beyond any plausible level late in the file: one line, exit 1, no folder.
  x(n - 100, 1) = 5000.0f;
  io::write_wav(dir.file("bad.wav"), x, rate, io::SampleFormat::Float32);
  r = notewise_cli("-q separate " + dir.file("bad.wav") + " --score " + dir.file("s.csv") + " -n 2 --no-report --out " +
                   dir.file("bad"));
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("bad.wav"), std::string::npos) << r.err;
  EXPECT_EQ(lines(r.err), 1) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir.file("bad")));
}

TEST(Cli, Separate_SpectrogramOnDiskGivesTheStemsOfVInMemory) {
  // --spectrogram disk: V in a temporary file without a name, read back a segment at a time.
  // The stems equal those of V in memory to float rounding; no file is left; edit and
  // decompose take the option too; a loss whose engine needs V whole is a usage error.
  TempDir dir;
  const int rate = 22050;
  const Index n = 6 * rate;
  MatrixXf x(n, 1);
  for (Index i = 0; i < n; ++i) {
    const double t = static_cast<double>(i) / rate;
    const double a = t > 0.3 && t < 3.5 ? 0.3 * std::sin(2 * 3.14159265 * 220.0 * t) * std::exp(-(t - 0.3)) : 0.0;
    const double b = t > 2.0 && t < 5.5 ? 0.3 * std::sin(2 * 3.14159265 * 329.63 * t) * std::exp(-(t - 2.0)) : 0.0;
    x(i, 0) = static_cast<float>(a + b);
  }
  io::write_wav(dir.file("mix.wav"), x, rate, io::SampleFormat::Float32);
  test::write_bytes(dir.file("s.csv"), "start,duration,pitch,velocity,label\n0.3,3.2,57,100,a\n2.0,3.5,64,100,b\n");
  const std::string args = "separate " + dir.file("mix.wav") + " --score " + dir.file("s.csv") + " -n 12 --no-report --format float32 ";
  CliRun r = notewise_cli("-q " + args + "--spectrogram memory --out " + dir.file("memory"));
  ASSERT_EQ(r.code, 0) << r.err;
  r = notewise_cli(args + "--spectrogram disk --out " + dir.file("disk"));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("kept in a temporary file"), std::string::npos) << r.err;
  for (const char* stem : {"a.wav", "b.wav"}) {
    const io::Audio m = io::read_audio(dir.file(std::string("memory/") + stem));
    const io::Audio d = io::read_audio(dir.file(std::string("disk/") + stem));
    ASSERT_EQ(d.frames(), n);
    EXPECT_LE((m.samples - d.samples).cwiseAbs().maxCoeff(), 1e-4f) << stem;
    EXPECT_GT(d.samples.cwiseAbs().maxCoeff(), 0.01f) << stem;
  }
  int hidden = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir.file("disk")))  // the run's manifest is no temporary file
    hidden += e.path().filename().string()[0] == '.' && e.path().filename() != ".notewise.outputs";
  EXPECT_EQ(hidden, 0);
  r = notewise_cli("-q edit " + dir.file("mix.wav") + " --score " + dir.file("s.csv") + " -n 12 --gain a=0.5 --spectrogram disk --out " +
                   dir.file("edited.wav"));
  EXPECT_EQ(r.code, 0) << r.err;
  r = notewise_cli("-q decompose " + dir.file("mix.wav") + " --score " + dir.file("s.csv") + " -n 12 --spectrogram disk --out " +
                   dir.file("dec"));
  EXPECT_EQ(r.code, 0) << r.err;
  r = notewise_cli("-q decompose " + dir.file("mix.wav") + " --score " + dir.file("s.csv") + " -n 12 --spectrogram memory --out " +
                   dir.file("dec_memory"));
  ASSERT_EQ(r.code, 0) << r.err;
  const MatrixXf H_disk = io::read_npy(dir.file("dec/H.npy")), H_memory = io::read_npy(dir.file("dec_memory/H.npy"));
  ASSERT_EQ(H_disk.rows(), H_memory.rows());
  ASSERT_EQ(H_disk.cols(), H_memory.cols());
  EXPECT_LE((H_disk - H_memory).norm(), 1e-3 * H_memory.norm());
  r = notewise_cli("-q " + args + "--loss euclidean --spectrogram disk --out " + dir.file("euclid"));
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("--spectrogram disk"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir.file("euclid")));
}

TEST(Cli, Separate_MalformedScore) {
  TempDir dir;
  test::write_bytes(dir.file("bad.csv"), "start,duration,pitch,velocity,label\n0.5,1,131,100,a\n");
  const CliRun r = notewise_cli("-q separate " + kExample + "/mix.wav --score " + dir.file("bad.csv") + " --out " + dir.file("o"));
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(lines(r.err), 1) << r.err;
  EXPECT_NE(r.err.find("bad.csv:2: pitch 131"), std::string::npos) << r.err;
}

TEST(Cli, Decompose_WritesNoteWiseResults) {
  TempDir dir;
  const CliRun r = notewise_cli("-q decompose " + kExample + "/mix.wav --score " + kExample + "/score.csv -n 10 --out " + dir.file("d"));
  ASSERT_EQ(r.code, 0) << r.err;
  const MatrixXf W = io::read_npy(dir.file("d/W.npy")), H = io::read_npy(dir.file("d/H.npy")), Hn = io::read_npy(dir.file("d/H_notes.npy"));
  EXPECT_EQ(Hn.rows(), 422);
  EXPECT_EQ(Hn.cols(), H.cols());
  const auto index = nlohmann::json::parse(read_text(dir.file("d/index.json")));
  EXPECT_EQ(index["rows"].size(), static_cast<std::size_t>(H.rows()));
  EXPECT_EQ(index["rows"][0]["kind"], "pitch");
  EXPECT_EQ(index["rows"][H.rows() - 1]["kind"], "onset");
  // The run file has separate's name and layout.
  EXPECT_FALSE(std::filesystem::exists(dir.file("d/params.json")));
  const auto params = nlohmann::json::parse(read_text(dir.file("d/report.json")))["parameters"];
  EXPECT_EQ(params["iterations"], 10);
  EXPECT_EQ(params["preset"], "tuned");
  int rows = 0;
  std::ifstream csv(dir.file("d/notes.csv"));
  for (std::string line; std::getline(csv, line);) ++rows;
  EXPECT_EQ(rows, 423);
  EXPECT_TRUE(std::filesystem::exists(dir.file("d/report.html")));
  EXPECT_TRUE(std::filesystem::exists(dir.file("d/plots/activations.png")));
}

TEST(Cli, Edit_UnitGainGivesTheInputAndMutingRemovesEnergy) {
  TempDir dir;
  const std::string base = "-q edit " + kExample + "/mix.wav --score " + kExample + "/score.csv -n 10 --out ";
  ASSERT_EQ(notewise_cli(base + dir.file("same.wav") + " --gain left=0dB").code, 0);
  const io::Audio mix = io::read_audio(kExample + "/mix.wav");
  EXPECT_LE((io::read_audio(dir.file("same.wav")).samples - mix.samples).cwiseAbs().maxCoeff(), 2.0f / 32768);
  ASSERT_EQ(notewise_cli(base + dir.file("quiet.wav") + " --gain left=-20dB --gain right=0.5").code, 0);
  EXPECT_LT(io::read_audio(dir.file("quiet.wav")).samples.squaredNorm(), 0.5 * mix.samples.squaredNorm());
  ASSERT_EQ(notewise_cli(base + dir.file("muted.wav") + " --mute 'label==left'").code, 0);
  EXPECT_LT(io::read_audio(dir.file("muted.wav")).samples.squaredNorm(), mix.samples.squaredNorm());
  EXPECT_EQ(notewise_cli(base + dir.file("x.wav") + " --gain nosuchgroup=3dB").code, 1);
  EXPECT_EQ(notewise_cli(base + dir.file("x.wav") + " --gain left=loud").code, 2);
  EXPECT_EQ(notewise_cli(base + dir.file("x.wav")).code, 2);  // nothing to do
}

TEST(Cli, Eval_TableJsonAndErrors) {
  TempDir dir;
  const std::string fixtures = NOTEWISE_FIXTURES "/eval/";
  std::filesystem::create_directories(dir.file("ref"));
  std::filesystem::create_directories(dir.file("est"));
  for (const char* s : {"left", "right"}) {
    std::filesystem::copy_file(fixtures + "mozart_k545_1_ref_" + s + ".wav", dir.file(std::string("ref/") + s + ".wav"));
    std::filesystem::copy_file(fixtures + "mozart_k545_1_est_" + s + ".wav", dir.file(std::string("est/") + s + ".wav"));
  }
  const std::string out = dir.file("scores.json");
  ASSERT_EQ(std::system((std::string(NOTEWISE_BINARY) + " eval --reference " + dir.file("ref") + " --estimate " +
                         dir.file("est") + " --json > " + out).c_str()), 0);
  const auto j = nlohmann::json::parse(read_text(out));
  std::ifstream f(fixtures + "mir_eval_scores.json");
  const auto want = nlohmann::json::parse(f)["mozart_k545_1"];
  for (const char* s : {"left", "right"}) EXPECT_NEAR(j["stems"][s]["SDR"].get<double>(), want[s]["SDR"].get<double>(), 0.1);
  std::filesystem::remove(dir.file("est/right.wav"));
  const CliRun r = notewise_cli("eval --reference " + dir.file("ref") + " --estimate " + dir.file("est"));
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("right.wav"), std::string::npos) << r.err;
}

TEST(Cli, Align_KeepsRowsColumnsAndOrder) {
  TempDir dir;
  // The example's score in the FMP layout, 10 % slower and 0.5 s late.
  const Score truth = io::read_score(kExample + "/score.csv");
  std::string fmp = "\"Start\";\"Duration\";\"Pitch\";\"Velocity\";\"Instrument\"\n";
  for (const Note& n : truth.notes())
    fmp += std::to_string(n.onset * 1.1 + 0.5) + ";" + std::to_string(n.duration * 1.1) + ";" + std::to_string(n.pitch) +
           ";0.8;\"" + n.label + "\"\n";
  test::write_bytes(dir.file("late.csv"), fmp);
  const CliRun r = notewise_cli("align " + kExample + "/mix.wav --score " + dir.file("late.csv") + " --out " + dir.file("a/aligned.csv"));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("normalised path cost"), std::string::npos);
  const std::string text = test::read_bytes(dir.file("a/aligned.csv"));
  // The columns are kept; a confidence column (0..1 per note) is added in the same layout, then
  // the per-voice refinement's confidence per note and per part, and each note's event-level onset.
  EXPECT_EQ(text.substr(0, text.find('\n')),
            "\"Start\";\"Duration\";\"Pitch\";\"Velocity\";\"Instrument\";\"confidence\";\"voice_confidence\";\"part_confidence\";"
            "\"event_onset\"");
  const Score aligned = io::read_score(dir.file("a/aligned.csv"));
  ASSERT_EQ(aligned.size(), truth.size());
  double mean = 0;
  for (std::size_t i = 0; i < truth.size(); ++i) {
    EXPECT_EQ(aligned.notes()[i].pitch, truth.notes()[i].pitch);
    EXPECT_EQ(aligned.notes()[i].label, truth.notes()[i].label);
    mean += std::abs(aligned.notes()[i].onset - truth.notes()[i].onset) / static_cast<double>(truth.size());
  }
  EXPECT_LT(mean, 0.02);
  // The warp is named after the aligned score, so that two pieces in one folder keep theirs.
  EXPECT_TRUE(std::filesystem::exists(dir.file("a/aligned.warp.csv")));
  ASSERT_EQ(notewise_cli("-q align " + kExample + "/mix.wav --score " + dir.file("late.csv") + " --out " + dir.file("a/second.csv")).code, 0);
  EXPECT_TRUE(std::filesystem::exists(dir.file("a/second.warp.csv")));
  std::istringstream rows(text);
  std::string row;
  std::getline(rows, row);
  int confident = 0, n = 0;
  while (std::getline(rows, row)) {
    std::vector<std::string> fields;
    std::istringstream cells(row);
    for (std::string cell; std::getline(cells, cell, ';');) fields.push_back(cell);
    ASSERT_EQ(fields.size(), 9u) << row;
    const std::vector<double> cols = {std::stod(fields[5]), std::stod(fields[6]), std::stod(fields[7])};  // confidence, voice, part
    for (double c : cols) {
      EXPECT_GE(c, 0.0);
      EXPECT_LE(c, 1.0);
    }
    // A piano's hands keep their event's time: the event onset is the onset, to the microsecond.
    EXPECT_NEAR(std::stod(fields[8]), std::stod(fields[0]), 1.5e-6) << row;
    confident += cols[0] > 0.5;
    ++n;
  }
  EXPECT_EQ(n, static_cast<int>(truth.size()));
  EXPECT_GT(confident, n / 2);
  // A .mid output: the same notes, one track per label.
  ASSERT_EQ(notewise_cli("-q align " + kExample + "/mix.wav --score " + dir.file("late.csv") + " --out " + dir.file("m/aligned.mid")).code, 0);
  const Score mid = io::read_score(dir.file("m/aligned.mid"));
  EXPECT_EQ(mid.size(), truth.size());
  EXPECT_EQ(mid.labels().size(), 2u);
}

TEST(Cli, Align_WrongScoreIsFlagged) {
  TempDir dir;
  const std::string wrong = std::string(NOTEWISE_FIXTURES) + "/scores/mozart_k545_1_score.csv";
  CliRun r = notewise_cli("align " + kExample + "/mix.wav --score " + wrong + " --out " + dir.file("a.csv"));
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.err.find("POOR"), std::string::npos) << r.err;
  r = notewise_cli("--force align " + kExample + "/mix.wav --score " + wrong + " --out " + dir.file("a.csv") + " --strict");
  EXPECT_EQ(r.code, 1);
  io::write_wav(dir.file("silence.wav"), MatrixXf::Zero(22050, 1), 22050);
  r = notewise_cli("align " + dir.file("silence.wav") + " --score " + kExample + "/score.csv --out " + dir.file("s/b.csv"));
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("silent"), std::string::npos);
}

TEST(Cli, Separate_WithAlign) {
  TempDir dir;
  const Score truth = io::read_score(kExample + "/score.csv");
  io::write_csv_score(dir.file("late.csv"), truth.warped(1.05, 0.7), false);
  const CliRun r = notewise_cli("-q separate " + kExample + "/mix.wav --score " + dir.file("late.csv") + " --align -n 10 --out " + dir.file("o"));
  ASSERT_EQ(r.code, 0) << r.err;
  const auto report = nlohmann::json::parse(read_text(dir.file("o/report.json")));
  EXPECT_TRUE(report.contains("alignment"));
  EXPECT_TRUE(report["alignment"].contains("mean_confidence"));
  EXPECT_FALSE(report["alignment"]["poor"].get<bool>());
  EXPECT_TRUE(std::filesystem::exists(dir.file("o/plots/warp.png")));
  // The aligned score beside the stems.
  const Score aligned = io::read_score(dir.file("o/aligned.csv"));
  ASSERT_EQ(aligned.size(), truth.size());
  double mean = 0;
  for (std::size_t i = 0; i < truth.size(); ++i) mean += std::abs(aligned.notes()[i].onset - truth.notes()[i].onset) / static_cast<double>(truth.size());
  EXPECT_LT(mean, 0.03);
}

// --align auto (the default) aligns a score that does not fit (and says so), and leaves one that fits as it is.
TEST(Cli, Separate_AlignAuto) {
  TempDir dir;
  const Score truth = io::read_score(kExample + "/score.csv");
  io::write_csv_score(dir.file("late.csv"), truth.warped(1.05, 0.7), false);
  CliRun r = notewise_cli("separate " + kExample + "/mix.wav --score " + dir.file("late.csv") +
                          " --align auto -n 5 --no-report --out " + dir.file("late"));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("does not fit " + kExample + "/mix.wav as given"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("aligned it"), std::string::npos) << r.err;
  auto report = nlohmann::json::parse(read_text(dir.file("late/report.json")));
  EXPECT_EQ(report["parameters"]["align_mode"], "auto");
  EXPECT_TRUE(report.contains("alignment"));
  const Score aligned = io::read_score(dir.file("late/aligned.csv"));
  ASSERT_EQ(aligned.size(), truth.size());
  double mean = 0;
  for (std::size_t i = 0; i < truth.size(); ++i) mean += std::abs(aligned.notes()[i].onset - truth.notes()[i].onset) / static_cast<double>(truth.size());
  EXPECT_LT(mean, 0.03);

  // The synchronised score: no alignment, no aligned.csv, the onsets used as written.
  r = notewise_cli("separate " + kExample + "/mix.wav --score " + kExample + "/score.csv --align=auto -n 5 --no-report --out " +
                   dir.file("given"));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("fits as given"), std::string::npos) << r.err;
  report = nlohmann::json::parse(read_text(dir.file("given/report.json")));
  EXPECT_FALSE(report.contains("alignment"));
  EXPECT_FALSE(std::filesystem::exists(dir.file("given/aligned.csv")));
  // Any other value is a usage error.
  EXPECT_EQ(notewise_cli("separate " + kExample + "/mix.wav --score " + kExample + "/score.csv --align=sometimes --out " +
                         dir.file("bad")).code, 2);
}

// A score of another piece matches the recording neither as given nor aligned: refused before
// anything is written, with the advice; --align=no uses it all the same.
TEST(Cli, Separate_ScoreThatMatchesNeitherWayIsRefused_AlignNoInsists) {
  TempDir dir;
  const std::string wrong = std::string(NOTEWISE_FIXTURES) + "/scores/mozart_k545_1_score.csv";
  CliRun r = notewise_cli("separate " + kExample + "/mix.wav --score " + wrong + " -n 2 --no-report --out " + dir.file("o"));
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_NE(r.err.find("notewise: error: " + wrong + " does not fit " + kExample + "/mix.wav as given"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("nor aligned (POOR"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("--align=no uses it as given"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir.file("o")));
  r = notewise_cli("decompose " + kExample + "/mix.wav --score " + wrong + " -n 2 --out " + dir.file("d"));
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir.file("d")));
  r = notewise_cli("separate " + kExample + "/mix.wav --score " + wrong + " --align=no -n 2 --no-report --out " + dir.file("o"));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("does not seem synchronised"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("used as given"), std::string::npos) << r.err;
  EXPECT_TRUE(std::filesystem::exists(dir.file("o/right.wav")));
  const auto report = nlohmann::json::parse(read_text(dir.file("o/report.json")));
  EXPECT_EQ(report["parameters"]["align_mode"], "no");
  EXPECT_FALSE(report["score_fit"]["fits"].get<bool>());
}

// A recording of an excerpt (the example's 6-16 s) and the whole score: align finds the span,
// writes only the notes the recording plays, at their onsets in the excerpt.
TEST(Cli, Align_ExcerptOfTheScore) {
  TempDir dir;
  const io::Audio audio = io::read_audio(kExample + "/mix.wav");
  const int sr = audio.sample_rate;
  io::write_wav(dir.file("excerpt.wav"), audio.samples.middleRows(6 * sr, 10 * sr), sr);
  const Score truth = io::read_score(kExample + "/score.csv");
  const CliRun r = notewise_cli("align " + dir.file("excerpt.wav") + " --score " + kExample + "/score.csv --out " + dir.file("a.csv"));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("the recording plays the score's"), std::string::npos) << r.err;
  const Score aligned = io::read_score(dir.file("a.csv"));
  std::size_t inside = 0;
  for (const Note& n : truth.notes()) inside += n.onset > 6.1 && n.onset < 15.9;
  EXPECT_GE(aligned.size(), inside);
  EXPECT_LE(aligned.size(), inside + 8);  // chords at the cuts
  // Each aligned note against the nearest true onset of its pitch in the excerpt's time.
  double mean = 0;
  for (const Note& a : aligned.notes()) {
    double best = 1e9;
    for (const Note& t : truth.notes())
      if (t.pitch == a.pitch) best = std::min(best, std::abs(a.onset - (t.onset - 6)));
    mean += best / static_cast<double>(aligned.size());
  }
  EXPECT_LT(mean, 0.03);
  const std::string warp = read_text(dir.file("a.warp.csv"));
  EXPECT_EQ(warp.rfind("score_s,audio_s\n", 0), 0u);
  EXPECT_GT(std::stod(warp.substr(warp.find('\n') + 1)), 5.5);  // the warp starts at the span, not at 0
}

TEST(Cli, Separate_WithAutoencoders) {
  TempDir dir;
  for (const char* method : {"nae-mu", "nae-pgd", "nae-relu"}) {
    const std::string out = dir.file(method);
    const CliRun r = notewise_cli("-q separate " + kExample + "/mix.wav --score " + kExample + "/score.csv --method " + method +
                                  " -n 5 --no-report --out " + out);
    ASSERT_EQ(r.code, 0) << r.err;
    const auto report = nlohmann::json::parse(read_text(out + "/report.json"));
    EXPECT_EQ(report["parameters"]["method"], method);
    EXPECT_EQ(report["nmf"]["loss"].size(), 5u);
    const io::Audio mix = io::read_audio(kExample + "/mix.wav");
    const MatrixXf sum = io::read_audio(out + "/left.wav").samples + io::read_audio(out + "/right.wav").samples;
    EXPECT_LE((sum - mix.samples).cwiseAbs().maxCoeff(), 3.0f / 32768);
  }
  EXPECT_EQ(notewise_cli("-q separate " + kExample + "/mix.wav --score " + kExample + "/score.csv --method nae --out " + dir.file("x")).code, 2);
}

TEST(Cli, NaeTrain_ThenSeparateWithTheModel) {
  TempDir dir;
  const std::string model = dir.file("model"), audio = kExample + "/mix.wav", score = kExample + "/score.csv";
  CliRun r = notewise_cli("-q nae train --audio " + audio + " --score " + score + " -n 5 --transpose 1 --out " + model);
  ASSERT_EQ(r.code, 0) << r.err;
  const auto header = nlohmann::json::parse(read_text(model + "/model.json"));
  EXPECT_EQ(header["format"], "notewise-nae-model");
  EXPECT_EQ(header["version"], 1);
  EXPECT_EQ(header["rows"]["count"], 176);
  EXPECT_EQ(header["training"]["pieces"].size(), 1u);
  EXPECT_EQ(io::read_npy(model + "/encoder.npy").rows(), 176);
  // Amortised separation: the forward pass alone, and with the default refinement.
  for (const std::string n : {"0", ""}) {
    const std::string out = dir.file("sep" + n);
    r = notewise_cli("-q separate " + audio + " --score " + score + " --model " + model + (n.empty() ? "" : " -n " + n) +
                     " --no-report --out " + out);
    ASSERT_EQ(r.code, 0) << r.err;
    const auto report = nlohmann::json::parse(read_text(out + "/report.json"));
    EXPECT_EQ(report["nmf"]["iterations"], n.empty() ? 10 : 0);
    EXPECT_EQ(report["parameters"]["model"], model);
    const io::Audio mix = io::read_audio(audio);
    const MatrixXf sum = io::read_audio(out + "/left.wav").samples + io::read_audio(out + "/right.wav").samples;
    EXPECT_LE((sum - mix.samples).cwiseAbs().maxCoeff(), 3.0f / 32768);
  }
  // The experimental deeper encoder: its layers are written and used.
  r = notewise_cli("-q nae train --audio " + audio + " --score " + score + " -n 2 --transpose 0 --deep-layers 2 --deep-width 8"
                   " --deep-epochs 2 --out " + dir.file("deep"));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(io::read_npy(dir.file("deep/hidden2.npy")).rows(), 8);
  EXPECT_EQ(io::read_npy(dir.file("deep/out.npy")).rows(), 176);
  r = notewise_cli("-q separate " + audio + " --score " + score + " --model " + dir.file("deep") + " -n 0 --no-report --out " + dir.file("sd"));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(std::filesystem::exists(dir.file("sd/left.wav")));
  // Usage errors: a model with an autoencoder method, a contradicting FFT size, unpaired inputs.
  EXPECT_EQ(notewise_cli("-q separate " + audio + " --score " + score + " --model " + model + " --method nae-mu --out " + dir.file("x")).code, 2);
  EXPECT_EQ(notewise_cli("-q separate " + audio + " --score " + score + " --model " + model + " --n-fft 1024 --out " + dir.file("x")).code, 2);
  EXPECT_EQ(notewise_cli("-q nae train --audio " + audio + " --audio " + audio + " --score " + score + " --out " + dir.file("m2")).code, 2);
  EXPECT_FALSE(std::filesystem::exists(dir.file("m2/model.json")));
  // A score below the piano: one line naming the score.
  test::write_bytes(dir.file("low.csv"), "start,duration,pitch,velocity,label\n0.1,0.5,10,90,left\n0.2,0.5,60,90,right\n");
  r = notewise_cli("-q separate " + audio + " --score " + dir.file("low.csv") + " --model " + model + " --out " + dir.file("z"));
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("low.csv"), std::string::npos) << r.err;
  EXPECT_EQ(lines(r.err), 1) << r.err;
  // A damaged model: one line naming the file, exit 1, nothing written.
  test::write_bytes(model + "/model.json", "{\"format\": \"notewise-nae-model\", \"version\": 7}");
  r = notewise_cli("-q separate " + audio + " --score " + score + " --model " + model + " --out " + dir.file("y"));
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("model.json"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("version 7"), std::string::npos) << r.err;
  EXPECT_EQ(lines(r.err), 1) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir.file("y/left.wav")));
}

// compare --reference scores every method's stems. The reference here is NMF's own separation
// with the same options, so NMF must score far higher than the autoencoders (their stems differ).
TEST(Cli, Compare_WithReferenceScoresEveryMethod) {
  TempDir dir;
  const std::string common = kExample + "/mix.wav --score " + kExample + "/score.csv -n 10 --loss kl";
  ASSERT_EQ(notewise_cli("-q separate " + common + " --nmf-path dense --no-report --format float32 --out " + dir.file("ref")).code, 0);
  const CliRun r = notewise_cli("compare " + common + " --reference " + dir.file("ref") + " --out " + dir.file("c"));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("mean SDR: nmf"), std::string::npos) << r.err;
  const auto scores = nlohmann::json::parse(read_text(dir.file("c/scores.json")));
  for (const char* m : {"nmf", "nae_pgd", "nae_mu", "nae_relu"}) {
    ASSERT_TRUE(scores.contains(m)) << m;
    EXPECT_TRUE(std::filesystem::exists(dir.file(std::string("c/") + m + "/left.wav"))) << m;
    EXPECT_EQ(scores[m]["stems"].size(), 2u) << m;
  }
  const double nmf = scores["nmf"]["mean_SDR"].get<double>();
  EXPECT_GT(nmf, 40.0);  // the same computation as the reference, up to float rounding
  for (const char* m : {"nae_pgd", "nae_mu", "nae_relu"}) EXPECT_LT(scores[m]["mean_SDR"].get<double>(), nmf - 10) << m;
  EXPECT_NE(read_text(dir.file("c/report.html")).find("Separation quality"), std::string::npos);
  // compare runs every method: no --method option.
  EXPECT_EQ(notewise_cli("compare " + common + " --method nmf --out " + dir.file("d")).code, 2);
}

// Progress on a pipe: a few plain lines per stage with stage k/n, counts, rate and elapsed<ETA,
// then "done in"; the report stage included; times with sensible precision.
TEST(Cli, Progress_StagesCountsRateEta) {
  TempDir dir;
  const CliRun r = notewise_cli("separate " + kExample + "/mix.wav --score " + kExample + "/score.csv -n 20 --out " + dir.file("o"));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(std::regex_search(r.err, std::regex(R"(decompose 2/4: 50% 10/20 it [0-9.]+ it/s \d\d:\d\d<\d\d:\d\d loss )"))) << r.err;
  for (const char* stage : {"load 1/4: done in ", "decompose 2/4: done in ", "resynthesise 3/4: done in ", "report 4/4: done in "})
    EXPECT_NE(r.err.find(stage), std::string::npos) << stage << "\n" << r.err;
  // The resynthesis clock starts with the resynthesis, not with the decomposition before it
  // (which takes over a second here): its ETA would be wrong.
  EXPECT_TRUE(std::regex_search(r.err, std::regex(R"(resynthesise 3/4: 0% 00:00<)"))) << r.err;
  // decompose shows its report phase too.
  const CliRun d = notewise_cli("decompose " + kExample + "/mix.wav --score " + kExample + "/score.csv -n 5 --out " + dir.file("d"));
  ASSERT_EQ(d.code, 0) << d.err;
  for (const char* stage : {"load 1/3: done in ", "decompose 2/3: done in ", "report 3/3: done in "})
    EXPECT_NE(d.err.find(stage), std::string::npos) << stage << "\n" << d.err;
  EXPECT_FALSE(std::regex_search(r.err, std::regex(R"(\d\.\d{4,} s)"))) << "times print with too many digits: " << r.err;
  int lines = 0;
  for (char c : r.err) lines += c == '\n';
  EXPECT_LT(lines, 30) << r.err;
}

// Mistyped commands and options get a guess, on one line, with exit 2.
TEST(Cli, Usage_DidYouMean) {
  CliRun r = notewise_cli("seperate x.wav");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("did you mean 'separate'?"), std::string::npos) << r.err;
  r = notewise_cli("separate x.wav --scroe s.mid --out o");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("did you mean '--score'?"), std::string::npos) << r.err;
  r = notewise_cli("nae trian");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("did you mean 'train'?"), std::string::npos) << r.err;
  r = notewise_cli("frobnicate");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("unknown command 'frobnicate'"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("did you mean"), std::string::npos) << r.err;
  for (const auto& e : {r.err}) EXPECT_EQ(std::count(e.begin(), e.end(), '\n'), 1) << e;
  // An unknown option before any command is named, not reported as a missing command.
  r = notewise_cli("--bogus");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("unknown option '--bogus'"), std::string::npos) << r.err;
  r = notewise_cli("--quiett separate");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("did you mean '--quiet'?"), std::string::npos) << r.err;
  // --align's optional value: a wrong one is named with the values it takes.
  r = notewise_cli("separate x.wav --score s.csv --out o --align maybe");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("--align takes auto, yes or no (or no value), not 'maybe'"), std::string::npos) << r.err;
}

TEST(Cli, Compare_LossOrderNmfThenMuThenPgd) {
  TempDir dir;
  const CliRun r = notewise_cli("-q compare " + kExample + "/mix.wav --score " + kExample + "/score.csv -n 30 --out " + dir.file("c"));
  ASSERT_EQ(r.code, 0) << r.err;
  std::ifstream csv(dir.file("c/loss.csv"));
  std::string line, last;
  int rows = 0;
  while (std::getline(csv, line)) {
    last = line;
    ++rows;
  }
  EXPECT_EQ(rows, 1 + 31);  // header, start, 30 epochs
  double epoch, nmf, pgd, mu;
  ASSERT_EQ(std::sscanf(last.c_str(), "%lf,%lf,%lf,%lf", &epoch, &nmf, &pgd, &mu), 4);
  EXPECT_LT(nmf, mu);  // an encoder with nonnegative weights cannot reach NMF's free activations
  EXPECT_LT(mu, pgd);
  EXPECT_TRUE(std::filesystem::exists(dir.file("c/loss.png")));
  EXPECT_TRUE(std::filesystem::exists(dir.file("c/report.html")));
}

// ---- issue #16: labels never collapse silently; groups as the user wrote them ------------

namespace {
// A Standard MIDI File of `score` (480 ticks per quarter, 120 bpm: 960 ticks per second):
// each note in track track_of(label) on channel channel_of(label); tracks named `names`.
std::string midi_of(const Score& score, int format, const std::vector<std::string>& names,
                    const std::function<int(const std::string&)>& track_of, const std::function<int(const std::string&)>& channel_of) {
  auto be = [](std::uint32_t v, int n) {
    std::string s;
    for (int i = n - 1; i >= 0; --i) s.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
    return s;
  };
  auto vlq = [](std::uint32_t v) {
    std::string s(1, static_cast<char>(v & 0x7f));
    while (v >>= 7) s.insert(s.begin(), static_cast<char>((v & 0x7f) | 0x80));
    return s;
  };
  std::string out = "MThd" + be(6, 4) + be(format, 2) + be(static_cast<std::uint32_t>(names.size()), 2) + be(480, 2);
  for (std::size_t t = 0; t < names.size(); ++t) {
    std::vector<std::tuple<std::uint32_t, int, std::string>> ev;  // tick, off-before-on, bytes
    for (const Note& n : score.notes()) {
      if (track_of(n.label) != static_cast<int>(t)) continue;
      const auto ch = static_cast<char>(channel_of(n.label));
      ev.emplace_back(static_cast<std::uint32_t>(std::lround(n.onset * 960)), 1,
                      std::string{static_cast<char>(0x90 | ch), static_cast<char>(n.pitch), 90});
      ev.emplace_back(static_cast<std::uint32_t>(std::lround(n.offset() * 960)), 0,
                      std::string{static_cast<char>(0x80 | ch), static_cast<char>(n.pitch), 0});
    }
    std::stable_sort(ev.begin(), ev.end(), [](const auto& a, const auto& b) {
      return std::get<0>(a) != std::get<0>(b) ? std::get<0>(a) < std::get<0>(b) : std::get<1>(a) < std::get<1>(b);
    });
    std::string body = std::string("\x00\xff\x03", 3) + vlq(static_cast<std::uint32_t>(names[t].size())) + names[t];
    std::uint32_t last = 0;
    for (const auto& [tick, order, bytes] : ev) {
      body += vlq(tick - last) + bytes;
      last = tick;
    }
    body += std::string("\x00\xff\x2f\x00", 4);
    out += "MTrk" + be(static_cast<std::uint32_t>(body.size()), 4) + body;
  }
  return out;
}
}  // namespace

TEST(Cli, Separate_TracksOfOneNameAndChannelsOfOneTrackGiveTwoStems) {
  TempDir dir;
  const Score score = io::read_score(kExample + "/score.csv");
  const auto hand = [](const std::string& l) { return l == "right" ? 0 : 1; };
  // A notation program's export: both staves' tracks named "Piano".
  test::write_bytes(dir.file("piano.mid"), midi_of(score, 1, {"Piano", "Piano"}, hand, [](const std::string&) { return 0; }));
  // A type-0 file: one track, the right hand on channel 0, the left on channel 1.
  test::write_bytes(dir.file("type0.mid"), midi_of(score, 0, {"Piano"}, [](const std::string&) { return 0; }, hand));
  const io::Audio mix = io::read_audio(kExample + "/mix.wav");
  for (const auto& [file, stems] : std::vector<std::pair<std::string, std::vector<std::string>>>{
           {"piano.mid", {"Piano", "Piano_2"}}, {"type0.mid", {"channel0", "channel1"}}}) {
    const CliRun r = notewise_cli("separate " + kExample + "/mix.wav --score " + dir.file(file) + " -n 10 --no-report --out " +
                                  dir.file(file + ".out"));
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.err.find("notewise: note: "), std::string::npos) << "the relabelling is announced: " << r.err;
    MatrixXf sum = MatrixXf::Zero(mix.frames(), 1);
    for (const auto& stem : stems) {
      const io::Audio a = io::read_audio(dir.file(file + ".out/" + stem + ".wav"));
      // Each stem is one hand, not the mix: well below the mix's energy.
      EXPECT_LT(a.samples.squaredNorm(), 0.8 * mix.samples.squaredNorm()) << file << " " << stem;
      EXPECT_GT(a.samples.squaredNorm(), 0.1 * mix.samples.squaredNorm()) << file << " " << stem;
      sum += a.samples;
    }
    EXPECT_LE((sum - mix.samples).cwiseAbs().maxCoeff(), 3.0f / 32768);
  }
  // Asked for one label by track, the run says it made one stem of a score with two channels.
  const CliRun one = notewise_cli("-q separate " + kExample + "/mix.wav --score " + dir.file("type0.mid") +
                                  " --label-by track -n 5 --no-report --out " + dir.file("one"));
  ASSERT_EQ(one.code, 0) << one.err;
  EXPECT_NE(one.err.find("warning: one group ('Piano')"), std::string::npos) << one.err;
  EXPECT_NE(one.err.find("--label-by channel"), std::string::npos) << one.err;
}

TEST(Cli, Separate_AutomaticRestAndLabelsAsWritten) {
  TempDir dir;
  // Labels as a notation program writes them; the left hand's has a ':' and a space.
  std::string csv = "start,duration,pitch,velocity,label\n";
  const Score example = io::read_score(kExample + "/score.csv");
  for (const Note& n : example.notes())
    csv += std::to_string(n.onset) + "," + std::to_string(n.duration) + "," + std::to_string(n.pitch) + ",90," +
           (n.label == "left" ? "lh: bass" : "rh:") + "\n";
  test::write_bytes(dir.file("s.csv"), csv);
  CliRun r = notewise_cli("separate " + kExample + "/mix.wav --score " + dir.file("s.csv") + " -n 5 --out " + dir.file("o") +
                          " --group 'high=pitch>=72'");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("go to the group 'rest'"), std::string::npos) << r.err;
  const auto report = nlohmann::json::parse(read_text(dir.file("o/report.json")));
  ASSERT_EQ(report["groups"].size(), 2u);
  EXPECT_EQ(report["groups"][1]["name"], "rest");
  EXPECT_TRUE(report["groups"][1]["automatic"].get<bool>());
  EXPECT_FALSE(report["groups"][0]["automatic"].get<bool>());
  EXPECT_TRUE(std::filesystem::exists(dir.file("o/rest.wav")));
  // Default groups keep the labels' characters in the reports; their files are made safe
  // (issue #41: ':' and ' ' -> '_'), in the report page too.
  r = notewise_cli("-q separate " + kExample + "/mix.wav --score " + dir.file("s.csv") + " -n 5 --out " + dir.file("p"));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(std::filesystem::exists(dir.file("p/lh__bass.wav")));
  EXPECT_TRUE(std::filesystem::exists(dir.file("p/rh_.wav")));
  EXPECT_TRUE(std::filesystem::exists(dir.file("p/plots/stem_lh__bass.png")));
  EXPECT_NE(read_text(dir.file("p/report.html")).find("src=\"lh__bass.wav\""), std::string::npos);
  EXPECT_EQ(nlohmann::json::parse(read_text(dir.file("p/report.json")))["groups"][0]["name"], "rh:");
  // --gain takes the label as written; --mute selects it bare.
  r = notewise_cli("-q edit " + kExample + "/mix.wav --score " + dir.file("s.csv") + " -n 5 --gain 'lh: bass=-12dB' --out " +
                   dir.file("e.wav"));
  ASSERT_EQ(r.code, 0) << r.err;
  r = notewise_cli("-q edit " + kExample + "/mix.wav --score " + dir.file("s.csv") + " -n 5 --mute 'label==rh:' --out " +
                   dir.file("m.wav"));
  ASSERT_EQ(r.code, 0) << r.err;
  // A mute that matches nothing names the option, not an internal group.
  r = notewise_cli("-q edit " + kExample + "/mix.wav --score " + dir.file("s.csv") + " --mute 'pitch==20' --out " + dir.file("x.wav"));
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("--mute 'pitch==20' matches no note"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("(muted)"), std::string::npos) << r.err;
}

// ---- issue #16: audio out as asked ---------------------------------------------------------

TEST(Cli, Edit_FormatFollowsTheExtension_FlacRoundTrip) {
  TempDir dir;
  const std::string base = "-q edit " + kExample + "/mix.wav --score " + kExample + "/score.csv -n 5 --gain left=0dB --out ";
  ASSERT_EQ(notewise_cli(base + dir.file("same.flac")).code, 0);
  ASSERT_EQ(notewise_cli(base + dir.file("same.wav")).code, 0);
  // A FLAC file, not a WAV under that name; the same samples as the WAV edit (both 16-bit).
  EXPECT_EQ(test::read_bytes(dir.file("same.flac")).substr(0, 4), "fLaC");
  const io::Audio flac = io::read_audio(dir.file("same.flac")), wav = io::read_audio(dir.file("same.wav"));
  const io::Audio mix = io::read_audio(kExample + "/mix.wav");
  EXPECT_EQ(flac.sample_rate, mix.sample_rate);
  ASSERT_EQ(flac.frames(), mix.frames());
  // (Two runs: the multithreaded NMF may differ in the last bits, so one 16-bit step apart.)
  EXPECT_LE((flac.samples - wav.samples).cwiseAbs().maxCoeff(), 1.0f / 32768 + 1e-7f);
  EXPECT_LE((flac.samples - mix.samples).cwiseAbs().maxCoeff(), 2.0f / 32768);  // unit gains give the input
  // The lossy formats: the container asked for, the input's length (Opus at 24 kHz, the
  // next rate it has above the input's 22.05 kHz).
  const std::pair<std::string, std::string> magic[] = {{"ogg", "OggS"}, {"opus", "OggS"}, {"aiff", "FORM"}};
  for (const auto& [ext, head] : magic) {
    ASSERT_EQ(notewise_cli(base + dir.file("x." + ext)).code, 0) << ext;
    EXPECT_EQ(test::read_bytes(dir.file("x." + ext)).substr(0, 4), head) << ext;
    const io::Audio a = io::read_audio(dir.file("x." + ext));
    EXPECT_NEAR(a.seconds(), mix.seconds(), 0.01) << ext;
  }
  EXPECT_EQ(io::read_audio(dir.file("x.opus")).sample_rate, 24000);
  ASSERT_EQ(notewise_cli(base + dir.file("x.mp3") + " --quality 3").code, 0);
  EXPECT_NEAR(io::read_audio(dir.file("x.mp3")).seconds(), mix.seconds(), 0.1);
  // Unknown extensions and impossible encodings are usage errors, before any work.
  for (const std::string& bad : {dir.file("x.xyz"), dir.file("noext"), dir.file("y.flac") + " --format float32",
                                 dir.file("y.mp3") + " --format pcm24", dir.file("y.wav") + " --quality 5"}) {
    const CliRun r = notewise_cli(base + bad);
    EXPECT_EQ(r.code, 2) << bad << ": " << r.err;
    EXPECT_EQ(lines(r.err), 1) << r.err;
  }
  EXPECT_FALSE(std::filesystem::exists(dir.file("y.flac")));
}

TEST(Cli, Separate_StemFormatsAndReferenceCheckedFirst) {
  TempDir dir;
  const std::string base = "-q separate " + kExample + "/mix.wav --score " + kExample + "/score.csv -n 5 --no-report ";
  ASSERT_EQ(notewise_cli(base + "--out " + dir.file("wav")).code, 0);
  ASSERT_EQ(notewise_cli(base + "--ext flac --format pcm24 --out " + dir.file("flac")).code, 0);
  // FLAC stems hold the WAV stems' samples (24-bit: within 2^-23 of the 16-bit ones... plus
  // the 16-bit rounding of the WAV).
  for (const char* stem : {"left", "right"}) {
    const io::Audio f = io::read_audio(dir.file(std::string("flac/") + stem + ".flac"));
    const io::Audio w = io::read_audio(dir.file(std::string("wav/") + stem + ".wav"));
    EXPECT_LE((f.samples - w.samples).cwiseAbs().maxCoeff(), 1.0f / 32768 + 1e-6f) << stem;
  }
  const auto report = nlohmann::json::parse(read_text(dir.file("flac/report.json")));
  EXPECT_EQ(report["groups"][0]["file"], "right.flac");
  EXPECT_EQ(report["stems"]["format"], "flac");
  EXPECT_EQ(notewise_cli(base + "--ext xyz --out " + dir.file("x")).code, 2);
  // --reference with FLAC stems scores the run; a reference lacking a stem fails before any
  // work: no "read <audio>" line, no progress, nothing written.
  CliRun r = notewise_cli(base + "--ext mp3 --reference " + dir.file("flac") + " --out " + dir.file("mp3"));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_GT(nlohmann::json::parse(read_text(dir.file("mp3/report.json")))["scores"]["mean_SDR"].get<double>(), 15.0);
  std::filesystem::remove(dir.file("flac/left.flac"));
  r = notewise_cli("separate " + kExample + "/mix.wav --score " + kExample + "/score.csv --reference " + dir.file("flac") +
                   " --out " + dir.file("y"));
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(lines(r.err), 1) << r.err;
  EXPECT_NE(r.err.find("left.wav"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("decompose"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir.file("y")));
}

TEST(Cli, Eval_FlacReferencesGiveTheWavResult) {
  TempDir dir;
  const std::string fixtures = NOTEWISE_FIXTURES "/eval/";
  for (const char* d : {"ref_wav", "est_wav", "ref_flac", "est_flac"}) std::filesystem::create_directories(dir.file(d));
  for (const char* s : {"left", "right"})
    for (const char* kind : {"ref", "est"}) {
      const io::Audio a = io::read_audio(fixtures + "mozart_k545_1_" + kind + "_" + s + ".wav");
      io::write_wav(dir.file(std::string(kind) + "_wav/" + s + ".wav"), a.samples, a.sample_rate);
      io::Encoding flac;
      flac.format = io::FileFormat::Flac;
      io::write_audio(dir.file(std::string(kind) + "_flac/" + s + ".flac"), a.samples, a.sample_rate, flac);
    }
  const auto scores = [&](const std::string& ref, const std::string& est) {
    const std::string out = dir.file(ref + est + ".json");
    EXPECT_EQ(std::system((std::string(NOTEWISE_BINARY) + " eval --reference " + dir.file(ref) + " --estimate " + dir.file(est) +
                           " --json > " + out).c_str()), 0);
    return nlohmann::json::parse(read_text(out));
  };
  const auto wav = scores("ref_wav", "est_wav");
  EXPECT_EQ(scores("ref_flac", "est_wav"), wav);   // the same numbers, exactly
  EXPECT_EQ(scores("ref_flac", "est_flac"), wav);
  EXPECT_TRUE(wav["stems"].contains("left"));
}

// ---- issue #16: MusicXML -------------------------------------------------------------------

TEST(Cli, Separate_MusicXmlIsAlignedByDefault) {
  TempDir dir;
  // The example's score as MuseScore 3 exports it (.mxl): two parts named after the hands.
  const std::string mxl = std::string(NOTEWISE_FIXTURES) + "/scores/musicxml/chopin_op64_1.mxl";
  CliRun r = notewise_cli("separate " + kExample + "/mix.wav --score " + mxl + " -n 10 --no-report --out " + dir.file("o"));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("is MusicXML"), std::string::npos) << "the alignment is announced: " << r.err;
  EXPECT_NE(r.err.find("aligned the score"), std::string::npos) << r.err;
  const auto report = nlohmann::json::parse(read_text(dir.file("o/report.json")));
  EXPECT_TRUE(report.contains("alignment"));
  const io::Audio mix = io::read_audio(kExample + "/mix.wav");
  MatrixXf sum = MatrixXf::Zero(mix.frames(), 1);
  for (const char* stem : {"Grand_Piano__right", "Grand_Piano__left"}) {  // the parts' names made safe (issue #41)
    const io::Audio a = io::read_audio(dir.file(std::string("o/") + stem + ".wav"));
    EXPECT_LT(a.samples.squaredNorm(), 0.8 * mix.samples.squaredNorm()) << stem;
    sum += a.samples;
  }
  EXPECT_LE((sum - mix.samples).cwiseAbs().maxCoeff(), 3.0f / 32768);
  // The aligned score beside the stems, its labels (with a comma) quoted; onsets near the truth.
  const Score aligned = io::read_score(dir.file("o/aligned.csv"));
  EXPECT_EQ(aligned.labels().size(), 2u);
  const Score truth = io::read_score(kExample + "/score.csv");
  std::vector<double> a_on, t_on;
  for (const Note& n : aligned.notes()) a_on.push_back(n.onset);
  for (const Note& n : truth.notes()) t_on.push_back(n.onset);
  double err = 0;
  for (double t : a_on) {  // each aligned onset's distance to the nearest true onset
    const auto it = std::lower_bound(t_on.begin(), t_on.end(), t);
    double d = 1e9;
    if (it != t_on.end()) d = std::min(d, *it - t);
    if (it != t_on.begin()) d = std::min(d, t - *(it - 1));
    err += d / static_cast<double>(a_on.size());
  }
  EXPECT_LT(err, 0.03);
  // --align=no keeps the score's own times: no alignment, no aligned.csv.
  r = notewise_cli("-q separate " + kExample + "/mix.wav --score " + mxl + " --align=no -n 5 --no-report --out " + dir.file("p"));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir.file("p/aligned.csv")));
  // By staff: MuseScore wrote the right hand's part on two staves (a few cross-staff notes).
  r = notewise_cli("-q separate " + kExample + "/mix.wav --score " + mxl + " --label-by staff --align=no -n 5 --no-report --out " +
                   dir.file("s"));
  ASSERT_EQ(r.code, 0) << r.err;
  for (const char* stem : {"Grand_Piano__left", "Grand_Piano__right_staff_1", "Grand_Piano__right_staff_2"})
    EXPECT_TRUE(std::filesystem::exists(dir.file(std::string("s/") + stem + ".wav"))) << stem;
}

// ---- issue #41: safe stem names, --force over an old run, help and usage --------------------

namespace {
// Two seconds of two tones (220 Hz and 330 Hz, both 0.2 .. 1.8 s) at 22.05 kHz, and a CSV score
// of them labelled `a` and `b`.
void two_tones(TempDir& dir, const std::string& a, const std::string& b, const std::string& csv = "s.csv") {
  const int rate = 22050;
  MatrixXf x(2 * rate, 1);
  for (Index i = 0; i < x.rows(); ++i) {
    const double t = static_cast<double>(i) / rate;
    const double on = t > 0.2 && t < 1.8 ? 0.2 : 0.0;
    x(i, 0) = static_cast<float>(on * (std::sin(2 * 3.14159265 * 220.0 * t) + std::sin(2 * 3.14159265 * 329.63 * t)));
  }
  if (!std::filesystem::exists(dir.file("mix.wav"))) io::write_wav(dir.file("mix.wav"), x, rate, io::SampleFormat::Float32);
  const auto quoted = [](const std::string& l) { return "\"" + l + "\""; };
  test::write_bytes(dir.file(csv), "start,duration,pitch,velocity,label\n0.2,1.6,57,100," + quoted(a) + "\n0.2,1.6,64,100," +
                                       quoted(b) + "\n");
}
std::set<std::string> names_in(const std::string& folder) {
  std::set<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(folder)) out.insert(e.path().filename().string());
  return out;
}
int occurrences(const std::string& text, const std::string& what) {
  int n = 0;
  for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}
}  // namespace

TEST(Cli, StemNames_MidiTrackNamesAndCsvLabelsGiveSafeFiles) {
  TempDir dir;
  two_tones(dir, "Grand Piano, right", "Grand Piano, left");
  // The Mutopia MIDI's track names: "rh:" and "lh:".
  const Score score = io::read_score(dir.file("s.csv"));
  test::write_bytes(dir.file("hands.mid"), midi_of(score, 1, {"rh:", "lh:"},
                                                   [](const std::string& l) { return l == "Grand Piano, right" ? 0 : 1; },
                                                   [](const std::string&) { return 0; }));
  const std::string base = "-q separate " + dir.file("mix.wav") + " -n 3 --no-report --score ";
  CliRun r = notewise_cli(base + dir.file("hands.mid") + " --out " + dir.file("midi"));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(names_in(dir.file("midi")).count("rh_.wav")) << r.err;
  EXPECT_TRUE(names_in(dir.file("midi")).count("lh_.wav"));
  r = notewise_cli(base + dir.file("s.csv") + " --out " + dir.file("csv"));
  ASSERT_EQ(r.code, 0) << r.err;
  for (const auto& n : names_in(dir.file("csv")))
    EXPECT_EQ(n.find_first_of(" :,"), std::string::npos) << "unsafe file name: " << n;
  // The labels stay as written; report.json and index.json say which file holds which.
  const auto report = nlohmann::json::parse(read_text(dir.file("csv/report.json")));
  const auto index = nlohmann::json::parse(read_text(dir.file("csv/index.json")));
  ASSERT_EQ(report["groups"].size(), 2u);
  ASSERT_EQ(index["groups"].size(), 2u);
  for (std::size_t k = 0; k < 2; ++k) {
    const std::string name = k == 0 ? "Grand Piano, right" : "Grand Piano, left";
    const std::string file = k == 0 ? "Grand_Piano__right.wav" : "Grand_Piano__left.wav";
    EXPECT_EQ(report["groups"][k]["name"], name);
    EXPECT_EQ(report["groups"][k]["file"], file);
    EXPECT_EQ(index["groups"][k]["name"], name);
    EXPECT_EQ(index["groups"][k]["file"], file);
    EXPECT_TRUE(std::filesystem::exists(dir.file("csv/" + file))) << file;
  }
  // --keep-spaces keeps the spaces (and still replaces the comma).
  r = notewise_cli(base + dir.file("s.csv") + " --keep-spaces --out " + dir.file("spaces"));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(std::filesystem::exists(dir.file("spaces/Grand Piano_ right.wav")));
  // --gain takes the label as written.
  r = notewise_cli("-q edit " + dir.file("mix.wav") + " --score " + dir.file("s.csv") + " -n 3 --gain 'Grand Piano, left=-6dB' --out " +
                   dir.file("e.wav"));
  EXPECT_EQ(r.code, 0) << r.err;
}

TEST(Cli, StemNames_CollisionsAndTemplates) {
  TempDir dir;
  two_tones(dir, "a:b", "a,b");
  const std::string base = "separate " + dir.file("mix.wav") + " --score " + dir.file("s.csv") + " -n 3 --no-report ";
  CliRun r = notewise_cli(base + "--out " + dir.file("o"));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(std::filesystem::exists(dir.file("o/a_b.wav")));
  EXPECT_TRUE(std::filesystem::exists(dir.file("o/a_b-2.wav")));
  EXPECT_EQ(occurrences(r.err, "a,b -> a_b-2"), 1) << "reported once: " << r.err;
  const auto report = nlohmann::json::parse(read_text(dir.file("o/report.json")));
  EXPECT_EQ(report["groups"][1]["name"], "a,b");
  EXPECT_EQ(report["groups"][1]["file"], "a_b-2.wav");
  // A template: the index tells them apart, so nothing is renamed; --ext fills {ext}.
  r = notewise_cli(base + "--filename '{index}-{label}.{ext}' --ext flac --out " + dir.file("t"));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(std::filesystem::exists(dir.file("t/1-a_b.flac")));
  EXPECT_TRUE(std::filesystem::exists(dir.file("t/2-a_b.flac")));
  EXPECT_EQ(r.err.find("a_b-2"), std::string::npos) << r.err;
  // Templates that leave the folder or cannot tell the groups apart: usage errors, nothing made.
  for (const char* bad : {"../{label}.{ext}", "/tmp/{label}.{ext}", "stem.{ext}", "{label}", "{name}.{ext}"}) {
    r = notewise_cli(base + "--filename '" + bad + "' --out " + dir.file("bad"));
    EXPECT_EQ(r.code, 2) << bad << ": " << r.err;
    EXPECT_EQ(lines(r.err), 1) << r.err;
    EXPECT_NE(r.err.find("file-name template"), std::string::npos) << r.err;
    EXPECT_FALSE(std::filesystem::exists(dir.file("bad"))) << bad;
  }
}

TEST(Cli, Force_RemovesTheOldRunsOutputsOnly) {
  TempDir dir;
  two_tones(dir, "a", "b");
  two_tones(dir, "a", "c", "s2.csv");
  const std::string base = "-q separate " + dir.file("mix.wav") + " -n 3 --out " + dir.file("o") + " --score ";
  ASSERT_EQ(notewise_cli(base + dir.file("s.csv")).code, 0);
  ASSERT_TRUE(std::filesystem::exists(dir.file("o/report.html")));
  ASSERT_TRUE(std::filesystem::is_directory(dir.file("o/plots")));
  // The user's own files in the folder, one in plots/; and a manifest edited to reach outside.
  test::write_bytes(dir.file("o/notes.txt"), "mine");
  test::write_bytes(dir.file("o/plots/mine.png"), "mine");
  test::write_bytes(dir.file("outside.txt"), "mine");
  {
    std::ofstream m(dir.file("o/.notewise.outputs"), std::ios::app);
    m << "../outside.txt\n" << dir.file("outside.txt") << "\n";
  }
  // Without --force: refused, nothing changed.
  CliRun r = notewise_cli(base + dir.file("s2.csv") + " --no-report");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("exists already"), std::string::npos) << r.err;
  r = notewise_cli("--force " + base + dir.file("s2.csv") + " --no-report");
  ASSERT_EQ(r.code, 0) << r.err;
  const std::set<std::string> now = names_in(dir.file("o"));
  for (const char* gone : {"report.html", "report", "b.wav"}) EXPECT_FALSE(now.count(gone)) << gone;
  for (const char* kept : {"a.wav", "c.wav", "report.json", "W.npy", "notes.txt", "plots", ".notewise.outputs"})
    EXPECT_TRUE(now.count(kept)) << kept;
  EXPECT_EQ(names_in(dir.file("o/plots")), (std::set<std::string>{"mine.png"}));  // only notewise's figures went
  EXPECT_TRUE(std::filesystem::exists(dir.file("outside.txt")));
  // The new manifest lists what this run wrote.
  const std::string manifest = read_text(dir.file("o/.notewise.outputs"));
  EXPECT_NE(manifest.find("\nc.wav\n"), std::string::npos) << manifest;
  EXPECT_EQ(manifest.find("b.wav"), std::string::npos) << manifest;
  EXPECT_EQ(manifest.find("outside"), std::string::npos) << manifest;
  // A run without --force beside an earlier one (no file in common) keeps that run's entries, so a
  // later --force run still knows them.
  std::filesystem::create_directories(dir.file("s"));
  test::write_bytes(dir.file("s/old.txt"), "an earlier run's output");
  test::write_bytes(dir.file("s/.notewise.outputs"), "notewise outputs 1\nold.txt\n");
  ASSERT_EQ(notewise_cli("-q spectrogram " + dir.file("mix.wav") + " --out " + dir.file("s")).code, 0);
  EXPECT_TRUE(std::filesystem::exists(dir.file("s/old.txt")));
  EXPECT_NE(read_text(dir.file("s/.notewise.outputs")).find("\nold.txt\n"), std::string::npos);
  ASSERT_EQ(notewise_cli("-q --force spectrogram " + dir.file("mix.wav") + " --out " + dir.file("s")).code, 0);
  EXPECT_FALSE(std::filesystem::exists(dir.file("s/old.txt")));
  EXPECT_TRUE(std::filesystem::exists(dir.file("s/V.npy")));
}

namespace {
// What the program writes on stdout for `args` (its help); exit status 0 asserted.
std::string stdout_of(const std::string& args) {
  TempDir scratch;
  const int status = std::system((std::string(NOTEWISE_BINARY) + " " + args + " > " + scratch.file("out.txt")).c_str());
  EXPECT_EQ(status, 0) << args;
  return test::read_bytes(scratch.file("out.txt"));
}
}  // namespace

TEST(Cli, Help_ShortSeparateAllWithHelpAll) {
  const std::string h = stdout_of("separate --help");
  EXPECT_LE(lines(h), 40) << h;
  for (const char* common : {"--out", "--score", "--ext", "--group", "--help-all"}) EXPECT_NE(h.find(common), std::string::npos) << common;
  const std::string all = stdout_of("separate --help-all");
  EXPECT_GT(lines(all), lines(h));
  for (const char* every : {"--filename", "--keep-spaces", "--quality", "--no-mix-copy", "--drums", "--reference"})
    EXPECT_NE(all.find(every), std::string::npos) << every;
  // The --quality sentence ends (it used to stop at "resampled to the next").
  const std::string flat = std::regex_replace(all, std::regex(R"(\s+)"), " ");
  EXPECT_NE(flat.find("resampled to the next of these above it (48 kHz above the highest)"), std::string::npos) << flat;
  EXPECT_NE(stdout_of("align --help").find("MusicXML"), std::string::npos);
}

TEST(Cli, Usage_BareCommandListsTheCommands) {
  const CliRun r = notewise_cli("");
  EXPECT_EQ(r.code, 2);
  for (const char* c : {"separate", "decompose", "edit", "align", "drums", "batch", "factorize"})
    EXPECT_TRUE(std::regex_search(r.err, std::regex(std::string("\n  ") + c + " +[A-Z][^\n]+\n"))) << c << ":\n" << r.err;
  EXPECT_NE(r.err.find("a command is required"), std::string::npos) << r.err;
  const CliRun nae = notewise_cli("nae");
  EXPECT_EQ(nae.code, 2);
  EXPECT_NE(nae.err.find("\n  train "), std::string::npos) << nae.err;
}

TEST(Cli, Usage_GainWithoutUnitSuggestsDecibels) {
  const CliRun r = notewise_cli("edit " + kExample + "/mix.wav --score " + kExample + "/score.csv --gain left=-6 --out x.wav");
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(lines(r.err), 1) << r.err;
  EXPECT_NE(r.err.find("use -6dB for decibels"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists("x.wav"));
}

// "exists already" comes before the audio is read: the audio here is not audio at all, so any
// command that read it first would fail on it instead.
TEST(Cli, ExistsAlready_BeforeTheAudioIsRead) {
  TempDir dir;
  test::write_bytes(dir.file("text.wav"), "not audio\n");
  test::write_bytes(dir.file("s.csv"), "start,duration,pitch,velocity,label\n0.1,0.5,60,100,a\n");
  test::write_bytes(dir.file("d.csv"), "start,duration,pitch,velocity,label\n0.1,0.5,36,100,drums\n");
  test::write_bytes(dir.file("V.npy"), "not npy\n");
  for (const char* folder : {"sep", "stem", "dec", "drm", "spec", "fac", "cmp", "nae"}) std::filesystem::create_directories(dir.file(folder));
  for (const char* f : {"sep/report.json", "stem/a.wav", "dec/W.npy", "drm/report.json", "spec/V.npy", "fac/W.npy", "cmp/loss.csv",
                        "nae/model.json", "e.wav", "al.csv", "m.wav"})
    test::write_bytes(dir.file(f), "old");
  const std::string a = dir.file("text.wav"), s = " --score " + dir.file("s.csv");
  for (const std::string& args :
       {"separate " + a + s + " --out " + dir.file("sep"), "separate " + a + s + " --out " + dir.file("stem"),
        "decompose " + a + s + " --out " + dir.file("dec"), "edit " + a + s + " --gain a=-6dB --out " + dir.file("e.wav"),
        "align " + a + s + " --out " + dir.file("al.csv"), "drums " + a + " --score " + dir.file("d.csv") + " --out " + dir.file("drm"),
        "mosaic " + a + " --source " + a + " --out " + dir.file("m.wav"), "spectrogram " + a + " --out " + dir.file("spec"),
        "factorize " + dir.file("V.npy") + " --rank 2 --out " + dir.file("fac"), "compare " + a + s + " --out " + dir.file("cmp"),
        "nae train --audio " + a + s + " --out " + dir.file("nae")}) {
    const CliRun r = notewise_cli("-q " + args);
    EXPECT_EQ(r.code, 1) << args;
    EXPECT_NE(r.err.find("exists already"), std::string::npos) << args << ": " << r.err;
  }
}
