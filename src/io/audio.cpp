// The only file that talks to libsndfile.
#include "notewise/io/audio.hpp"

#include <fcntl.h>
#include <sndfile.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "notewise/core/error.hpp"
#include "notewise/io/atomic_file.hpp"
#include "notewise/io/output_run.hpp"
#include "notewise/core/resample.hpp"

namespace notewise::io {
namespace {

struct SndfileCloser {
  void operator()(SNDFILE* f) const { sf_close(f); }
};
using SndfilePtr = std::unique_ptr<SNDFILE, SndfileCloser>;

std::string sndfile_log(SNDFILE* f) {
  std::vector<char> log(8192, '\0');
  sf_command(f, SFC_GET_LOG_INFO, log.data(), static_cast<int>(log.size()));
  return std::string(log.data());
}

// True when libsndfile's header log reports a data chunk larger than the file: it then says
// "data : <header size> (should be <real size>)" or "... too large".
bool data_chunk_truncated(const std::string& log) {
  std::size_t start = 0;
  while (start < log.size()) {
    std::size_t end = log.find('\n', start);
    if (end == std::string::npos) end = log.size();
    const std::string line = log.substr(start, end - start);
    const bool data_line = line.rfind("data", 0) == 0 || line.rfind("SSND", 0) == 0;
    if ((data_line && line.find("should be") != std::string::npos) || line.find("too large") != std::string::npos ||
        line.find("runcated") != std::string::npos)
      return true;
    start = end + 1;
  }
  return false;
}

// libmpg123 (behind libsndfile's MP3 support) prints its own complaints about a corrupt stream
// on stderr, before notewise's one-line error. While libsndfile decodes, stderr goes to
// /dev/null; what went wrong is reported through sf_strerror and our checks instead.
class QuietStderr {
 public:
  QuietStderr() {
    std::fflush(stderr);
    saved_ = ::dup(2);
    const int null = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (saved_ >= 0 && null >= 0) ::dup2(null, 2);
    if (null >= 0) ::close(null);
  }
  ~QuietStderr() {
    if (saved_ >= 0) {
      ::dup2(saved_, 2);
      ::close(saved_);
    }
  }
  QuietStderr(const QuietStderr&) = delete;
  QuietStderr& operator=(const QuietStderr&) = delete;

 private:
  int saved_ = -1;
};

// The checks every opened file passes before anything is sized from its header: libsndfile
// quietly shortens a WAV/AIFF whose header promises more data than the file holds (its log is
// the only place that says so), and header values bound the buffers and STFTs made later.
void check_opened(const std::string& path, SNDFILE* f, const SF_INFO& info) {
  if (data_chunk_truncated(sndfile_log(f)))
    throw IoError(path, "audio file is truncated (header promises more data than the file holds)");
  if (info.channels < 1) throw IoError(path, "audio file has no channels");
  if (info.channels > kMaxChannels)
    throw IoError(path, "audio file claims " + std::to_string(info.channels) + " channels (at most " +
                            std::to_string(kMaxChannels) + ")");
  if (info.samplerate < kMinSampleRate || info.samplerate > kMaxSampleRate)
    throw IoError(path, "audio file claims a sample rate of " + std::to_string(info.samplerate) + " Hz (expected " +
                            std::to_string(kMinSampleRate) + " .. " + std::to_string(kMaxSampleRate) + " Hz)");
  if (info.frames <= 0) throw IoError(path, "audio file holds no samples (zero length)");
}

// Why libsndfile could not open an existing file, where its own reason is true: its MPEG
// decoder reports a file that is not MP3 as "File does not exist".
std::string open_failure() {
  const std::string why = sf_strerror(nullptr);
  const bool misleading = why.empty() || why.find("does not exist") != std::string::npos || why.find("No Error") != std::string::npos;
  return "cannot read audio (unrecognised or corrupt file)" + (misleading ? std::string() : ": " + why);
}

}  // namespace

VectorXf Audio::mono() const {
  if (channels() == 1) return samples.col(0);
  return samples.rowwise().mean();
}

Audio read_audio(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) throw IoError(path, "no such file");
  if (std::filesystem::is_directory(path, ec)) throw IoError(path, "is a folder, not an audio file");
  const auto file_size = std::filesystem::file_size(path, ec);
  if (ec) throw IoError(path, "cannot read audio: " + ec.message());
  QuietStderr quiet;
  SF_INFO info{};
  SndfilePtr file(sf_open(path.c_str(), SFM_READ, &info));
  if (!file) throw IoError(path, open_failure());
  check_opened(path, file.get(), info);  // a truncated file is reported, not half-used
  // Integer PCM read as float is scaled to [-1, 1]; float files pass through unchanged.
  sf_command(file.get(), SFC_SET_NORM_FLOAT, nullptr, SF_TRUE);

