#pragma once
// The whole run on a recording, as one library call shared by every front end (the notewise
// program, the Python module, C++ users): mix down, resample to the analysis rate, synchronise
// the score (optional), check that it fits, cut it at the audio's end, plan the timbre sources,
// group the notes, decompose, mask, and resynthesise every channel at the input's rate.
// No file I/O and no printing: what a run has to say (warnings, information) is returned in
// PreparedRecording::messages; names for those messages come from the options.
//
//   auto r = notewise::separate_recording(samples, 44100, score, {});   // samples: frames x channels
//   r.separation.stems[g]          // frames x channels at 44100 Hz, one per group (r.input.groups.names)
//   r.separation.decomposition     // W (bins x rows), H (rows x frames); row_index(...) says what each row is
//
// Thread safety: the calls share no state; run them concurrently on different inputs.
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "notewise/align/align.hpp"
#include "notewise/core/resample.hpp"
#include "notewise/align/fit.hpp"
#include "notewise/score/instrument.hpp"
#include "notewise/separation/drums.hpp"
#include "notewise/separation/groups.hpp"
#include "notewise/separation/separate.hpp"

namespace notewise {

// Which of each timbre source's own defaults (instrument.hpp) are replaced by the model
// options' uniform values: the band (constraints.tolerance / tolerance_cents), the number of
// partials, onset templates (constraints.onset_templates for all), the time after offsets
// (constraints.after). The libfmp preset replaces all four; an explicitly given option its own.
struct SourceOverrides {
  bool band = false;
  bool partials = false;
  bool onsets = false;
  bool after = false;
  static SourceOverrides all() { return {true, true, true, true}; }
};

struct PipelineOptions {
  SeparationOptions model = SeparationOptions::tuned();  // STFT, decomposition, masks (analysis rate)
  int analysis_rate = 22050;  // Hz, 1000 .. 768000: the mono mix-down is resampled to it
  // What becomes of the score's times (the first that applies):
  //   align:      synchronised with the audio first (align_score; an excerpt's recording is
  //               matched to its stretch of the score and the notes outside it left out);
  //   !check_fit: used as given, unchecked;
  //   otherwise the score is compared with the audio as given and aligned (score_fit; costs one
  //   alignment's features and DTW), and one that fits is used as given. One that does not:
  //   as_given:   used as given all the same, with a warning (the caller insists);
  //   align_auto: takes the alignment the check computed, unless that does not match the audio
  //               either (its chroma cost above AlignOptions::poor_cost) or cannot be computed
  //               (a score far longer than the recording, score_length_problem);
  //   and where none of these takes it: ScoreMismatch is thrown, before any decomposition.
  // The default (align_auto) was measured never to change the stems of a synchronised score:
  // the check leaves every one as given (docs/RESULTS.md, "Whether to align").
  bool align = false;
  bool check_fit = true;
  bool as_given = false;
  bool align_auto = true;
  Timbre timbre = Timbre::Auto;
  std::map<std::string, Family> instruments;  // label -> family (else from the program or the name)
  SourceOverrides overrides;
  std::vector<GroupSpec> groups;  // empty: one group per label
  // A selection of notes to remove (edit): its notes form a first group "(muted)"; one that
  // matches no note is an InvalidArgument. Notes no group takes go to an automatic group
  // "rest" (Grouping::automatic_rest; an information message says so).
  std::string mute;
  // The score's drum notes (is_drum: GM channel 10, MusicXML unpitched, CSV drum rows).
  //   Classes: one model with the pitched notes (separate_band: NMFD drum templates per General
  //            MIDI drum class, harmonic templates for the pitched notes; masks that sum to one),
  //            a group per class (kick, snare, hihat, toms, cymbals, percussion) after the
  //            pitched groups;
  //   Kit:     the same model, the classes' stems summed into one group "drums";
  //   Ignore:  left out of the model (a warning says how many): their sound goes to the
  //            pitched groups' masks.
  // `groups` and `mute` select among the pitched notes. A score of drum notes alone is a
  // ParseError with Classes/Kit (separate_drums is the call for a drum recording).
  enum class Drums { Classes, Kit, Ignore };
  Drums drums = Drums::Classes;
  DrumOptions drum_model;  // the drum templates (its stft is replaced by model.stft)
  // The synchronisation's options: align_recording's (the align command's) and
  // prepare_recording's when `align` is set (the fit check keeps AlignOptions' defaults).
  AlignOptions alignment;
  // Names of the inputs in messages (a file's path, or what the caller calls them).
  std::string audio_name = "the audio";
  std::string score_name = "the score";

  void validate() const;  // InvalidArgument naming the bad value

