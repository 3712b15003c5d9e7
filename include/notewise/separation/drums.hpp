#pragma once
// Score-informed drum decomposition (Dittmar & Mueller, "Reverse Engineering the Amen Break -
// Score-Informed Separation and Restoration Applied to Drum Recordings", IEEE/ACM TASLP 2016):
// one NMFD template (nmfd.hpp) per drum class, a short spectrogram of T frames (the stroke and
// its decay), activated only near the class's score onsets.
//
//   V = |STFT(analysis)| (K x N);  classes c = 1..C: a Grouping of the score's notes
//   H0(c, n) = 1 from `pre_onset` s before an onset of class c to the onset, then
//              exp(-(t_n - onset) / decay) up to `post_onset` s after it; 0 elsewhere (the
//              score's constraint: zeros stay zero). Velocities scale the window (v / 127).
//   W0: flat templates (every bin and frame the same, zero beyond the class's length); `template_iterations` NMFD iterations
//       learn them with H fixed at H0 (the strokes' average spectra, deconvolved from each
//       other where the classes do not always play together), then `iterations` learn both.
//   stems: alpha-Wiener masks M_c = L_c^alpha / sum_j L_j^alpha (soft_masks, with its floor)
//          of the class models L_c = sum_tau W_tau(:, c) S_tau(H(c, :)), on the recording's
//          complex STFT at its own rate (apply_masks): the stems sum to the mix.
// KL divergence throughout (the paper's). Thread safety: pure functions.
#include <functional>
#include <string>
#include <vector>

#include "notewise/core/stft.hpp"
#include "notewise/nmf/nmfd.hpp"
#include "notewise/score/constraints.hpp"
#include "notewise/separation/groups.hpp"

namespace notewise {

// The General MIDI drum map's classes as selections over pitch: kick (35, 36), snare
// (37-40), hihat (42, 44, 46), toms (41, 43, 45, 47, 48, 50), cymbals (49, 51-53, 55, 57, 59),
// and `percussion` for every other note. Only classes that have notes in `score` are returned.
std::vector<GroupSpec> gm_drum_classes(const Score& score);

// A score for a drum run, split: its drum notes (is_drum: GM channel 10, MusicXML unpitched
// notes, CSV rows labelled drums) grouped by class (`classes`, else gm_drum_classes), and, in a
// band's score, its pitched notes grouped by label (label_group_specs).
struct DrumScore {
  Score drums, pitched;
  std::vector<GroupSpec> specs;  // of the classes
  Grouping groups, pitched_groups;
  std::size_t ignored_pitched = 0;  // pitched notes left out (ignore_pitched)
};

// Splits and groups `score`; ignore_pitched: the pitched notes are left out (ignored_pitched
// counts them). score_name names the score in messages: ParseError if it holds no drum notes or
// its labels do not group; InvalidArgument if a pitched track has a drum class's name (one of
// `classes`, else of the GM classes) or a class does not group.
DrumScore drum_score(Score score, std::vector<GroupSpec> classes, bool ignore_pitched, const std::string& score_name);

struct DrumOptions {
  StftOptions stft{2048, 512};  // at the analysis rate
  double template_seconds = 0.5;  // a template's length: max(1, round(seconds * rate / hop)) frames
  // Classes whose sound rings longer get longer templates (their frames beyond their own
  // length are zero in all the others: zeros stay zero); T is the longest. Cymbals ring for
  // seconds: with 0.5 s their tails went to the hi-hat (FluidR3 rock pattern: hi-hat SDR
  // -5.1 dB with 0.5 s, 2.5 dB with 2 s templates for every class).
  std::vector<std::pair<std::string, double>> class_template_seconds = {{"cymbals", 2.0}};
  double pre_onset = 0.05;        // s the activation window opens before an onset
  double post_onset = 0.15;       // s it stays open after it
  double decay = 0.03;            // s, the start's decay after an onset
  int template_iterations = 50;   // with H fixed at H0 (>= 0)
  int iterations = 20;            // W and H together (>= 0)
  double alpha = 2;               // mask exponent (> 0); 2: Wiener-like
  std::vector<std::string> fixed_templates;  // class names whose start templates stay fixed

  void validate() const;
  // Frames of a template of the class `name` (template_seconds unless listed above).
  int template_frames(double rate, const std::string& name = "") const;
};

struct DrumSeparation {
  std::vector<std::string> classes;
  Index first_drum = 0;          // classes[first_drum ..] and rows first_drum_row .. of W, H are drums
  Index first_drum_row = 0;
  MatrixXf V;                    // K x N
  std::vector<MatrixXf> W;       // T matrices K x C (frame tau of each class's template)
  MatrixXf H0, H;                // C x N
  double initial_loss = 0;
  std::vector<double> loss;      // KL after each iteration of both phases
  std::vector<MatrixXf> masks;   // per class, K x N
  std::vector<MatrixXf> stems;   // per class, samples x channels at native_rate (empty if native is)
};

// Activation start (C x N) for the classes of `groups` on `frames` frames.
MatrixXf drum_activations(const Score& score, const Grouping& groups, const DrumOptions& options, double rate,
                          Index frames);

// analysis: mono at analysis_rate; native: the recording (samples x channels) at native_rate,
// or empty for no stems. Optional start templates per class (name -> T matrices' column: a
// K x T matrix), e.g. rendered drum sounds; the others start flat. InvalidArgument for bad
// options or shapes.
DrumSeparation separate_drums(const Eigen::Ref<const VectorXf>& analysis, double analysis_rate,
                              const Eigen::Ref<const MatrixXf>& native, double native_rate, const Score& score,
                              const Grouping& groups, const DrumOptions& options,
                              const std::vector<std::pair<std::string, MatrixXf>>& start_templates = {},
                              const nmf::Callback& on_iteration = {});

// A band: drums and pitched instruments in one recording (a mixed score). The pitched notes
// get the score-informed harmonic (and onset) templates of constraints.hpp as NMFD templates
// of one frame (their other frames are zero and stay zero), the drum notes the templates
// above; one KL NMFD fits both (the drum rows' activations held during template_iterations),
// and the masks split the recording among the pitched groups (W H_g of their note shares, as
// separate()) and the drum classes. Result: `classes` = pitched group names, then the drum
// classes; stems and masks in that order; W and H hold the pitched rows first.
DrumSeparation separate_band(const Eigen::Ref<const VectorXf>& analysis, double analysis_rate,
                             const Eigen::Ref<const MatrixXf>& native, double native_rate, const Score& pitched,
                             const Grouping& pitched_groups, const ConstraintOptions& constraints, const Score& drums,
                             const Grouping& drum_classes, const DrumOptions& options,
                             const nmf::Callback& on_iteration = {});

}  // namespace notewise