  // Read in blocks: some formats (MP3, OGG) only estimate the frame count up front, so the
  // header's count is only a hint, capped by what a file of this size can plausibly decode to.
  std::vector<float> interleaved;
  const double hint = std::min(static_cast<double>(info.frames) * info.channels, 16.0 * static_cast<double>(file_size));
  interleaved.reserve(static_cast<std::size_t>(std::min(hint, static_cast<double>(kMaxAudioSamples))));
  std::vector<float> block(static_cast<std::size_t>(65536) * info.channels);
  for (;;) {
    const sf_count_t got = sf_readf_float(file.get(), block.data(), 65536);
    if (got <= 0) break;
    if (interleaved.size() + static_cast<std::size_t>(got * info.channels) > static_cast<std::size_t>(kMaxAudioSamples))
      throw IoError(path, "audio file is too long (more than " + std::to_string(kMaxAudioSamples) + " samples)");
    interleaved.insert(interleaved.end(), block.begin(), block.begin() + got * info.channels);
  }
  if (sf_error(file.get()) != SF_ERR_NO_ERROR)
    throw IoError(path, std::string("error while reading audio: ") + sf_strerror(file.get()));
  const Index frames = static_cast<Index>(interleaved.size()) / info.channels;
  if (frames == 0) throw IoError(path, "audio file holds no samples (zero length)");
  if (frames < info.frames && (info.format & SF_FORMAT_TYPEMASK) != SF_FORMAT_MPEG &&
      (info.format & SF_FORMAT_TYPEMASK) != SF_FORMAT_OGG)
    throw IoError(path, "audio file is truncated (read " + std::to_string(frames) + " of " +
                            std::to_string(info.frames) + " frames)");

  Audio audio;
  audio.sample_rate = info.samplerate;
  audio.samples.resize(frames, info.channels);
  for (Index i = 0; i < frames; ++i)
    for (int c = 0; c < info.channels; ++c) {
      const float v = interleaved[static_cast<std::size_t>(i) * info.channels + c];
      if (!std::isfinite(v))
        throw IoError(path, "audio holds a non-finite sample (NaN or Inf) at frame " + std::to_string(i));
      // Float files may exceed full scale, but not by orders of magnitude: powers of such values
      // overflow float later and would be blamed on an output.
      if (std::abs(v) > kMaxSampleMagnitude)
        throw IoError(path, "audio holds a sample of " + std::to_string(v) + " at frame " + std::to_string(i) +
                                " (at most +-" + std::to_string(static_cast<int>(kMaxSampleMagnitude)) +
                                "; full scale is 1)");
      audio.samples(i, c) = v;
    }
  return audio;
}

AudioInfo read_audio_info(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) throw IoError(path, "no such file");
  if (std::filesystem::is_directory(path, ec)) throw IoError(path, "is a folder, not an audio file");
  QuietStderr quiet;
  SF_INFO info{};
  SndfilePtr file(sf_open(path.c_str(), SFM_READ, &info));
  if (!file) throw IoError(path, open_failure());
  return {static_cast<long long>(info.frames), info.samplerate, info.channels};
}

VectorXf mono_at(const Audio& audio, int rate) {
  if (rate == 0 || rate == audio.sample_rate) return audio.mono();
  return resample(audio.mono(), audio.sample_rate, rate).col(0);
}

