// libFuzzer target: read_audio (libsndfile: WAV, FLAC, OGG, MP3, AIFF, ... by content) turns any
// bytes into audio within the documented bounds, or an IoError; never a crash or a sanitizer
// report in our code, and never an allocation sized by a header's claim alone.
#include <cmath>
#include <cstddef>
#include <cstdint>

#include "fuzz_common.hpp"
#include "notewise/core/error.hpp"
#include "notewise/io/audio.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  notewise::fuzz::MemFile f(data, size);
  try {
    const notewise::io::Audio a = notewise::io::read_audio(f.path());
    if (a.frames() < 1 || a.channels() < 1 || a.channels() > notewise::io::kMaxChannels) __builtin_trap();
    if (a.sample_rate < notewise::io::kMinSampleRate || a.sample_rate > notewise::io::kMaxSampleRate) __builtin_trap();
    if (!a.samples.allFinite() || a.samples.cwiseAbs().maxCoeff() > notewise::io::kMaxSampleMagnitude) __builtin_trap();
  } catch (const notewise::Error&) {
  }
  return 0;
}
