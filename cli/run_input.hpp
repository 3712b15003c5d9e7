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
#include "report_run.hpp"  // timbre_json, fit_json, index_json, loss_csv: the library's (report/run_json.hpp)
#include "notewise/io/audio.hpp"
#include "notewise/io/score_io.hpp"
#include "notewise/pipeline/pipeline.hpp"

namespace notewise::cli {

struct ModelArgs {
  std::string score;
  std::string loss = "kl";
  std::string label_by = "auto";
  std::string path = "auto";
  std::string method = "nmf";
  std::string nae_optimizer = "auto";
  std::string nae_start = "templates";
  int nae_epochs = 200;  // autoencoder methods' epochs when --iterations is not given
  std::string model;  // --model: a trained piano model's folder
  bool pedal = false;
  bool no_onsets = false;
  bool align = false;       // --align: synchronise the score with the audio first
  bool align_auto = PipelineOptions{}.align_auto;  // --align=auto (the default): only when the score does not fit as given
  bool as_given = false;    // --align=no: use the score as given even where it does not fit
  std::string align_mode;   // as given: "" (not given), yes, auto, no
  bool align_by_default = false;  // a MusicXML score without --align: aligned (and said so)
  int rate = 22050;
  std::vector<std::string> groups;
  // Drum notes: classes | kit | ignore (PipelineOptions::Drums). Only separate models them
  // (its --drums, default classes); the other commands leave them out.
  std::string drums = "ignore";
  std::string preset = "tuned";
  std::string max_memory;                 // --max-memory SIZE (else /proc/meminfo MemAvailable)
  std::string spectrogram = "auto";       // --spectrogram memory | disk | auto (commands that stream)
  std::string timbre = "auto";            // --timbre (libfmp preset: shared)
  std::vector<std::string> instruments;   // --instrument LABEL=FAMILY
  bool explicit_band = false;             // --tolerance/--tolerance-cents given: every source uses it
  bool explicit_partials = false;         // --partials given: every source uses it
  SeparationOptions options = SeparationOptions::tuned();
  CLI::App* cmd = nullptr;

  // Registers the options on a subcommand (with_groups: --group too; with_model: --model;
  // with_score: --score and --align, which a command with several scores registers itself).
  void add_to(CLI::App& cmd, bool with_groups, bool with_model = false, bool with_score = true);
  // --spectrogram, for the commands whose NMF can read V from a temporary file (separate, edit).
  void add_spectrogram_option(CLI::App& cmd);
  // Fills `options` from the flags; throws InvalidArgument for bad values.
  void finish();
  // validate_options(finish), then reads --model if given (IoError/ParseError naming the file)
  // and takes its geometry and constraints (a usage error if explicit options contradict them).
  void prepare();
  nlohmann::json to_json() const;
  // --label-by and --pedal as the score readers take them.
  io::MidiOptions midi_options() const;
  // The library pipeline's options for these flags (after finish/prepare); names for messages.
  PipelineOptions pipeline_options(const std::string& audio_name) const;
  // The inverse of to_json (for re-running a recorded run); then call finish().
  static ModelArgs from_json(const nlohmann::json& j);
};

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

// NMF progress on stderr for a run of `iterations`.
nmf::Callback nmf_progress(class ProgressBar& bar, int iterations);

}  // namespace notewise::cli