VectorXf read_mono(const std::string& path, int rate, AudioInfo* info) {
  AudioReader reader(path);
  if (info) *info = {static_cast<long long>(reader.frames()), reader.sample_rate(), reader.channels()};
  if (!reader.seekable()) {  // MP3, Ogg: the header only estimates the length
    const Audio audio = read_audio(path);
    if (info) *info = {static_cast<long long>(audio.frames()), audio.sample_rate, audio.channels()};
    return mono_at(audio, rate);
  }
  // Block by block: an hour of 44.1 kHz stereo, its mix-down and its resampled copy held whole
  // were 2 GB of the 3.7 GB the alignment of one took.
  try {
    return mix_down_resampled([&](Index start, Eigen::Ref<MatrixXf> out) { reader.read(start, out); }, reader.frames(),
                              reader.channels(), reader.sample_rate(), rate == 0 ? reader.sample_rate() : rate);
  } catch (const InvalidArgument& e) {
    throw IoError(path, e.what());
  }
}

SampleFormat parse_sample_format(const std::string& name) {
  if (name == "pcm16") return SampleFormat::Pcm16;
  if (name == "pcm24") return SampleFormat::Pcm24;
  if (name == "float32") return SampleFormat::Float32;
  throw InvalidArgument("sample format '" + name + "': must be pcm16, pcm24 or float32");
}

FileFormat parse_file_format(const std::string& extension) {
  std::string e = extension.rfind('.', 0) == 0 ? extension.substr(1) : extension;
  for (char& c : e) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (e == "wav") return FileFormat::Wav;
  if (e == "flac") return FileFormat::Flac;
  if (e == "ogg" || e == "oga") return FileFormat::Ogg;
  if (e == "opus") return FileFormat::Opus;
  if (e == "mp3") return FileFormat::Mp3;
  if (e == "aiff" || e == "aif") return FileFormat::Aiff;
  throw InvalidArgument("audio format '" + extension + "': expected one of " + kFileFormatNames);
}

FileFormat file_format_of(const std::string& path) {
  const std::string ext = std::filesystem::path(path).extension().string();
  if (ext.empty()) throw InvalidArgument(path + ": no extension to tell the audio format (" + kFileFormatNames + ")");
  try {
    return parse_file_format(ext);
  } catch (const InvalidArgument&) {
    throw InvalidArgument(path + ": unknown audio extension '" + ext + "' (expected .wav, .flac, .ogg, .opus, .mp3 or .aiff)");
  }
}

std::string extension_of(FileFormat format) {
  switch (format) {
    case FileFormat::Wav: return "wav";
    case FileFormat::Flac: return "flac";
    case FileFormat::Ogg: return "ogg";
    case FileFormat::Opus: return "opus";
    case FileFormat::Mp3: return "mp3";
    case FileFormat::Aiff: return "aiff";
  }
  return "wav";
}

bool is_lossy(FileFormat f) { return f == FileFormat::Ogg || f == FileFormat::Opus || f == FileFormat::Mp3; }

void Encoding::validate() const {
  if (format == FileFormat::Flac && sample == SampleFormat::Float32)
    throw InvalidArgument("FLAC holds integer samples: use pcm16 or pcm24, or WAV/AIFF for float32");
  if (!(quality >= 0 && quality <= 10)) throw InvalidArgument("quality " + std::to_string(quality) + ": must be in 0 .. 10");
}

int stored_rate(FileFormat format, int rate) {
  static const std::vector<int> opus{8000, 12000, 16000, 24000, 48000};
  static const std::vector<int> mp3{8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000};
  const std::vector<int>* rates = format == FileFormat::Opus ? &opus : format == FileFormat::Mp3 ? &mp3 : nullptr;
  if (rates == nullptr) return rate;
  const auto it = std::lower_bound(rates->begin(), rates->end(), rate);
  return it == rates->end() ? 48000 : *it;
}

