#pragma once
// Audio files through libsndfile (WAV, FLAC, OGG/Vorbis, Opus, MP3 and the rest libsndfile 1.2
// reads). Samples are float, full scale = 1, stored samples x channels.
#include <memory>
#include <string>
#include <vector>

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

// Bounds on what a file may claim (its header sizes the input-rate STFT and the buffers).
constexpr int kMinSampleRate = 1000;       // Hz
constexpr int kMaxSampleRate = 768000;     // Hz
constexpr int kMaxChannels = 64;
constexpr long long kMaxAudioSamples = 1LL << 30;  // frames x channels (4 GiB as float)
constexpr float kMaxSampleMagnitude = 1000.0f;     // +60 dB over full scale

// Throws IoError naming the file for: missing or unreadable file, a folder, an unknown or
// corrupt format, a file with fewer frames than its header promises (truncated), zero-length
// audio, a sample rate, channel count or length outside the bounds above, and NaN/Inf samples
// or samples beyond kMaxSampleMagnitude. Decoder libraries' own stderr chatter is suppressed.
Audio read_audio(const std::string& path);

// What a file's header says, without decoding its samples: enough to size a run before it
// starts (pipeline/memory.hpp). frames is the header's count (an estimate for MP3 and OGG).
// Throws IoError naming the file as read_audio does for a missing, unreadable or corrupt file.
struct AudioInfo {
  long long frames = 0;
  int sample_rate = 0;
  int channels = 0;
};
AudioInfo read_audio_info(const std::string& path);

// A recording read block by block (long recordings need not fit in memory whole). Opening
// checks what read_audio checks of the header (format, truncation, rate, channels, length);
// read() checks the samples as read_audio does. Formats whose header only estimates the length
// (MP3, Ogg) are not seekable(): read those with read_audio. Not thread safe.
class AudioReader {
 public:
  explicit AudioReader(const std::string& path);
  ~AudioReader();
  AudioReader(const AudioReader&) = delete;
  AudioReader& operator=(const AudioReader&) = delete;

  int sample_rate() const { return rate_; }
  int channels() const { return channels_; }
  Index frames() const { return frames_; }
  bool seekable() const { return seekable_; }
  // Frames [start, start + out.rows()) into out (out.cols() == channels()); IoError naming the
  // file if they cannot all be read or a sample is not finite or beyond kMaxSampleMagnitude.
  void read(Index start, Eigen::Ref<MatrixXf> out);

 private:
  std::string path_;
  void* file_ = nullptr;  // SNDFILE*
  int rate_ = 0, channels_ = 0;
  Index frames_ = 0;
  bool seekable_ = false;
  std::vector<float> buffer_;
};

// A recording for analysis, as every command reads one: read (block by block where the format
// seeks, else whole), mixed down to mono (the mean of the channels) and resampled to `rate` Hz
// (0: the file's own rate). The values are the pipeline's analysis signal's
// (pipeline.hpp: analysis_signal) and mono_at(read_audio(path), rate)'s. `info`, if given, gets
// the file's rate, channels and frames. IoError naming the file as read_audio/AudioReader.
VectorXf read_mono(const std::string& path, int rate = 0, AudioInfo* info = nullptr);
// The same for audio read already: audio.mono() resampled to `rate` (0: as it is).
VectorXf mono_at(const Audio& audio, int rate);

enum class SampleFormat { Pcm16, Pcm24, Float32 };
SampleFormat parse_sample_format(const std::string& name);  // "pcm16" | "pcm24" | "float32"

// The file formats notewise writes (through libsndfile 1.2).
enum class FileFormat { Wav, Flac, Ogg, Opus, Mp3, Aiff };
// "wav" | "flac" | "ogg" | "opus" | "mp3" | "aiff" (also "aif"), any case, with or without the
// dot; InvalidArgument naming the extension and the list otherwise.
FileFormat parse_file_format(const std::string& extension);
// The format a path's extension names (as parse_file_format; a path without one is an error).
FileFormat file_format_of(const std::string& path);
std::string extension_of(FileFormat format);  // "wav", "flac", ... (without the dot)
bool is_lossy(FileFormat format);              // Ogg Vorbis, Opus, MP3
inline constexpr const char* kFileFormatNames = "wav, flac, ogg, opus, mp3, aiff";

struct Encoding {
  FileFormat format = FileFormat::Wav;
  SampleFormat sample = SampleFormat::Pcm16;  // WAV, AIFF; FLAC pcm16/pcm24 (it holds integers)
  double quality = 8;                         // Ogg, Opus, MP3: 0 (smallest) .. 10 (best)
  // InvalidArgument for a combination the format cannot hold (FLAC float32; quality out of 0..10).
  void validate() const;
};

