#include "notewise/io/audio.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <cstring>
#include <limits>

#include "notewise/core/error.hpp"
#include "test_util.hpp"

using namespace notewise;
using notewise::test::TempDir;

namespace {
MatrixXf tone(Index frames, int channels) {
  MatrixXf m(frames, channels);
  for (Index i = 0; i < frames; ++i)
    for (int c = 0; c < channels; ++c) m(i, c) = 0.5f * std::sin(0.01f * static_cast<float>(i) * (c + 1));
  return m;
}
}  // namespace

TEST(Audio, RoundTrip_Float32_StereoExact) {
  TempDir dir;
  const MatrixXf x = tone(1000, 2);
  io::write_wav(dir.file("a.wav"), x, 44100, io::SampleFormat::Float32);
  const io::Audio a = io::read_audio(dir.file("a.wav"));
  EXPECT_EQ(a.sample_rate, 44100);
  EXPECT_EQ(a.channels(), 2);
  EXPECT_EQ(a.frames(), 1000);
  EXPECT_EQ((a.samples - x).cwiseAbs().maxCoeff(), 0.0f);
  EXPECT_NEAR((a.mono() - x.rowwise().mean()).cwiseAbs().maxCoeff(), 0.0f, 1e-7);
}

TEST(Audio, RoundTrip_Pcm16And24_WithinQuantisation) {
  TempDir dir;
  const MatrixXf x = tone(500, 1);
  io::write_wav(dir.file("16.wav"), x, 22050, io::SampleFormat::Pcm16);
  io::write_wav(dir.file("24.wav"), x, 22050, io::SampleFormat::Pcm24);
  EXPECT_LE((io::read_audio(dir.file("16.wav")).samples - x).cwiseAbs().maxCoeff(), 1.0f / 32768);
  EXPECT_LE((io::read_audio(dir.file("24.wav")).samples - x).cwiseAbs().maxCoeff(), 1.0f / 8388608 * 2);
}

TEST(Audio, WriteClipsInsteadOfWrapping) {
  TempDir dir;
  MatrixXf x(2, 1);
  x << 1.5f, -1.5f;
  io::write_wav(dir.file("c.wav"), x, 8000);
  const MatrixXf y = io::read_audio(dir.file("c.wav")).samples;
  EXPECT_GT(y(0, 0), 0.99f);
  EXPECT_LT(y(1, 0), -0.99f);
}

TEST(Audio, MissingFile) {
  try {
    io::read_audio("/nonexistent/x.wav");
    FAIL();
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/x.wav"), std::string::npos);
  }
}

TEST(Audio, TextFileNamedWav) {
  TempDir dir;
  test::write_bytes(dir.file("text.wav"), "this is not audio, just text\n");
  EXPECT_THROW(io::read_audio(dir.file("text.wav")), IoError);
}

TEST(Audio, TruncatedWav) {
  TempDir dir;
  io::write_wav(dir.file("full.wav"), tone(10000, 1), 22050);
  const std::string bytes = test::read_bytes(dir.file("full.wav"));
  test::write_bytes(dir.file("cut.wav"), bytes.substr(0, bytes.size() / 2));
  try {
    io::read_audio(dir.file("cut.wav"));
    FAIL() << "a truncated file must be reported";
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("truncated"), std::string::npos) << e.what();
  }
  test::write_bytes(dir.file("header_only.wav"), bytes.substr(0, 20));
  EXPECT_THROW(io::read_audio(dir.file("header_only.wav")), IoError);
}

TEST(Audio, ZeroLengthAudio) {
  TempDir dir;
  io::write_wav(dir.file("z.wav"), MatrixXf(0, 1), 22050);
  EXPECT_THROW(io::read_audio(dir.file("z.wav")), IoError);
  test::write_bytes(dir.file("empty.wav"), "");
  EXPECT_THROW(io::read_audio(dir.file("empty.wav")), IoError);
}

TEST(Audio, NonFiniteSamples) {
  TempDir dir;
  // Write NaN through a raw float WAV (write_wav itself refuses non-finite data).
  MatrixXf x = tone(100, 1);
  io::write_wav(dir.file("n.wav"), x, 22050, io::SampleFormat::Float32);
  std::string bytes = test::read_bytes(dir.file("n.wav"));
  const float nan = std::numeric_limits<float>::quiet_NaN();
  std::memcpy(bytes.data() + bytes.size() - 40, &nan, 4);
  test::write_bytes(dir.file("n.wav"), bytes);
  EXPECT_THROW(io::read_audio(dir.file("n.wav")), IoError);
  x(3, 0) = nan;
  EXPECT_THROW(io::write_wav(dir.file("m.wav"), x, 22050), InvalidArgument);
}

TEST(Audio, ExistingOutputKeptWithoutOverwrite) {
  TempDir dir;
  io::write_wav(dir.file("o.wav"), tone(100, 1), 22050);
  const std::string before = test::read_bytes(dir.file("o.wav"));
  EXPECT_THROW(io::write_wav(dir.file("o.wav"), tone(50, 1), 22050), IoError);
  EXPECT_EQ(test::read_bytes(dir.file("o.wav")), before);
  io::write_wav(dir.file("o.wav"), tone(50, 1), 22050, io::SampleFormat::Pcm16, true);
  EXPECT_EQ(io::read_audio(dir.file("o.wav")).frames(), 50);
  // No temporary files left behind.
  int files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir.path())) files += e.is_regular_file();
  EXPECT_EQ(files, 1);
}

TEST(Audio, UnwritableFolder) {
  EXPECT_THROW(io::write_wav("/nonexistent/dir/o.wav", tone(10, 1), 22050), Error);
}

TEST(Audio, InvalidParameters) {
  TempDir dir;
  EXPECT_THROW(io::write_wav(dir.file("x.wav"), tone(10, 1), 0), InvalidArgument);
  EXPECT_THROW(io::parse_sample_format("pcm8"), InvalidArgument);
}