void check_channels(const std::string& path, FileFormat f, Index channels) {
  const int max_channels = f == FileFormat::Mp3 ? 2 : f == FileFormat::Flac ? 8 : f == FileFormat::Opus ? 8 : kMaxChannels;
  if (channels > max_channels)
    throw InvalidArgument(path + ": " + extension_of(f) + " holds at most " + std::to_string(max_channels) + " channels, not " +
                          std::to_string(channels));
}

namespace {

// tmp opened for writing in the encoding (compression level, clipping set); IoError naming path.
SNDFILE* open_for_writing(const std::string& path, const std::string& tmp, int channels, int rate, const Encoding& encoding) {
  const FileFormat f = encoding.format;
  const int subtype = encoding.sample == SampleFormat::Pcm16 ? SF_FORMAT_PCM_16
                      : encoding.sample == SampleFormat::Pcm24 ? SF_FORMAT_PCM_24
                                                                : SF_FORMAT_FLOAT;
  int sf_format = 0;
  switch (f) {
    case FileFormat::Wav: sf_format = SF_FORMAT_WAV | subtype; break;
    case FileFormat::Aiff: sf_format = SF_FORMAT_AIFF | subtype; break;
    case FileFormat::Flac: sf_format = SF_FORMAT_FLAC | subtype; break;
    case FileFormat::Ogg: sf_format = SF_FORMAT_OGG | SF_FORMAT_VORBIS; break;
    case FileFormat::Opus: sf_format = SF_FORMAT_OGG | SF_FORMAT_OPUS; break;
    case FileFormat::Mp3: sf_format = SF_FORMAT_MPEG | SF_FORMAT_MPEG_LAYER_III; break;
  }
  SF_INFO info{};
  info.samplerate = rate;
  info.channels = channels;
  info.format = sf_format;
  SNDFILE* file = sf_open(tmp.c_str(), SFM_WRITE, &info);
  if (!file) throw IoError(path, std::string("cannot write audio: ") + sf_strerror(nullptr));
  if (is_lossy(f)) {
    // libsndfile's compression level runs the other way: 0 is the highest bit rate.
    double level = 1.0 - encoding.quality / 10.0;
    sf_command(file, SFC_SET_COMPRESSION_LEVEL, &level, sizeof level);
  }
  // Clip rather than wrap around when a float beyond full scale becomes an integer.
  sf_command(file, SFC_SET_CLIPPING, nullptr, SF_TRUE);
  // No PEAK chunk in float WAV/AIFF: it holds the time of writing (seconds), so the same run
  // gave different bytes; without it the same samples make the same file.
  sf_command(file, SFC_SET_ADD_PEAK_CHUNK, nullptr, SF_FALSE);
  return file;
}
}  // namespace

int write_audio(const std::string& path, const Eigen::Ref<const MatrixXf>& samples, int sample_rate,
                const Encoding& encoding, bool overwrite) {
  require(sample_rate > 0, "sample_rate", sample_rate, "> 0");
  require(samples.cols() >= 1, "channels", static_cast<double>(samples.cols()), ">= 1");
  encoding.validate();
  if (!samples.allFinite()) throw InvalidArgument(path + ": refusing to write non-finite samples (an internal error)");
  const FileFormat f = encoding.format;
  check_channels(path, f, samples.cols());
  const int rate = stored_rate(f, sample_rate);
  const MatrixXf resampled = rate == sample_rate ? MatrixXf() : resample(samples, sample_rate, rate);
  const Eigen::Ref<const MatrixXf> data = rate == sample_rate ? samples : Eigen::Ref<const MatrixXf>(resampled);
  write_atomically(path, overwrite, [&](const std::string& tmp) {
    SndfilePtr file(open_for_writing(path, tmp, static_cast<int>(data.cols()), rate, encoding));
    const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> interleaved = data;
    const sf_count_t written = sf_writef_float(file.get(), interleaved.data(), data.rows());
    if (written != data.rows()) throw IoError(path, std::string("cannot write audio: ") + sf_strerror(file.get()));
    if (sf_close(file.release()) != 0) throw IoError(path, "cannot finish writing audio");
  });
  return rate;
}

