#include "notewise/io/audio.hpp"
#include "notewise/io/audio_stream.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <cstring>
#include <limits>

#include "notewise/core/error.hpp"
#include "notewise/core/resample.hpp"
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

// Float files hold no PEAK chunk: libsndfile's holds the time of writing, so the same samples
// written a second apart gave different bytes (live's stems differed at byte 61). Whole,
// streamed and followable (live's .part, header rewritten per block) alike; samples intact.
TEST(Audio, FloatFilesHoldNoWriteTime) {
  TempDir dir;
  const MatrixXf x = tone(3000, 2);
  io::write_wav(dir.file("whole.wav"), x, 22050, io::SampleFormat::Float32);
  io::Encoding e;
  e.sample = io::SampleFormat::Float32;
  for (const bool followable : {false, true}) {
    const std::string name = followable ? "followed.wav" : "streamed.wav";
    io::AudioWriter w(dir.file(name), 2, 22050, e, false, followable);
    w.write(x.topRows(1000));
    w.write(x.bottomRows(2000));
    w.commit();
  }
  for (const char* name : {"whole.wav", "streamed.wav", "followed.wav"}) {
    std::ifstream in(dir.file(name), std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(bytes.find("PEAK"), std::string::npos) << name;
    EXPECT_EQ((io::read_audio(dir.file(name)).samples - x).cwiseAbs().maxCoeff(), 0.0f) << name;
  }
}

// The one way every command reads a recording for analysis: streamed where the file seeks
// (WAV), with the same values as the whole file's mix-down resampled at once; longer than one
// block (65536 frames), so that the blocks' seams are crossed.
TEST(Audio, ReadMono_StreamedEqualsWholeFile_StereoResampled) {
  TempDir dir;
  const MatrixXf x = tone(150000, 2);
  io::write_wav(dir.file("a.wav"), x, 44100, io::SampleFormat::Float32);
  const io::Audio whole = io::read_audio(dir.file("a.wav"));
  io::AudioInfo info;
  const VectorXf at_22050 = io::read_mono(dir.file("a.wav"), 22050, &info);
  EXPECT_EQ(info.sample_rate, 44100);
  EXPECT_EQ(info.channels, 2);
  EXPECT_EQ(info.frames, 150000);
  const VectorXf expected = resample(whole.mono(), 44100, 22050).col(0);
  ASSERT_EQ(at_22050.size(), expected.size());
  EXPECT_EQ((at_22050 - expected).cwiseAbs().maxCoeff(), 0.0f);
  EXPECT_EQ((at_22050 - io::mono_at(whole, 22050)).cwiseAbs().maxCoeff(), 0.0f);
  // Rate 0 (or the file's own): the mix-down itself.
  EXPECT_EQ((io::read_mono(dir.file("a.wav")) - whole.mono()).cwiseAbs().maxCoeff(), 0.0f);
  EXPECT_THROW(io::read_mono(dir.file("missing.wav"), 22050), IoError);
}

// A live run's input: a seekable file and the same file as a stream (a WAV on a FILE*, as
// standard input) give the same samples in blocks of the size asked for, then 0.
TEST(Audio, Blocks_FileAndStreamGiveTheSameSamples) {
  TempDir dir;
  const MatrixXf x = tone(1000, 2);
  io::write_wav(dir.file("a.wav"), x, 22050, io::SampleFormat::Float32);
  const auto collect = [](io::AudioBlocks& b) {
    EXPECT_EQ(b.sample_rate(), 22050);
    EXPECT_EQ(b.channels(), 2);
    MatrixXf all(0, 2), buf;
    for (Index n; (n = b.read(buf, 300)) > 0;) {
      EXPECT_LE(n, 300);
      all.conservativeResize(all.rows() + n, 2);
      all.bottomRows(n) = buf.topRows(n);
    }
    return all;
  };
  io::AudioBlocks file(dir.file("a.wav"), nullptr, {});
  EXPECT_EQ((collect(file) - x).cwiseAbs().maxCoeff(), 0.0f);
  std::FILE* in = std::fopen(dir.file("a.wav").c_str(), "rb");
  ASSERT_NE(in, nullptr);
  io::AudioBlocks stream("-", in, {});
  const MatrixXf streamed = collect(stream);
  std::fclose(in);
  ASSERT_EQ(streamed.rows(), x.rows());
  EXPECT_EQ((streamed - x).cwiseAbs().maxCoeff(), 0.0f);
  EXPECT_THROW(io::AudioBlocks(dir.file("missing.wav"), nullptr, {}), IoError);
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

// Issue #16: the format follows what was asked for.
TEST(Audio, WriteAudio_LosslessFormatsRoundTrip) {
  TempDir dir;
  const MatrixXf x = tone(3000, 2);
  for (const auto format : {io::FileFormat::Wav, io::FileFormat::Flac, io::FileFormat::Aiff})
    for (const auto sample : {io::SampleFormat::Pcm16, io::SampleFormat::Pcm24}) {
      io::Encoding e;
      e.format = format;
      e.sample = sample;
      const std::string path = dir.file("x" + std::to_string(static_cast<int>(sample)) + "." + io::extension_of(format));
      EXPECT_EQ(io::write_audio(path, x, 44100, e), 44100);
      const io::Audio a = io::read_audio(path);
      EXPECT_EQ(a.sample_rate, 44100);
      ASSERT_EQ(a.frames(), x.rows());
      const float lsb = sample == io::SampleFormat::Pcm16 ? 1.0f / 32768 : 1.0f / 8388608;
      EXPECT_LE((a.samples - x).cwiseAbs().maxCoeff(), lsb) << path;
    }
  io::Encoding flac;
  flac.format = io::FileFormat::Flac;
  flac.sample = io::SampleFormat::Float32;
  EXPECT_THROW(io::write_audio(dir.file("f.flac"), x, 44100, flac), InvalidArgument);
  EXPECT_FALSE(std::filesystem::exists(dir.file("f.flac")));
}

TEST(Audio, WriteAudio_LossyFormatsKeepTheSignal) {
  TempDir dir;
  const MatrixXf x = tone(48000, 2);
  for (const auto format : {io::FileFormat::Ogg, io::FileFormat::Opus, io::FileFormat::Mp3}) {
    io::Encoding e;
    e.format = format;
    const std::string path = dir.file("x." + io::extension_of(format));
    EXPECT_EQ(io::write_audio(path, x, 48000, e), 48000);
    const io::Audio a = io::read_audio(path);
    EXPECT_EQ(a.sample_rate, 48000);
    EXPECT_EQ(a.channels(), 2);
    // Lossy codecs delay and pad a little; the middle second's energy is the tone's.
    ASSERT_GE(a.frames(), 40000) << path;
    const double e_in = x.middleRows(12000, 24000).squaredNorm(), e_out = a.samples.middleRows(12000, 24000).squaredNorm();
    EXPECT_NEAR(e_out / e_in, 1.0, 0.05) << path;
  }
  // Rates a codec lacks: the next it has (Opus 22.05 -> 24 kHz; MP3 96 -> 48 kHz).
  EXPECT_EQ(io::stored_rate(io::FileFormat::Opus, 22050), 24000);
  EXPECT_EQ(io::stored_rate(io::FileFormat::Opus, 48000), 48000);
  EXPECT_EQ(io::stored_rate(io::FileFormat::Mp3, 22050), 22050);
  EXPECT_EQ(io::stored_rate(io::FileFormat::Mp3, 96000), 48000);
  EXPECT_EQ(io::stored_rate(io::FileFormat::Ogg, 96000), 96000);
  io::Encoding opus;
  opus.format = io::FileFormat::Opus;
  EXPECT_EQ(io::write_audio(dir.file("r.opus"), x.topRows(22050), 22050, opus), 24000);
  EXPECT_NEAR(io::read_audio(dir.file("r.opus")).seconds(), 1.0, 0.02);
  // MP3 holds two channels at most.
  io::Encoding mp3;
  mp3.format = io::FileFormat::Mp3;
  EXPECT_THROW(io::write_audio(dir.file("3.mp3"), tone(1000, 3), 44100, mp3), InvalidArgument);
}

TEST(Audio, FileFormatOfTheExtension) {
  EXPECT_EQ(io::file_format_of("a/b.FLAC"), io::FileFormat::Flac);
  EXPECT_EQ(io::file_format_of("x.aif"), io::FileFormat::Aiff);
  EXPECT_EQ(io::parse_file_format("mp3"), io::FileFormat::Mp3);
  EXPECT_THROW(io::file_format_of("x.xyz"), InvalidArgument);
  EXPECT_THROW(io::file_format_of("noext"), InvalidArgument);
}

namespace {
int regular_files(const std::string& dir) {
  int files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) files += e.is_regular_file();
  return files;
}
}  // namespace

TEST(AudioStream, ReaderBlocksEqualTheWholeRead_AnyOrder) {
  TempDir dir;
  const MatrixXf x = tone(70000, 2);
  for (const char* name : {"a.wav", "a.flac"}) {
    io::Encoding e;
    e.format = io::file_format_of(name);
    e.sample = io::SampleFormat::Pcm24;
    io::write_audio(dir.file(name), x, 44100, e);
    const io::Audio whole = io::read_audio(dir.file(name));
    io::AudioReader r(dir.file(name));
    EXPECT_TRUE(r.seekable());
    EXPECT_EQ(r.frames(), whole.frames());
    EXPECT_EQ(r.channels(), 2);
    EXPECT_EQ(r.sample_rate(), 44100);
    // Backwards and overlapping, as the resynthesis's blocks seek.
    for (const Index start : {Index{69000}, Index{0}, Index{12345}, Index{12000}}) {
      MatrixXf part(1000, 2);
      r.read(start, part);
      EXPECT_EQ((part - whole.samples.middleRows(start, 1000)).cwiseAbs().maxCoeff(), 0.0f) << name << " " << start;
    }
    MatrixXf past(10, 2), wrong(10, 1);
    EXPECT_THROW(r.read(69995, past), InvalidArgument);
    EXPECT_THROW(r.read(0, wrong), InvalidArgument);
  }
  // Ogg's length is only an estimate: not read block by block.
  io::Encoding ogg;
  ogg.format = io::FileFormat::Ogg;
  io::write_audio(dir.file("a.ogg"), x, 44100, ogg);
  EXPECT_FALSE(io::AudioReader(dir.file("a.ogg")).seekable());
}

TEST(AudioStream, ReaderRefusesWhatReadAudioRefuses) {
  TempDir dir;
  EXPECT_THROW(io::AudioReader(dir.file("missing.wav")), IoError);
  test::write_bytes(dir.file("text.wav"), "not audio at all, just text");
  EXPECT_THROW(io::AudioReader(dir.file("text.wav")), IoError);
  // A NaN inside: found when its block is read.
  io::write_wav(dir.file("n.wav"), tone(100, 1), 22050, io::SampleFormat::Float32);
  std::string bytes = test::read_bytes(dir.file("n.wav"));
  const float nan = std::numeric_limits<float>::quiet_NaN();
  std::memcpy(bytes.data() + bytes.size() - 40, &nan, 4);
  test::write_bytes(dir.file("n.wav"), bytes);
  io::AudioReader r(dir.file("n.wav"));
  MatrixXf head(50, 1), all(100, 1);
  EXPECT_NO_THROW(r.read(0, head));
  EXPECT_THROW(r.read(0, all), IoError);
}

TEST(AudioStream, WriterInBlocksEqualsWriteAudio_NothingBeforeCommit) {
  TempDir dir;
  const MatrixXf x = tone(50000, 2);
  io::Encoding e;
  e.format = io::FileFormat::Flac;
  e.sample = io::SampleFormat::Pcm16;
  io::write_audio(dir.file("whole.flac"), x, 44100, e);
  {
    io::AudioWriter w(dir.file("parts.flac"), 2, 44100, e);
    for (Index i = 0; i < x.rows(); i += 7777) w.write(x.middleRows(i, std::min<Index>(7777, x.rows() - i)));
    EXPECT_FALSE(std::filesystem::exists(dir.file("parts.flac"))) << "only the temporary file until commit";
    w.commit();
  }
  const io::Audio a = io::read_audio(dir.file("whole.flac")), b = io::read_audio(dir.file("parts.flac"));
  ASSERT_EQ(b.frames(), x.rows());
  EXPECT_EQ((a.samples - b.samples).cwiseAbs().maxCoeff(), 0.0f);
  EXPECT_EQ(regular_files(dir.path()), 2);
  // Abandoned (an error before commit): no file, no temporary left behind.
  {
    io::AudioWriter w(dir.file("lost.wav"), 1, 22050, io::Encoding{});
    w.write(tone(100, 1));
  }
  EXPECT_FALSE(std::filesystem::exists(dir.file("lost.wav")));
  EXPECT_EQ(regular_files(dir.path()), 2);
  // An existing file is kept without overwrite; a rate the format does not store, channels
  // it cannot hold and non-finite samples are refused.
  EXPECT_THROW(io::AudioWriter(dir.file("whole.flac"), 2, 44100, e), IoError);
  io::Encoding opus;
  opus.format = io::FileFormat::Opus;
  EXPECT_FALSE(io::AudioWriter::streams(opus, 44100));
  EXPECT_THROW(io::AudioWriter(dir.file("o.opus"), 2, 44100, opus), InvalidArgument);
  io::Encoding mp3;
  mp3.format = io::FileFormat::Mp3;
  EXPECT_THROW(io::AudioWriter(dir.file("o.mp3"), 3, 44100, mp3), InvalidArgument);
  io::AudioWriter w(dir.file("nan.wav"), 1, 22050, io::Encoding{});
  MatrixXf bad = tone(10, 1);
  bad(4, 0) = std::numeric_limits<float>::infinity();
  EXPECT_THROW(w.write(bad), InvalidArgument);
}

// The report encodes its listening copies at once, one encoder per thread: each copy's bytes
// must be those of encoding it alone.
TEST(Audio, EncodeMp3_ConcurrentEncodersGiveTheSameBytes) {
  constexpr int kCopies = 4;
  std::vector<MatrixXf> signals;
  for (int k = 0; k < kCopies; ++k) {
    MatrixXf x(22050, 2);
    for (Index i = 0; i < x.rows(); ++i) {
      x(i, 0) = 0.3f * std::sin(0.01f * static_cast<float>((k + 1) * i));
      x(i, 1) = 0.2f * std::sin(0.003f * static_cast<float>((k + 2) * i) + 0.001f * static_cast<float>(i % 97));
    }
    signals.push_back(x);
  }
  std::vector<std::string> alone(kCopies), together(kCopies);
  for (int k = 0; k < kCopies; ++k) alone[k] = io::encode_mp3(signals[k], 44100);
#pragma omp parallel for schedule(dynamic, 1) num_threads(kCopies)
  for (int k = 0; k < kCopies; ++k) together[k] = io::encode_mp3(signals[k], 44100);
  for (int k = 0; k < kCopies; ++k) {
    EXPECT_GT(alone[k].size(), 1000u) << k;
    EXPECT_EQ(together[k], alone[k]) << "copy " << k;
  }
}
