// notewise live end to end (issue #36): a file and standard input, the streaming contract's
// end state, practice mixes, bad input. Signals generated here.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "notewise/io/audio.hpp"
#include "test_util.hpp"

using namespace notewise;
using notewise::test::CliRun;
using notewise::test::notewise_cli;
using notewise::test::TempDir;

namespace {
constexpr int kRate = 22050;

// Two voices of harmonic tones, as the score says (high: quarter notes, low: half notes).
void write_piece(const TempDir& dir) {
  std::ofstream csv(dir.file("score.csv"));
  csv << "start,duration,pitch,velocity,label\n";
  const int high[] = {72, 74, 76, 77, 79, 77, 76, 74}, low[] = {48, 53, 55, 48};
  const Index n = static_cast<Index>(4.6 * kRate);
  VectorXf x = VectorXf::Zero(n);
  const auto tone = [&](double on, double dur, int pitch, double amp) {
    const double f0 = 440 * std::pow(2.0, (pitch - 69) / 12.0);
    for (Index i = static_cast<Index>(on * kRate); i < std::min<Index>(n, static_cast<Index>((on + dur) * kRate)); ++i) {
      const double t = i / double(kRate) - on;
      double s = 0;
      for (int m = 1; m <= 6 && m * f0 < kRate / 2; ++m) s += std::sin(2 * M_PI * m * f0 * t) / m;
      x[i] += static_cast<float>(amp * std::min(1.0, t / 0.01) * std::exp(-t) * s);
    }
  };
  for (int i = 0; i < 8; ++i) {
    csv << 0.3 + 0.5 * i << ",0.45," << high[i] << ",90,high\n";
    tone(0.3 + 0.5 * i, 0.45, high[i], 0.15);
  }
  for (int i = 0; i < 4; ++i) {
    csv << 0.3 + 1.0 * i << ",0.95," << low[i] << ",90,low\n";
    tone(0.3 + 1.0 * i, 0.95, low[i], 0.15);
  }
  io::write_wav(dir.file("mix.wav"), x, kRate, io::SampleFormat::Float32);
  // The same samples as raw float32 (little-endian, as this machine's floats).
  std::ofstream raw(dir.file("mix.f32"), std::ios::binary);
  raw.write(reinterpret_cast<const char*>(x.data()), static_cast<std::streamsize>(sizeof(float) * x.size()));
}

int run_shell(const std::string& cmd) {
  const int status = std::system(cmd.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int lines(const std::string& s) { return static_cast<int>(std::count(s.begin(), s.end(), '\n')); }
}  // namespace

TEST(CliLive, FileAndStandardInput_StemsSumToTheMixAndTheMixesAreTheirSums) {
  TempDir dir;
  write_piece(dir);
  const CliRun r = notewise_cli("-q live " + dir.file("mix.wav") + " --score " + dir.file("score.csv") + " --out " +
                                dir.file("out") + " --minus high --only low");
  ASSERT_EQ(r.code, 0) << r.err;
  for (const char* f : {"high.wav", "low.wav", "minus-high.wav", "only-low.wav", "aligned.csv"})
    EXPECT_TRUE(std::filesystem::exists(dir.file(std::string("out/") + f))) << f;
  for (const auto& e : std::filesystem::directory_iterator(dir.file("out")))
    EXPECT_NE(e.path().extension(), ".part") << e.path();  // the contract's end state: renamed
  const io::Audio mix = io::read_audio(dir.file("mix.wav"));
  const io::Audio high = io::read_audio(dir.file("out/high.wav")), low = io::read_audio(dir.file("out/low.wav"));
  ASSERT_EQ(high.frames(), mix.frames());  // the latency taken off: the stems line up with the input
  ASSERT_EQ(low.frames(), mix.frames());
  EXPECT_LT((high.samples + low.samples - mix.samples).cwiseAbs().maxCoeff(), 1e-5f);
  EXPECT_GT(high.samples.cwiseAbs().maxCoeff(), 0.05f);
  EXPECT_GT(low.samples.cwiseAbs().maxCoeff(), 0.05f);
  EXPECT_TRUE(io::read_audio(dir.file("out/minus-high.wav")).samples == low.samples);
  EXPECT_TRUE(io::read_audio(dir.file("out/only-low.wav")).samples == low.samples);
  // aligned.csv: align's columns (the score's plus confidence), one row per note in its order.
  std::ifstream a(dir.file("out/aligned.csv"));
  std::string header, line;
  std::getline(a, header);
  EXPECT_EQ(header, "start,duration,pitch,velocity,label,confidence");
  int rows = 0;
  double first = -1;
  while (std::getline(a, line))
    if (!line.empty() && ++rows == 1) first = std::stod(line);
  EXPECT_EQ(rows, 12);
  EXPECT_NEAR(first, 0.3, 0.1);  // the first note's onset as the follower gave it

  // Standard input, raw float32: the same samples give the same stems, bit for bit.
  const int code = run_shell("cat " + dir.file("mix.f32") + " | " + NOTEWISE_BINARY + " -q live - --rate 22050 --channels 1 --score " +
                             dir.file("score.csv") + " --out " + dir.file("raw") + " 2>" + dir.file("err.txt"));
  ASSERT_EQ(code, 0) << test::read_bytes(dir.file("err.txt"));
  EXPECT_TRUE(io::read_audio(dir.file("raw/high.wav")).samples == high.samples);
  // Standard input, WAV.
  ASSERT_EQ(run_shell("cat " + dir.file("mix.wav") + " | " + NOTEWISE_BINARY + " -q live - --score " + dir.file("score.csv") +
                      " --out " + dir.file("wav") + " 2>" + dir.file("err.txt")),
            0)
      << test::read_bytes(dir.file("err.txt"));
  EXPECT_TRUE(io::read_audio(dir.file("wav/low.wav")).samples == low.samples);
}

TEST(CliLive, BadInput) {
  TempDir dir;
  write_piece(dir);
  const std::string score = " --score " + dir.file("score.csv");
  const CliRun missing = notewise_cli("-q live " + dir.file("none.wav") + score + " --out " + dir.file("o1"));
  EXPECT_EQ(missing.code, 1);
  EXPECT_EQ(lines(missing.err), 1) << missing.err;
  EXPECT_NE(missing.err.find("none.wav"), std::string::npos) << missing.err;
  EXPECT_FALSE(std::filesystem::exists(dir.file("o1/high.wav")));
  EXPECT_EQ(notewise_cli("-q live " + dir.file("mix.wav") + score + " --out " + dir.file("o2") + " --minus nobody").code, 2);
  EXPECT_EQ(notewise_cli("-q live " + dir.file("mix.wav") + score + " --out " + dir.file("o3") + " --rate 22050 --channels 1").code, 2);
  EXPECT_EQ(notewise_cli("-q live " + dir.file("mix.wav") + score + " --out " + dir.file("o4") + " --latency 0").code, 2);
  // Standard input that is not WAV, without --rate: one line naming it, exit 1, nothing written.
  const int code = run_shell("cat " + dir.file("score.csv") + " | " + NOTEWISE_BINARY + " -q live -" + score + " --out " +
                             dir.file("o5") + " 2>" + dir.file("err.txt"));
  EXPECT_EQ(code, 1);
  const std::string err = test::read_bytes(dir.file("err.txt"));
  EXPECT_EQ(lines(err), 1) << err;
  EXPECT_NE(err.find("standard input"), std::string::npos) << err;
  EXPECT_FALSE(std::filesystem::exists(dir.file("o5/high.wav")));
}