void write_wav(const std::string& path, const Eigen::Ref<const MatrixXf>& samples, int sample_rate,
               SampleFormat format, bool overwrite) {
  Encoding e;
  e.format = FileFormat::Wav;
  e.sample = format;
  write_audio(path, samples, sample_rate, e, overwrite);
}

namespace {

// libsndfile virtual I/O over a growing string (the encoder seeks back to patch headers).
struct MemoryFile {
  std::string bytes;
  sf_count_t pos = 0;
};

sf_count_t mem_length(void* u) { return static_cast<sf_count_t>(static_cast<MemoryFile*>(u)->bytes.size()); }
sf_count_t mem_seek(sf_count_t offset, int whence, void* u) {
  auto* m = static_cast<MemoryFile*>(u);
  const sf_count_t base = whence == SEEK_SET ? 0 : whence == SEEK_CUR ? m->pos : static_cast<sf_count_t>(m->bytes.size());
  m->pos = std::max<sf_count_t>(0, base + offset);
  return m->pos;
}
sf_count_t mem_read(void* ptr, sf_count_t count, void* u) {
  auto* m = static_cast<MemoryFile*>(u);
  const sf_count_t n = std::max<sf_count_t>(0, std::min<sf_count_t>(count, static_cast<sf_count_t>(m->bytes.size()) - m->pos));
  if (n > 0) std::memcpy(ptr, m->bytes.data() + m->pos, static_cast<std::size_t>(n));
  m->pos += n;
  return n;
}
sf_count_t mem_write(const void* ptr, sf_count_t count, void* u) {
  auto* m = static_cast<MemoryFile*>(u);
  const auto end = static_cast<std::size_t>(m->pos + count);
  if (end > m->bytes.size()) m->bytes.resize(end);
  std::memcpy(m->bytes.data() + m->pos, ptr, static_cast<std::size_t>(count));
  m->pos += count;
  return count;
}
sf_count_t mem_tell(void* u) { return static_cast<MemoryFile*>(u)->pos; }

}  // namespace

std::string encode_mp3(const Eigen::Ref<const MatrixXf>& samples, int sample_rate, double quality) {
  if (samples.size() == 0) throw InvalidArgument("encode_mp3: the signal is empty");
  static const int rates[] = {8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000};
  if (std::find(std::begin(rates), std::end(rates), sample_rate) == std::end(rates))
    throw InvalidArgument("encode_mp3: MP3 cannot carry a sample rate of " + std::to_string(sample_rate) + " Hz");
  if (samples.cols() > 2) throw InvalidArgument("encode_mp3: MP3 carries at most 2 channels");
  MemoryFile mem;
  SF_VIRTUAL_IO io{mem_length, mem_seek, mem_read, mem_write, mem_tell};
  SF_INFO info{};
  info.samplerate = sample_rate;
  info.channels = static_cast<int>(samples.cols());
  info.format = SF_FORMAT_MPEG | SF_FORMAT_MPEG_LAYER_III;
  SNDFILE* f = sf_open_virtual(&io, SFM_WRITE, &info, &mem);
  if (f == nullptr) throw IoError("(MP3 encoder)", std::string("cannot start: ") + sf_strerror(nullptr));
  double level = std::clamp(1.0 - quality, 0.0, 1.0);
  sf_command(f, SFC_SET_COMPRESSION_LEVEL, &level, sizeof level);
  // Interleaved, clipped to full scale (the encoder's input range), in blocks.
  const Index frames = samples.rows(), C = samples.cols(), block = 8192;
  std::vector<float> buf(static_cast<std::size_t>(block * C));
  for (Index a = 0; a < frames; a += block) {
    const Index n = std::min(block, frames - a);
    for (Index i = 0; i < n; ++i)
      for (Index c = 0; c < C; ++c) buf[static_cast<std::size_t>(i * C + c)] = std::clamp(samples(a + i, c), -1.0f, 1.0f);
    if (sf_writef_float(f, buf.data(), n) != n) {
      const std::string why = sf_strerror(f);
      sf_close(f);
      throw IoError("(MP3 encoder)", "encoding failed: " + why);
    }
  }
  sf_close(f);
  return mem.bytes;
}


