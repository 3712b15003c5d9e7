#pragma once
// Audio files through libsndfile (WAV, FLAC, OGG/Vorbis, Opus, MP3 and the rest libsndfile 1.2
// reads). Samples are float, full scale = 1, stored samples x channels.
#include <string>

#include "notewise/core/types.hpp"

namespace notewise::io {

struct Audio {
  MatrixXf samples;  // frames x channels
  int sample_rate = 0;

  Index frames() const { return samples.rows(); }
  int channels() const { return static_cast<int>(samples.cols()); }
  double seconds() const { return sample_rate > 0 ? static_cast<double>(frames()) / sample_rate : 0.0; }
  VectorXf mono() const;  // mean of the channels (the analysis signal)
};

// Throws IoError naming the file for: missing or unreadable file, an unknown or corrupt
// format, a file with fewer frames than its header promises (truncated), zero-length audio,
// and NaN/Inf samples.
Audio read_audio(const std::string& path);

enum class SampleFormat { Pcm16, Pcm24, Float32 };
SampleFormat parse_sample_format(const std::string& name);  // "pcm16" | "pcm24" | "float32"

// Writes a WAV file atomically (temporary file in the same folder, then rename). Values beyond
// full scale are clipped for the integer formats. Refuses to replace an existing file unless
// `overwrite`.
void write_wav(const std::string& path, const Eigen::Ref<const MatrixXf>& samples, int sample_rate,
               SampleFormat format = SampleFormat::Pcm16, bool overwrite = false);

}  // namespace notewise::io
