#include "audio_out.hpp"

#include "notewise/core/error.hpp"
#include "progress.hpp"

namespace notewise::cli {

void AudioOutArgs::add_to(CLI::App& cmd) {
  sample_option = cmd.add_option("--format", sample, "Sample format of WAV, FLAC and AIFF output: pcm16 | pcm24 | float32 (not FLAC)")
                      ->capture_default_str()
                      ->check(CLI::IsMember({"pcm16", "pcm24", "float32"}));
  quality_option = cmd.add_option("--quality", quality,
                                  "Quality of Ogg Vorbis, Opus and MP3 output, 0 (smallest) .. 10 (best). Opus stores 8, 12,\n"
                                  "16, 24 or 48 kHz, MP3 the MPEG rates (8 .. 48 kHz): an input at another rate is resampled to\n"
                                  "the next of these above it (48 kHz above the highest)")
                       ->capture_default_str()
                       ->check(CLI::Range(0.0, 10.0));
}

void StemNameArgs::add_to(CLI::App& cmd) {
  cmd.add_option("--filename", naming.pattern,
                 "Names of the per-group files: {label} (the group's name made safe for any file system), "
                 "{index} (its number from 1, zero-padded), {ext}; must end in .{ext}")
      ->capture_default_str();
  cmd.add_flag("--keep-spaces", naming.keep_spaces, "Keep spaces in file names (else they become '_')");
}

std::vector<std::string> StemNameArgs::stems(const std::vector<std::string>& names, bool tell) const {
  std::vector<std::string> renamed;
  std::vector<std::string> out = file_stems(names, naming, &renamed);
  if (tell && !renamed.empty()) {
    std::string line;
    for (const auto& r : renamed) line += (line.empty() ? "" : "; ") + r;
    warn("groups whose file names would be the same after making them safe get -2, -3, ...: " + line);
  }
  return out;
}

io::Encoding AudioOutArgs::encoding(io::FileFormat format) const {
  io::Encoding e;
  e.format = format;
  e.sample = io::parse_sample_format(sample);
  e.quality = quality;
  const std::string name = io::extension_of(format);
  if (io::is_lossy(format) && sample_option != nullptr && sample_option->count() > 0)
    throw InvalidArgument("--format " + sample + ": " + name + " is lossy and has no sample format; use --quality");
  if (!io::is_lossy(format) && quality_option != nullptr && quality_option->count() > 0)
    throw InvalidArgument("--quality: " + name + " is lossless; --quality applies to ogg, opus and mp3");
  e.validate();
  return e;
}

void check_output_channels(const std::string& audio, const std::string& out, const io::Encoding& encoding) {
  io::AudioInfo info;
  try {
    info = io::read_audio_info(audio);
  } catch (const Error&) {
    return;  // the reader says what is wrong with it, in its turn
  }
  if (info.channels > io::kMaxChannels) return;  // an input the reader refuses, naming it
  io::check_channels(out, encoding.format, info.channels);
}

}  // namespace notewise::cli