AudioReader::AudioReader(const std::string& path) : path_(path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) throw IoError(path, "no such file");
  if (std::filesystem::is_directory(path, ec)) throw IoError(path, "is a folder, not an audio file");
  QuietStderr quiet;
  SF_INFO info{};
  SNDFILE* f = sf_open(path.c_str(), SFM_READ, &info);
  if (!f) throw IoError(path, open_failure());
  file_ = f;
  try {
    check_opened(path, f, info);
    if (static_cast<double>(info.frames) * info.channels > static_cast<double>(kMaxAudioSamples))
      throw IoError(path, "audio file is too long (more than " + std::to_string(kMaxAudioSamples) + " samples)");
  } catch (...) {
    sf_close(f);
    file_ = nullptr;
    throw;
  }
  sf_command(f, SFC_SET_NORM_FLOAT, nullptr, SF_TRUE);
  rate_ = info.samplerate;
  channels_ = info.channels;
  frames_ = static_cast<Index>(info.frames);
  const int type = info.format & SF_FORMAT_TYPEMASK;
  seekable_ = info.seekable && type != SF_FORMAT_MPEG && type != SF_FORMAT_OGG;
}

AudioReader::~AudioReader() {
  if (file_) sf_close(static_cast<SNDFILE*>(file_));
}

void AudioReader::read(Index start, Eigen::Ref<MatrixXf> out) {
  if (out.cols() != channels_) throw InvalidArgument(path_ + ": read into " + std::to_string(out.cols()) + " channels, not " + std::to_string(channels_));
  if (start < 0 || start + out.rows() > frames_)
    throw InvalidArgument(path_ + ": frames " + std::to_string(start) + " + " + std::to_string(out.rows()) + " outside 0 .. " +
                          std::to_string(frames_));
  if (out.rows() == 0) return;
  SNDFILE* f = static_cast<SNDFILE*>(file_);
  QuietStderr quiet;
  if (sf_seek(f, static_cast<sf_count_t>(start), SEEK_SET) != start)
    throw IoError(path_, "cannot seek to frame " + std::to_string(start) + ": " + sf_strerror(f));
  buffer_.resize(static_cast<std::size_t>(out.rows()) * channels_);
  const sf_count_t got = sf_readf_float(f, buffer_.data(), out.rows());
  if (got != out.rows())
    throw IoError(path_, "audio file is truncated (read " + std::to_string(start + std::max<sf_count_t>(got, 0)) + " of " +
                             std::to_string(frames_) + " frames)");
  for (Index i = 0; i < out.rows(); ++i)
    for (int c = 0; c < channels_; ++c) {
      const float v = buffer_[static_cast<std::size_t>(i) * channels_ + c];
      if (!std::isfinite(v))
        throw IoError(path_, "audio holds a non-finite sample (NaN or Inf) at frame " + std::to_string(start + i));
      if (std::abs(v) > kMaxSampleMagnitude)
        throw IoError(path_, "audio holds a sample of " + std::to_string(v) + " at frame " + std::to_string(start + i) +
                                 " (at most +-" + std::to_string(static_cast<int>(kMaxSampleMagnitude)) + "; full scale is 1)");
      out(i, c) = v;
    }
}

AudioWriter::AudioWriter(const std::string& path, int channels, int sample_rate, const Encoding& encoding, bool overwrite,
                         bool followable)
    : path_(path), channels_(channels) {
  require(sample_rate > 0, "sample_rate", sample_rate, "> 0");
  require(channels >= 1, "channels", channels, ">= 1");
  encoding.validate();
  check_channels(path, encoding.format, channels);
  if (!streams(encoding, sample_rate))
    throw InvalidArgument(path + ": " + extension_of(encoding.format) + " does not store " + std::to_string(sample_rate) +
                          " Hz: write it whole (write_audio resamples)");
  check_writable(path, overwrite);
  const std::filesystem::path target(path);
  std::random_device rd;
  // As write_atomically: hidden, in the same folder, the extension last.
  tmp_ = followable ? path + ".part"
                    : (target.parent_path() / ("." + target.stem().string() + ".tmp" + std::to_string(rd() % 1000000) +
                                               target.extension().string())).string();
  slot_ = register_cleanup(tmp_, 0);
  try {
    file_ = open_for_writing(path, tmp_, channels, sample_rate, encoding);
    if (followable && (encoding.format == FileFormat::Wav || encoding.format == FileFormat::Aiff))
      sf_command(static_cast<SNDFILE*>(file_), SFC_SET_UPDATE_HEADER_AUTO, nullptr, SF_TRUE);
  } catch (...) {
    unregister_cleanup(slot_);
    std::error_code ignore;
    std::filesystem::remove(tmp_, ignore);
    throw;
  }
}

