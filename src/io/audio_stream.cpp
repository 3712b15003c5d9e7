// Audio from a stream (audio_stream.hpp).
#include "notewise/io/audio_stream.hpp"

#include <algorithm>
#include <cmath>
#include <memory>
#include <cstdint>
#include <cstring>

#include "notewise/core/error.hpp"
#include "notewise/io/audio.hpp"

namespace notewise::io {

namespace {
std::uint32_t u32(const unsigned char* p) { return p[0] | (p[1] << 8) | (p[2] << 16) | (std::uint32_t(p[3]) << 24); }
std::uint16_t u16(const unsigned char* p) { return static_cast<std::uint16_t>(p[0] | (p[1] << 8)); }

void read_exact(std::FILE* in, const std::string& name, unsigned char* p, std::size_t n, const char* what) {
  if (std::fread(p, 1, n, in) != n) throw IoError(name, std::string("the stream ends inside the WAV header (") + what + ")");
}

void check_bounds(const std::string& name, int rate, int channels) {
  if (rate < kMinSampleRate || rate > kMaxSampleRate)
    throw IoError(name, "sample rate " + std::to_string(rate) + " Hz is outside " + std::to_string(kMinSampleRate) + " .. " +
                            std::to_string(kMaxSampleRate) + " Hz");
  if (channels < 1 || channels > kMaxChannels)
    throw IoError(name, std::to_string(channels) + " channels (1 .. " + std::to_string(kMaxChannels) + " allowed)");
}
}  // namespace

AudioStreamReader::AudioStreamReader(std::FILE* in, const std::string& name, const StreamFormat& format)
    : in_(in), name_(name) {
  if (format.kind != StreamFormat::Kind::Wav) {
    if (format.sample_rate < kMinSampleRate || format.sample_rate > kMaxSampleRate)
      throw InvalidArgument("raw audio: sample rate " + std::to_string(format.sample_rate) + " Hz is outside " +
                            std::to_string(kMinSampleRate) + " .. " + std::to_string(kMaxSampleRate) + " Hz");
    if (format.channels < 1 || format.channels > kMaxChannels)
      throw InvalidArgument("raw audio: " + std::to_string(format.channels) + " channels (1 .. " +
                            std::to_string(kMaxChannels) + " allowed)");
    rate_ = format.sample_rate;
    channels_ = format.channels;
    float_ = format.kind == StreamFormat::Kind::RawFloat32;
    bytes_ = float_ ? 4 : 2;
    return;
  }
  unsigned char h[12];
  if (std::fread(h, 1, 12, in) != 12 || std::memcmp(h, "RIFF", 4) != 0 || std::memcmp(h + 8, "WAVE", 4) != 0)
    throw IoError(name, "not a WAV stream (raw samples need a sample rate and a channel count)");
  bool have_fmt = false;
  for (int chunks = 0; chunks < 1000; ++chunks) {
    unsigned char c[8];
    read_exact(in, name, c, 8, "a chunk header");
    const std::uint32_t size = u32(c + 4);
    if (std::memcmp(c, "fmt ", 4) == 0) {
      if (size < 16 || size > 4096) throw IoError(name, "WAV fmt chunk of " + std::to_string(size) + " bytes");
      std::vector<unsigned char> f(size + (size & 1));
      read_exact(in, name, f.data(), f.size(), "fmt");
      int tag = u16(f.data());
      channels_ = u16(f.data() + 2);
      rate_ = static_cast<int>(u32(f.data() + 4));
      const int bits = u16(f.data() + 14);
      if (tag == 0xFFFE && size >= 26) tag = u16(f.data() + 24);  // the sub-format GUID's first two bytes
      if (tag == 1 && (bits == 16 || bits == 24 || bits == 32)) float_ = false;
      else if (tag == 3 && (bits == 32 || bits == 64)) float_ = true;
      else throw IoError(name, "WAV format " + std::to_string(tag) + " with " + std::to_string(bits) + " bits is not read (PCM 16/24/32, float 32/64)");
      bytes_ = bits / 8;
      check_bounds(name, rate_, channels_);
      have_fmt = true;
    } else if (std::memcmp(c, "data", 4) == 0) {
      if (!have_fmt) throw IoError(name, "WAV data before its fmt chunk");
      remaining_ = (size == 0 || size == 0xFFFFFFFFu) ? -1 : static_cast<long long>(size);
      return;
    } else {
      for (std::uint32_t k = 0; k < size + (size & 1); ++k)
        if (std::fgetc(in) == EOF) throw IoError(name, "the stream ends inside a WAV chunk");
    }
  }
  throw IoError(name, "no WAV data chunk in the first 1000 chunks");
}

Index AudioStreamReader::read(MatrixXf& out, Index max_frames) {
  const std::size_t frame_bytes = static_cast<std::size_t>(bytes_) * static_cast<std::size_t>(channels_);
  std::size_t want = static_cast<std::size_t>(std::max<Index>(0, max_frames)) * frame_bytes;
  if (remaining_ >= 0) want = std::min<std::size_t>(want, static_cast<std::size_t>(remaining_ / static_cast<long long>(frame_bytes)) * frame_bytes);
  buffer_.resize(want);
  std::size_t got = 0;
  while (got < want) {
    const std::size_t n = std::fread(buffer_.data() + got, 1, want - got, in_);
    if (n == 0) break;
    got += n;
  }
  if (got < want && std::ferror(in_)) throw IoError(name_, "cannot read the stream");
  const Index frames = static_cast<Index>(got / frame_bytes);
  if (remaining_ >= 0) remaining_ -= static_cast<long long>(frames) * static_cast<long long>(frame_bytes);
  out.resize(frames, channels_);
  const unsigned char* p = buffer_.data();
  for (Index i = 0; i < frames; ++i)
    for (int c = 0; c < channels_; ++c, p += bytes_) {
      float v = 0;
      if (float_ && bytes_ == 4) {
        std::uint32_t u = u32(p);
        std::memcpy(&v, &u, 4);
      } else if (float_) {
        const std::uint64_t u = u32(p) | (static_cast<std::uint64_t>(u32(p + 4)) << 32);
        double d;
        std::memcpy(&d, &u, 8);
        v = static_cast<float>(d);
      } else if (bytes_ == 2) {
        v = static_cast<float>(static_cast<std::int16_t>(u16(p))) / 32768.0f;
      } else if (bytes_ == 3) {
        const std::int32_t s = static_cast<std::int32_t>((p[0] << 8) | (p[1] << 16) | (std::uint32_t(p[2]) << 24)) >> 8;
        v = static_cast<float>(s) / 8388608.0f;
      } else {
        v = static_cast<float>(static_cast<std::int32_t>(u32(p))) / 2147483648.0f;
      }
      if (!std::isfinite(v) || std::abs(v) > kMaxSampleMagnitude)
        throw IoError(name_, "a sample is not finite or beyond " + std::to_string(kMaxSampleMagnitude) + " (frame " + std::to_string(i) + ")");
      out(i, c) = v;
    }
  return frames;
}

AudioBlocks::AudioBlocks(const std::string& path, std::FILE* in, const StreamFormat& format) {
  if (path == "-") {
    stream_ = std::make_unique<AudioStreamReader>(in, "standard input", format);
    rate_ = stream_->sample_rate();
    channels_ = stream_->channels();
    return;
  }
  file_ = std::make_unique<AudioReader>(path);
  if (!file_->seekable()) {
    Audio a = read_audio(path);
    file_.reset();
    whole_ = std::move(a.samples);
    rate_ = a.sample_rate;
    total_ = whole_.rows();
  } else {
    rate_ = file_->sample_rate();
    total_ = file_->frames();
  }
  channels_ = file_ ? file_->channels() : static_cast<int>(whole_.cols());
}

AudioBlocks::~AudioBlocks() = default;

Index AudioBlocks::read(MatrixXf& out, Index max_frames) {
  if (stream_) return stream_->read(out, max_frames);
  const Index n = std::min(max_frames, total_ - at_);
  if (n <= 0) return 0;
  out.resize(n, channels_);
  if (file_) file_->read(at_, out);
  else out = whole_.middleRows(at_, n);
  at_ += n;
  return n;
}

}  // namespace notewise::io
