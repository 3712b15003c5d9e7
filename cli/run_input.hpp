#pragma once
// What separate, decompose and edit share: their model options (as the library's
// PipelineOptions), and reading a recording with its score into the library's pipeline
// (pipeline/pipeline.hpp), whose messages are printed here.
#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "commands.hpp"
#include "model_args.hpp"
#include "report_run.hpp"  // timbre_json, fit_json, index_json, loss_csv: the library's (report/run_json.hpp)
#include "notewise/io/audio.hpp"
#include "notewise/io/score_io.hpp"
#include "notewise/pipeline/pipeline.hpp"

namespace notewise::cli {

// A recording read from its file and prepared by the library (mixed down, resampled, aligned,
// fitted, cut, timbre planned, grouped).
struct Input : PreparedRecording {
  io::Audio audio;  // whole, or (streamed) only its sample_rate: the samples come from reader
  std::shared_ptr<io::AudioReader> reader;  // the recording read block by block (stream)
  Index frames = 0;                         // the recording's length and channels, either way
  int channels = 0;
  double seconds() const { return audio.sample_rate > 0 ? static_cast<double>(frames) / audio.sample_rate : 0.0; }
  SampleSource source() const;              // blocks of the recording (reader or audio.samples)
  std::vector<std::pair<double, double>> warp;  // score s -> audio s (with --align)
  double align_cost = -1;                       // normalised path cost (with --align)
  io::ScoreFile score_file;                     // what reading the score found (its .score moved out)
  // V goes to a temporary file (io::ColumnFile) and the NMF reads it a segment at a time
  // (--spectrogram disk, or auto for a large V or a run that would not fit otherwise).
  bool spectrogram_on_disk = false;
};

// Reads audio and score, then prepare_recording (which warns about and cuts a score that runs
// past the audio's end, and errors if no note is left); prints its messages. The timbre
// sources it planned go into m.options too (the report's alpha_used depends on them).
// mute: edit's --mute selection (a first group "(muted)").
// Before the audio is decoded, the run's peak memory is estimated (pipeline/memory.hpp) from the
// file's header; more than --max-memory (or MemAvailable) is an error naming the size and the
// option that lowers it. resynthesise: false for decompose (no stems).
// stream: read the recording block by block where its format allows (a seekable file with an
// exact length: WAV, FLAC, AIFF, ...; not MP3 or Ogg), so audio.samples stays empty and the
// caller resynthesises from source(); else it is read whole, as without.
Input load_input(const std::string& audio_path, ModelArgs& m, const Globals& g, const std::string& mute = "",
                 bool resynthesise = true, bool stream = false);

// The advice for a score that does not fit (the library's ScoreMismatch, worded with the flags).
std::string mismatch_advice(const ScoreMismatch& e);

// ParseError naming `path` if a pitch of the score lies outside the piano models' 88 keys
// (`what`: whose range, for the message).
void require_piano_range(const Score& score, const std::string& path, const std::string& what);

// "kl" | "euclidean" | "is" | "beta=B" -> the divergence fields of `o`; InvalidArgument otherwise.
void set_divergence(const std::string& loss, nmf::Options& o);

// Seconds since `start`.
double seconds_since(std::chrono::steady_clock::time_point start);
// The process's CPU time so far (user + system, all threads), seconds.
double cpu_seconds();

// NMF progress on stderr for a run of `iterations`.
nmf::Callback nmf_progress(class ProgressBar& bar, int iterations);

}  // namespace notewise::cli