AudioWriter::~AudioWriter() {
  if (file_) sf_close(static_cast<SNDFILE*>(file_));
  if (!committed_) {
    std::error_code ignore;
    std::filesystem::remove(tmp_, ignore);
  }
  if (slot_ >= 0) unregister_cleanup(slot_);
}

void AudioWriter::write(const Eigen::Ref<const MatrixXf>& part) {
  if (!file_ || committed_) throw InvalidArgument(path_ + ": written after commit");
  if (part.cols() != channels_) throw InvalidArgument(path_ + ": " + std::to_string(part.cols()) + " channels, not " + std::to_string(channels_));
  if (!part.allFinite()) throw InvalidArgument(path_ + ": refusing to write non-finite samples (an internal error)");
  buffer_.resize(static_cast<std::size_t>(part.size()));
  for (Index i = 0; i < part.rows(); ++i)
    for (int c = 0; c < channels_; ++c) buffer_[static_cast<std::size_t>(i) * channels_ + c] = part(i, c);
  SNDFILE* f = static_cast<SNDFILE*>(file_);
  if (sf_writef_float(f, buffer_.data(), part.rows()) != part.rows())
    throw IoError(path_, std::string("cannot write audio: ") + sf_strerror(f));
}

void AudioWriter::commit() {
  if (!file_ || committed_) throw InvalidArgument(path_ + ": committed twice");
  const int closed = sf_close(static_cast<SNDFILE*>(file_));
  file_ = nullptr;
  if (closed != 0) throw IoError(path_, "cannot finish writing audio");
  std::error_code ec;
  std::filesystem::rename(tmp_, path_, ec);
  if (ec) throw IoError(path_, "cannot write: " + ec.message());
  committed_ = true;
}

StemFiles::StemFiles(std::vector<std::string> paths, Index frames, int channels, int sample_rate, const Encoding& encoding,
                     bool whole, bool overwrite)
    : paths_(std::move(paths)), frames_(frames), channels_(channels), rate_(sample_rate), encoding_(encoding), overwrite_(overwrite),
      filled_(paths_.size(), 0), sum_squares_(paths_.size(), 0.0) {
  whole = whole || !AudioWriter::streams(encoding, sample_rate);
  for (const auto& path : paths_) {
    if (whole) stems_.emplace_back(frames, channels);
    else writers_.push_back(std::make_unique<AudioWriter>(path, channels, sample_rate, encoding, overwrite));
  }
}

void StemFiles::add(std::size_t k, const Eigen::Ref<const MatrixXf>& part) {
  sum_squares_[k] += part.cast<double>().squaredNorm();
  if (writers_.empty()) stems_[k].middleRows(filled_[k], part.rows()) = part;
  else writers_[k]->write(part);
  filled_[k] += part.rows();
}

int StemFiles::finish() {
  int rate = rate_;
  for (auto& w : writers_) w->commit();
  for (std::size_t k = 0; k < stems_.size(); ++k) rate = write_audio(paths_[k], stems_[k], rate_, encoding_, overwrite_);
  return rate;
}

std::vector<double> StemFiles::rms() const {
  std::vector<double> r;
  for (double ss : sum_squares_) r.push_back(std::sqrt(ss / std::max<double>(1, static_cast<double>(frames_) * channels_)));
  return r;
}

}  // namespace notewise::io