  // The FMP notebooks' model (libfmp): ConstraintOptions' plain defaults (partial weights 1/m,
  // onset window -0.3 .. +0.1 s, 0.5 s after offsets), templates learnt in every iteration,
  // one shared template per pitch, and every source's defaults replaced by those values.
  // The default-constructed options are the measured best ("tuned", SeparationOptions::tuned()).
  static PipelineOptions libfmp();
};

// A score that does not fit the recording as given, which the options do not let the pipeline
// align or use as given (PipelineOptions: align_auto, as_given). An InvalidArgument whose
// message names the score and the audio (options' names) and says why; the front ends word
// their own advice (which of their settings align or insist) from `kind`.
class ScoreMismatch : public InvalidArgument {
 public:
  enum class Kind {
    NotSynchronised,  // does not fit as given; aligning was not asked for (align_auto false)
    NotAlignable,     // does not fit, and cannot be aligned (score_length_problem)
    NoMatch,          // does not fit as given, and aligned it does not match the audio either
  };
  ScoreMismatch(Kind kind, std::string score_name, std::string audio_name, std::string problem, std::string alignment_problem = {});
  Kind kind() const { return kind_; }
  const std::string& score_name() const { return score_name_; }
  const std::string& audio_name() const { return audio_name_; }
  const std::string& problem() const { return problem_; }                    // why it does not fit as given
  const std::string& alignment_problem() const { return alignment_problem_; }  // NoMatch: why the alignment is poor

