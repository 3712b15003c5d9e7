#pragma once
// Score-informed constraints (Ewert & Mueller, ICASSP 2012; FMP notebook C8S3): the initial W0
// and H0 of NMF, whose zeros the multiplicative updates keep for the whole run.
//
// Rows of H (columns of W). The notes are played by one or more timbre sources (instrument.hpp:
// one shared by all labels, or one per label). Each source has a pitch row for every pitch it
// plays, and, if its instrument is struck, an onset row for each of them:
//   rows 0 .. P-1      pitch templates: energy only near the partials of the pitch; sources in
//                      order, pitches ascending within a source
//   rows P .. R-1      onset templates (sources with onsets): broadband, active only around
//                      onsets, in the order of their pitch rows
// A pitch template is shared by every note of that pitch and source, whatever its label.
#include <string>
#include <vector>

#include "notewise/core/stft.hpp"
#include "notewise/core/types.hpp"
#include "notewise/score/instrument.hpp"
#include "notewise/score/score.hpp"

namespace notewise {

// Where the spectrogram's bins and frames lie (see core/stft.hpp): bin k at k * sample_rate /
// n_fft Hz, frame n centred at n * hop / sample_rate s.
struct Geometry {
  double sample_rate = 22050;
  int n_fft = 2048;
  int hop = 512;
  Index frames = 0;

  // The geometry of stft(x, stft) for x at sample_rate with `frames` frames.
  static Geometry of(const StftOptions& stft, double sample_rate, Index frames) {
    return {sample_rate, stft.n_fft, stft.hop, frames};
  }

  Index bins() const { return n_fft / 2 + 1; }
  double bin_hz() const { return sample_rate / n_fft; }
  double frame_seconds() const { return hop / sample_rate; }
  // Frame index of time t as libfmp computes it: floor(t / frame_seconds), clamped to [0, frames].
  Index frame_of(double seconds) const;
};

struct ConstraintOptions {
  // Templates. Partial m of pitch f0 lies at m * f0 * sqrt(1 + B m^2) Hz; bins within
  // +-tolerance (relative) of it may hold energy, with initial weight 1 / m^partial_power.
  double tolerance = 0.05;       // relative (libfmp's tol_pitch); used when tolerance_cents == 0
  double tolerance_cents = 0;    // if > 0: the band is +-this many cents instead
  int partials = 0;              // 0: every partial below Nyquist
  double inharmonicity = 0;      // B (piano strings: about 1e-4 .. 1e-3)
  double partial_power = 1;      // libfmp: 1 (weights 1/m)

  // Activations: a note's pitch row may be nonzero in [onset - before, offset + after].
  double before = 0.2;           // s (libfmp's tol_note)
  double after = 0.5;            // s

  // Onset templates: one per pitch, flat; active in [onset - onset_before, onset + onset_after].
  bool onset_templates = true;
  double onset_before = 0.3;     // s (libfmp's tol_onset)
  double onset_after = 0.1;      // s
  // Onset rows stay zero in the frames where a note of a sustained source (a source of a
  // bowed, blown or sung instrument, without onset templates) sounds, from its onset to its
  // offset: a flat broadband template active there takes the sustained parts' sound, not the
  // piano's attack (docs/RESULTS.md, "Mixed ensembles with piano"). Has no effect without such
  // a source (a piano alone, a quartet without piano).
  bool onsets_under_sustained = false;

  // Start values of the allowed activations: 1, or velocity / 127 (louder notes start higher).
  bool velocity_start = false;

  // For ablation studies only: without template constraints the templates start as seeded
  // random full spectra; without activation constraints every row may be active in every frame.
  bool constrain_templates = true;
  bool constrain_activations = true;

  // Timbre sources (instrument.hpp, plan_timbre): each has its own templates, one per pitch it
  // plays, with its own band (tolerance_cents, partials; 0 takes the fields above) and onset
  // templates (if onset_templates above is on too). Every label of the score must belong to
  // one. Empty: one source plays every note with the fields above.
  std::vector<SourceModel> sources;

  void validate() const;
};

struct Layout {
  std::vector<int> pitches;       // pitch of each pitch row (ascending within each source)
  bool onset_templates = false;   // any onset rows (without onset_of: one per pitch row)
  std::vector<int> sources;       // source of each pitch row (empty: every row source 0)
  std::vector<std::string> source_names;  // per source (empty: one unnamed source)
  std::vector<Index> onset_of;    // per pitch row: its onset row or -1 (empty: P + row if onset_templates)

  Index pitch_rows() const { return static_cast<Index>(pitches.size()); }
  Index rows() const;
  Index pitch_row(int pitch, int source = 0) const;  // -1 if the source does not play the pitch
  Index onset_row(int pitch, int source = 0) const;  // -1 if none
  Index onset_row_of(Index pitch_row) const;          // -1 if none
  bool is_onset_row(Index r) const { return r >= pitch_rows(); }
  Index base_row(Index r) const;  // the pitch row of a row (itself for a pitch row)
  int pitch_of_row(Index r) const { return pitches[static_cast<std::size_t>(base_row(r))]; }
  int source_of_row(Index r) const { return sources.empty() ? 0 : sources[static_cast<std::size_t>(base_row(r))]; }
  std::string source_name(int source) const {
    return source >= 0 && source < static_cast<int>(source_names.size()) ? source_names[static_cast<std::size_t>(source)] : "";
  }
};

// A note's frames in its pitch row and its onset row (half-open, clamped to the spectrogram).
struct NoteWindow {
  Index begin = 0, end = 0;              // pitch-row frames
  Index onset_begin = 0, onset_end = 0;  // onset-row frames (empty without onset templates)
  Index row = -1, onset_row = -1;        // the note's pitch row and onset row (-1: none)
};

struct ScoreConstraints {
  Layout layout;
  MatrixXf W0;                       // bins x rows
  MatrixXf H0;                       // rows x frames
  std::vector<NoteWindow> windows;   // per note of the score, in its order
};

// At most this many pitch rows (a pitch of a timbre source each; onset rows may double them): 64
// instruments over the whole MIDI range. W and its updates are bins x rows each (a crafted
// 800 KB score of 256 instruments x 128 pitches asked for 65,536 rows, 1.2 GB).
constexpr Index kMaxPitchRows = 8192;

// The pitch rows build_constraints makes for `score` with these sources (empty: one shared).
Index count_pitch_rows(const Score& score, const std::vector<SourceModel>& sources);

// Throws InvalidArgument for an empty score, invalid options, or more than kMaxPitchRows
// pitch rows. The rows are those of the score's pitches, or of `pitches` (ascending, covering
// the score's) if given.
ScoreConstraints build_constraints(const Score& score, const Geometry& geometry, const ConstraintOptions& options,
                                   const std::vector<int>& pitches = {});

// One harmonic template (length geometry.bins()), as used for the pitch rows.
VectorXf harmonic_template(int pitch, const Geometry& geometry, const ConstraintOptions& options);

}  // namespace notewise
