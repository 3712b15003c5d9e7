#pragma once
// The peak memory a run of the pipeline (pipeline.hpp) needs, estimated before any sample is
// decoded: from what an audio file's header says (length, rate, channels), the score (groups,
// template rows) and the options (n_fft, hop, analysis rate). Front ends compare it with the
// memory they may use and refuse a run that cannot fit, before any output is written.
//
// The estimate adds the matrices the pipeline holds at once in its largest phase (see
// docs/PERFORMANCE.md for the terms and how they compare with measured peak RSS); a fixed part
// covers the program and libraries. Pure arithmetic: no I/O, thread safe.
#include <string>
#include <vector>

#include "notewise/pipeline/pipeline.hpp"

namespace notewise {

struct MemoryPart {
  std::string what;    // e.g. "spectrogram V and NMF work space"
  double bytes = 0;
  std::string lower;   // how to lower it, naming the setting (e.g. "a larger {setting:hop}")
};

struct MemoryEstimate {
  double bytes = 0;               // the estimated peak
  std::vector<MemoryPart> parts;  // the phase at the peak, largest part first
};

// frames x channels at sample_rate: the recording (as its header says). resynthesise: with
// stems (separate, edit); without (decompose, views). streamed: the recording is read block by
// block (analysis_signal) and the stems handed on block by block (separate_prepared with a
// source and a sink), so neither is held whole; with options.model.keep_views false neither are
// V and the masks after the decomposition. options.model.view_columns > 0 adds the views
// (views.hpp). stems_whole: streamed, but the stems are still kept whole (the report's listening
// copies of a short run). spilled: V kept in a store outside memory (separate_prepared's
// `spectrogram`), so the NMF holds one segment of it. Throws InvalidArgument for sizes <= 0.
MemoryEstimate estimate_memory(long long frames, int sample_rate, int channels, const Score& score,
                               const PipelineOptions& options, bool resynthesise = true, bool streamed = false,
                               bool stems_whole = false, bool spilled = false);

// The size of V (bins x frames, float) for a recording of `frames` at `sample_rate`.
double spectrogram_bytes(long long frames, int sample_rate, const PipelineOptions& options);

// Where V is kept, decided once, before the recording is decoded, for a front end that reads
// a file block by block (streamed) and can give the NMF a store (can_spill: spills_spectrogram
// and a place for a temporary file). spectrogram: the setting, "memory" | "disk" | "auto" (disk
// when V exceeds kSpectrogramInMemory or the run would not fit `limit` otherwise). Then the
// honest limit: a run whose estimate exceeds limit bytes (> 0; limit_source says where the
// limit came from, e.g. "MemAvailable") throws Error naming audio_name, the estimate and its
// largest part, so that it stops before any output is written instead of being killed half-way.
// The other arguments as estimate_memory's.
struct SpectrogramPlan {
  bool on_disk = false;
  Decision decision;  // Decisions::spectrogram
};
SpectrogramPlan plan_spectrogram(long long frames, int sample_rate, int channels, const Score& score,
                                 const PipelineOptions& options, const std::string& spectrogram, double limit,
                                 const std::string& limit_source, const std::string& audio_name, bool resynthesise,
                                 bool streamed, bool stems_whole, bool can_spill);

// Auto keeps V in memory up to this size (about 24 minutes at the defaults) and puts it on disk
// above, where memory would otherwise grow with the recording. On disk the NMF reads V through
// a mapping of the page cache, within a few per cent of its time in memory (docs/PERFORMANCE.md);
// short runs keep it in memory all the same, so that nothing touches the disk for them.
constexpr double kSpectrogramInMemory = 512e6;

// /proc/meminfo's MemAvailable in bytes; 0 where it cannot be read (then nothing is refused).
double memory_available();

// "4.24 GB", "435 MB" (decimal units, as /usr/bin/time and free -h near enough).
std::string format_bytes(double bytes);

// "4G", "500M", "2.5GB", "123456" (bytes) -> bytes; throws InvalidArgument naming the text.
double parse_bytes(const std::string& text);

}  // namespace notewise
