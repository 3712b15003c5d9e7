// End-to-end tests: run the real binary as a user would, check exit codes, messages and files.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "notewise/io/audio.hpp"
#include "notewise/io/npy.hpp"
#include "test_util.hpp"

using namespace notewise;
using notewise::test::TempDir;

namespace {
struct CliRun {
  int code;
  std::string err;  // stderr (stdout is discarded)
};

CliRun notewise_cli(const std::string& args) {
  TempDir scratch;
  const std::string err_file = scratch.file("stderr.txt");
  const std::string cmd = std::string(NOTEWISE_BINARY) + " " + args + " >/dev/null 2>" + err_file + " </dev/null";
  const int status = std::system(cmd.c_str());
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, test::read_bytes(err_file)};
}

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

TEST(Cli, UsageErrorsExitTwo) {
  EXPECT_EQ(notewise_cli("").code, 2);
  EXPECT_EQ(notewise_cli("no-such-command").code, 2);
  EXPECT_EQ(notewise_cli("spectrogram").code, 2);
  TempDir dir;
  EXPECT_EQ(notewise_cli("spectrogram " + kExample + "/mix.wav --out " + dir.file("o") + " --hop 0").code, 2);
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
  EXPECT_EQ(V.rows(), 1025);
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