 private:
  Kind kind_;
  std::string score_name_, audio_name_, problem_, alignment_problem_;
};

struct PipelineMessage {
  enum class Level { Info, Warning };
  Level level = Level::Info;
  std::string text;  // one line, without a prefix
};

// A choice a run made where its settings leave one: what was chosen, and why (in words for
// people). The library decides; every front end reports these (report.json "decisions", the
// program's notices, Python's Separation.decisions) instead of deciding again.
struct Decision {
  std::string value;
  std::string reason;
};
struct Decisions {
  Decision alpha;        // the mask exponent every mask of the run uses ("1", "2", or as given)
  Decision align;        // "aligned" | "as given" | "unchecked"
  Decision drums;        // "classes" | "kit" | "ignored" | "none"
  Decision timbre;       // "shared" | "per-label"
  Decision spectrogram;  // "memory" | "disk" (plan_spectrogram, where a front end reads a file)
};

// The run up to the decomposition: the analysis signal and the score as the model uses them.
struct PreparedRecording {
  VectorXf analysis;                           // mono mix-down at analysis_rate
  int analysis_rate = 0;
  Score score;                                 // aligned (with align), cut at the audio's end
  std::shared_ptr<const Alignment> alignment;  // with align: warp, confidence, flags
  std::optional<ScoreFit> fit;                 // without align (check_fit, audio not silent)
  TimbrePlan timbre;                           // instruments and sources (empty with a pretrained model)
  // The options with the timbre sources filled in and the mask exponent resolved (alpha 0:
  // by instrument, mask_alpha): decided once here, every mask of the run uses model.alpha.
  SeparationOptions model;
  Grouping groups;                             // options.groups (and mute) applied to `score`
  // Drum notes (PipelineOptions::drums Classes or Kit), aligned and cut as `score`, which then
  // holds the pitched notes only; their GM classes; the drum model's options.
  Score drums;
  Grouping drum_classes;
  PipelineOptions::Drums drum_stems = PipelineOptions::Drums::Ignore;
  DrumOptions drum_model;
  std::vector<PipelineMessage> messages;       // in the order they arose
  Decisions decisions;                         // what was chosen where the options leave a choice
};

struct RecordingSeparation {
  PreparedRecording input;
  // V, decomposition (W, H, note shares, loss), groups, masks on the analysis grid, and the
  // stems (frames x channels at the input's rate; empty when not resynthesised).
  Separation separation;
};

// mix_down (the mono mix-down of frames x channels) is core's (core/resample.hpp).

// Steps 1-6 above. samples: frames x channels (at least one of each), float, full scale 1, at
// sample_rate Hz. Throws InvalidArgument (options, shapes, a silent recording to align, groups
// that match nothing), ScoreMismatch (a score that does not fit, see PipelineOptions::align)
// and ParseError naming options.score_name (no note within the audio).
PreparedRecording prepare_recording(const Eigen::Ref<const MatrixXf>& samples, int sample_rate, Score score,
                                    const PipelineOptions& options);

// The score the groups of a run index: `score` (the pitched notes) followed by `drums`.
Score stem_score(const PreparedRecording& prepared);
// The run's groups (Separation::groups): `groups`, then the drum classes (or one group
// "drums" with Drums::Kit) with indices into stem_score; file names distinct over all.
Grouping stem_groups(const PreparedRecording& prepared);
// The names of the groups a run of `score` makes with `options` (its groups, else one per
// label, of the pitched notes; then the drum classes or "drums" as options.drums says), from the
// score alone: before the recording is read, e.g. to refuse existing files first. The groups of
// options.groups that do not group throw as group_notes does; the score's own labels that do
// not, ParseError naming options.score_name.
std::vector<std::string> stem_names_of_score(const Score& score, const PipelineOptions& options);

// The decomposition, masks and (resynthesise) stems of a prepared recording. `samples` and
// `sample_rate` must be the ones it was prepared from. on_iteration: per NMF iteration (return
// false to stop early); on_resynthesis(fraction) while the stems are synthesised.
// With drum notes (prepared.drums): one joint model (separate_band, KL, drum_model's
// iterations); decomposition holds the pitched rows, `drums` the drum model, groups
// stem_groups(prepared) and masks/stems per group in that order.
// Without resynthesis (decompose), `spectrogram` (an empty store) takes V as in the streaming
// form below; it is ignored with resynthesis and for a band.
Separation separate_prepared(const PreparedRecording& prepared, const Eigen::Ref<const MatrixXf>& samples, int sample_rate,
                             bool resynthesise = true, const nmf::Callback& on_iteration = {},
                             const std::function<void(double)>& on_resynthesis = {},
                             nmf::ColumnStore<float>* spectrogram = nullptr);

// Long recordings, read block by block (a file's seeks) instead of held whole: the analysis
// signal from `source` (frames x channels at sample_rate, mixed down block by block as
// mix_down, then resampled to analysis_rate as prepare_recording does: the same values), ...
VectorXf analysis_signal(const SampleSource& source, Index frames, int channels, int sample_rate, int analysis_rate);
// ... prepare_recording from it (frames: the recording's length at sample_rate) ...
PreparedRecording prepare_analysis(VectorXf analysis, Index frames, int sample_rate, Score score,
                                   const PipelineOptions& options);
// ... and the separation with the stems handed block by block to `sink` (resynthesise's
// streaming form); the result's stems stay empty. With options.model.keep_views false, V
// and the masks are not kept either, so the resynthesis needs no spectrogram-sized matrix.
// prepared.analysis is released (left empty) once the spectrogram is formed: the NMF of a
// long recording does not hold it beside V. With `spectrogram` (an empty store, e.g. a
// temporary file: io::ColumnFile), V is formed in the store and the NMF reads it a segment of
// frames at a time, so that nothing of the size of V is held at all; this needs NMF with the
// KL loss (spills_spectrogram) and is ignored for a band's joint model (drum notes).
Separation separate_prepared(PreparedRecording& prepared, Index frames, int channels, int sample_rate,
                             const SampleSource& source, const StemSink& sink, const nmf::Callback& on_iteration = {},
                             const std::function<void(double)>& on_resynthesis = {},
                             nmf::ColumnStore<float>* spectrogram = nullptr);

// Whether a run of these options can keep V in a store (separate_prepared's `spectrogram`):
// NMF with the KL loss, no trained model, no drum notes, V not kept for plots.
bool spills_spectrogram(const SeparationOptions& model, bool drums);

// prepare_recording, then separate_prepared.
RecordingSeparation separate_recording(const Eigen::Ref<const MatrixXf>& samples, int sample_rate, Score score,
                                       const PipelineOptions& options = {}, const nmf::Callback& on_iteration = {},
                                       const std::function<void(double)>& on_resynthesis = {});

// The synchronisation alone: mix-down, resampling to analysis_rate, align_score.
Alignment align_recording(const Eigen::Ref<const MatrixXf>& samples, int sample_rate, const Score& score,
                          const AlignOptions& options = {}, int analysis_rate = 22050);

// "NAME=-6dB", "NAME=+3 dB" or "NAME=0.5" (a linear factor) -> (name, linear gain in 0 .. 1000,
// i.e. up to 60 dB). The last '=' splits (a group named after a label may hold one, a gain
// never does). A number without a unit outside 0 .. 1000 is refused as a likely decibel value
// without its unit. InvalidArgument saying what is wrong (without the text: the caller names it).
std::pair<std::string, double> parse_group_gain(const std::string& text);

// Linear gain per group from `gains` (group name -> gain >= 0; groups not named keep 1, the
// "(muted)" group 0). Throws InvalidArgument "NAME: no such group (groups: ...)".
std::vector<double> group_gains(const Grouping& groups, const std::map<std::string, double>& gains);

// The stems summed with per-group gains (frames x channels): an edited recording.
MatrixXf remix(const Separation& s, const std::vector<double>& gains);

}  // namespace notewise
