#pragma once
// Pitch editing of notes in a recording (the FMP notebooks' audio-editing demo, C8S3: E minor
// to E major by moving single notes). The selected notes' share of the recording is separated
// (score-informed NMF and soft masks, separate.hpp), pitch-shifted, and put back:
//
//   out = x + sum_k f_k .* (delay(shift(s_k, semitones_k), seconds_k) - s_k)
//
// s_k: the stem of transposition k's notes (all channels, at the recording's rate); shift:
// the Rubber Band library's R3 engine, offline, formant-preserving, high-quality pitch mode,
// time ratio 1 (same length, no delay); delay: the stem moved by seconds_k (later for > 0,
// zeros where it moved away from; edit --shift-time); f_k: 1 over the region where k's notes
// can sound, before and after the move (from `pre` s before each note's onset to `post` s
// after its offset, the analysis window's half added on both sides), ramped over `fade` s at
// its edges, 0 elsewhere. Outside every
// region the output is the input sample for sample (bit-identical in the input's format).
// Thread safety: pure functions (Rubber Band instances are local).
#include <string>
#include <utility>
#include <vector>

#include "notewise/separation/separate.hpp"

namespace notewise {

// x: samples x channels at `rate`; shifted by `semitones` (|semitones| <= 24), same shape.
MatrixXf pitch_shift(const Eigen::Ref<const MatrixXf>& x, double rate, double semitones);

struct Transposition {
  std::string selection;  // notes, in the selection language (groups.hpp)
  double semitones = 0;   // -24 .. 24, fractions allowed (0: no pitch shift)
  double seconds = 0;     // -60 .. 60: moved in time by this (0: not moved)
};

// "SELECTION=+N": the notes SELECTION moved by N semitones (time: by N seconds); the last '='
// splits, since selections hold "==". InvalidArgument saying what is wrong (without the text:
// the caller names it): no '=', not a number, outside -24 .. 24 semitones or -60 .. 60 s, or a
// selection that does not parse.
Transposition parse_transposition(const std::string& text, bool time = false);

struct PitchEditOptions {
  double pre = 0.25;   // s before an onset where a selected note's share may already sound
  double post = 1.2;   // s after an offset (the tuned model lets activations run 1 s past it)
  double fade = 0.02;  // s, the ramps at a region's edges

  void validate() const;
};

struct PitchEdit {
  MatrixXf audio;                                   // the edited recording, samples x channels
  Separation separation;                            // groups: the transpositions, then "rest"
  std::vector<std::vector<std::pair<Index, Index>>> regions;  // per transposition: [begin, end) samples
};

// Throws InvalidArgument for a selection that matches no note, semitones out of range, or
// bad options. on_iteration: the NMF's progress.
PitchEdit transpose_notes(const Eigen::Ref<const VectorXf>& analysis, double analysis_rate,
                          const Eigen::Ref<const MatrixXf>& native, double native_rate, const Score& score,
                          const std::vector<Transposition>& transpositions, const SeparationOptions& options,
                          const PitchEditOptions& edit = {}, const nmf::Callback& on_iteration = {});

}  // namespace notewise