// The sample rate `format` stores audio of `sample_rate` at: the rate itself, except Opus (8,
// 12, 16, 24 or 48 kHz) and MP3 (8 .. 48 kHz, the MPEG rates), which take the next rate they
// have at or above it (48 kHz above their highest).
int stored_rate(FileFormat format, int sample_rate);

// Writes an audio file atomically (temporary file in the same folder, then rename), in the
// encoding given; resampled (soxr) to stored_rate() where the format needs it. Values beyond
// full scale are clipped for the integer formats. Refuses to replace an existing file unless
// `overwrite`. Throws InvalidArgument for a channel count the format cannot hold (MP3 two,
// FLAC eight), IoError naming the path if writing fails. Returns the rate written.
int write_audio(const std::string& path, const Eigen::Ref<const MatrixXf>& samples, int sample_rate,
                const Encoding& encoding, bool overwrite = false);

// An audio file written block by block: a temporary file beside `path` (removed on error,
// on destruction without commit, and by the signal cleanup), renamed over `path` by commit().
// Only where the format stores the rate as given (streams(); write_audio resamples the
// others). Same encoding, clipping and checks as write_audio. Not thread safe.
//
// followable: the file being written is `path` + ".part" (visible, beside it) and, for WAV and
// AIFF, its header is rewritten after every write(), so that a reader can follow it as it grows
// (a live run's stems); commit() renames it over `path` as before.
class AudioWriter {
 public:
  AudioWriter(const std::string& path, int channels, int sample_rate, const Encoding& encoding, bool overwrite = false,
              bool followable = false);
  ~AudioWriter();
  AudioWriter(const AudioWriter&) = delete;
  AudioWriter& operator=(const AudioWriter&) = delete;
  static bool streams(const Encoding& encoding, int sample_rate) { return stored_rate(encoding.format, sample_rate) == sample_rate; }

  void write(const Eigen::Ref<const MatrixXf>& part);  // the next part.rows() frames
  void commit();                                        // close and rename over path

 private:
  std::string path_, tmp_;
  void* file_ = nullptr;  // SNDFILE*
  int channels_ = 0, slot_ = -1;
  bool committed_ = false;
  std::vector<float> buffer_;
};

// The stems of a run as they come (separate_prepared's StemSink), one file per group: written
// block by block (AudioWriter) where the format stores the rate, else, or with `whole`, kept
// whole and written by finish() (write_audio, which resamples them). Keeps each stem's sum of
// squares for its level. paths: one file per group; frames x channels at sample_rate each.
class StemFiles {
 public:
  StemFiles(std::vector<std::string> paths, Index frames, int channels, int sample_rate, const Encoding& encoding, bool whole,
            bool overwrite);
  void add(std::size_t group, const Eigen::Ref<const MatrixXf>& part);  // the group's next part.rows() frames
  // Closes (renames) the streamed files or writes the whole ones; returns the rate the files
  // store (stored_rate). Once, after the last add.
  int finish();
  std::vector<MatrixXf>& whole() { return stems_; }  // the samples kept whole (empty when streamed)
  // Each stem's RMS over all its samples and channels.
  std::vector<double> rms() const;

 private:
  std::vector<std::string> paths_;
  Index frames_;
  int channels_, rate_;
  Encoding encoding_;
  bool overwrite_;
  std::vector<std::unique_ptr<AudioWriter>> writers_;
  std::vector<MatrixXf> stems_;
  std::vector<Index> filled_;
  std::vector<double> sum_squares_;
};

// InvalidArgument naming `path` where `format` cannot hold `channels` (MP3 two, FLAC and Opus
// eight): what write_audio checks, for a caller to check before the work.
void check_channels(const std::string& path, FileFormat format, Index channels);

// A WAV file (write_audio with FileFormat::Wav).
void write_wav(const std::string& path, const Eigen::Ref<const MatrixXf>& samples, int sample_rate,
               SampleFormat format = SampleFormat::Pcm16, bool overwrite = false);

// An MP3 encoding of `samples` (frames x channels, at a rate MPEG allows: 8000-48000 Hz), as
// bytes in memory: a compact listening copy for pages that cannot read files beside them.
// quality in [0, 1] (libsndfile's compression level inverted: 1 = highest bit rate).
// Throws InvalidArgument for an empty signal or a rate MP3 cannot carry, IoError if the
// encoder fails.
std::string encode_mp3(const Eigen::Ref<const MatrixXf>& samples, int sample_rate, double quality = 0.6);

}  // namespace notewise::io
