#pragma once
// Audio read from a stream (standard input, a pipe) as it arrives, for live runs: a WAV stream
// (RIFF/WAVE, PCM 16/24/32-bit or IEEE float 32/64-bit, also WAVE_FORMAT_EXTENSIBLE; a data
// chunk whose size is 0 or 0xFFFFFFFF, as streaming writers leave it, is read to the end of the
// stream) or raw interleaved little-endian samples (float32 or int16) of a given rate and
// channel count. Samples are float, full scale = 1. Not thread safe.
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "notewise/core/types.hpp"

namespace notewise::io {

struct StreamFormat {
  enum class Kind { Wav, RawFloat32, RawInt16 };
  Kind kind = Kind::Wav;
  int sample_rate = 0;  // raw only
  int channels = 0;     // raw only
};

class AudioStreamReader {
 public:
  // Reads a WAV header at once (IoError naming `name` for a stream that is not WAV, a format it
  // does not read, or a rate or channel count outside audio.hpp's bounds); raw needs rate and
  // channels within those bounds (InvalidArgument otherwise).
  AudioStreamReader(std::FILE* in, const std::string& name, const StreamFormat& format);
  int sample_rate() const { return rate_; }
  int channels() const { return channels_; }
  // Up to max_frames frames into out (resized to frames x channels); returns the frames read, 0
  // at the end of the stream. A partial frame at the end is dropped. IoError for a read error or
  // a sample that is not finite or beyond kMaxSampleMagnitude.
  Index read(MatrixXf& out, Index max_frames);

 private:
  std::FILE* in_;
  std::string name_;
  int rate_ = 0, channels_ = 0, bytes_ = 0;
  bool float_ = false;
  long long remaining_ = -1;  // bytes of the data chunk left, -1: to the end
  std::vector<unsigned char> buffer_;
};

class AudioReader;

// A recording read block by block for a live run, wherever it comes from: a file (read block by
// block where it seeks, else whole: MP3, Ogg) or a stream (AudioStreamReader; `format` for
// standard input). The same blocks either way, in order, until the end. Not thread safe.
class AudioBlocks {
 public:
  // path "-": `in` (standard input) in `format`, named "standard input" in messages; otherwise
  // the file at path (IoError naming it, as read_audio).
  AudioBlocks(const std::string& path, std::FILE* in, const StreamFormat& format);
  ~AudioBlocks();
  AudioBlocks(const AudioBlocks&) = delete;
  AudioBlocks& operator=(const AudioBlocks&) = delete;
  int sample_rate() const { return rate_; }
  int channels() const { return channels_; }
  // The next up to max_frames frames into out (resized to frames x channels); 0 at the end.
  Index read(MatrixXf& out, Index max_frames);

 private:
  std::unique_ptr<AudioReader> file_;
  std::unique_ptr<AudioStreamReader> stream_;
  MatrixXf whole_;  // a file that does not seek, read at once
  Index at_ = 0, total_ = 0;
  int rate_ = 0, channels_ = 0;
};

}  // namespace notewise::io
