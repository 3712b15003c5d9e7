#pragma once
// Score-informed constraints (Ewert & Mueller, ICASSP 2012; FMP notebook C8S3): the initial W0
// and H0 of NMF, whose zeros the multiplicative updates keep for the whole run.
//
// Rows of H (columns of W), for the P distinct pitches of the score in ascending order:
//   rows 0 .. P-1      pitch templates: energy only near the partials of the pitch
//   rows P .. 2P-1     onset templates (if enabled): broadband, active only around onsets
// A pitch template is shared by every note of that pitch, whatever its label.
#include <vector>

#include "notewise/core/stft.hpp"
#include "notewise/core/types.hpp"
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

  // Start values of the allowed activations: 1, or velocity / 127 (louder notes start higher).
  bool velocity_start = false;

  // For ablation studies only: without template constraints the templates start as seeded
  // random full spectra; without activation constraints every row may be active in every frame.
  bool constrain_templates = true;
  bool constrain_activations = true;

  void validate() const;
};

struct Layout {
  std::vector<int> pitches;       // pitch of each pitch row, ascending
  bool onset_templates = false;
  Index rows() const { return static_cast<Index>(pitches.size()) * (onset_templates ? 2 : 1); }
  Index pitch_row(int pitch) const;  // -1 if the pitch is not in the score
  Index onset_row(int pitch) const;  // -1 if none
  bool is_onset_row(Index r) const { return r >= static_cast<Index>(pitches.size()); }
  int pitch_of_row(Index r) const { return pitches[static_cast<std::size_t>(r) % pitches.size()]; }
};

// A note's frames in its pitch row and its onset row (half-open, clamped to the spectrogram).
struct NoteWindow {
  Index begin = 0, end = 0;              // pitch-row frames
  Index onset_begin = 0, onset_end = 0;  // onset-row frames (empty without onset templates)
};

struct ScoreConstraints {
  Layout layout;
  MatrixXf W0;                       // bins x rows
  MatrixXf H0;                       // rows x frames
  std::vector<NoteWindow> windows;   // per note of the score, in its order
};

// Throws InvalidArgument for an empty score or invalid options. The rows are those of the
// score's pitches, or of `pitches` (ascending, covering the score's) if given.
ScoreConstraints build_constraints(const Score& score, const Geometry& geometry, const ConstraintOptions& options,
                                   const std::vector<int>& pitches = {});

// One harmonic template (length geometry.bins()), as used for the pitch rows.
VectorXf harmonic_template(int pitch, const Geometry& geometry, const ConstraintOptions& options);

}  // namespace notewise
