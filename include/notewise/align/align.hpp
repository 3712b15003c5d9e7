#pragma once
// Score-to-audio synchronisation (Mueller, FMP ch. 3; Ewert, Mueller & Grosche, ICASSP 2009):
// chroma and onset features (DLNCO-like) from the audio, the same features synthesised from
// the score's notes, multiscale DTW between them, and a strictly monotonic warp from score
// time to audio time that moves every onset and offset.
//
// Features at `feature_rate` frames per second:
//   chroma  per pitch class, the log-compressed pitch energies log(1 + gamma E_p) summed over
//           octaves, each frame normalised to unit length (silence: the uniform vector);
//   onsets  per pitch class, the positive frame-to-frame rise of the log pitch energies, spread
//           by a linearly decaying tail (10 frames), each frame normalised (silence: zero).
//   The score's pitch energies: each note adds velocity^2 e^{-(t - onset)/0.5 s} at its pitch
//   and, at 1/m^2, at its partials m = 2..4, from onset to offset.
// Cost of a pair of frames: (1 - <chroma_a, chroma_s>) + |onsets_a - onsets_s| / 2.
// The normalised path cost reported is the chroma part alone, averaged along the path: a
// score of the right piece gave 0.14-0.29, a score of another piece 0.64-0.72 (docs/RESULTS.md).
#include <string>
#include <utility>
#include <vector>

#include "notewise/align/dtw.hpp"
#include "notewise/score/score.hpp"

namespace notewise {

struct AlignOptions {
  double feature_rate = 100;   // frames per second (10 ms hop)
  int n_fft = 2048;            // STFT size of the audio features, at the audio's rate
  double gamma = 100;          // log compression of the pitch energies (max-normalised)
  bool onset_features = true;
  MultiscaleOptions dtw;       // 3 levels (40 ms, 160 ms coarse), band radius 16 fine cells
  double poor_cost = 0.45;     // above: flagged poor (right scores 0.14-0.29, other pieces 0.64-0.72 measured)

  void validate() const;
};

struct Alignment {
  std::vector<std::pair<double, double>> warp;  // (score s, audio s), both strictly increasing
  double cost = 0;                              // normalised chroma path cost
  bool poor = false;                            // cost > poor_cost, or the lengths do not fit
  std::string problem;                          // why it is poor, in words (empty if not)
  Score aligned;                                // the score in audio time, same notes, same order
};

// audio: mono signal at `sample_rate`. Throws InvalidArgument for an empty score or audio.
Alignment align_score(const Eigen::Ref<const VectorXf>& audio, double sample_rate, const Score& score,
                      const AlignOptions& options = {});

// Piecewise-linear warp of a time (extrapolated with slope 1 beyond the ends).
double warp_time(const std::vector<std::pair<double, double>>& warp, double t);

// The features (24 x frames: 12 chroma rows, then 12 onset rows), exposed for tests.
MatrixXf audio_features(const Eigen::Ref<const VectorXf>& audio, double sample_rate, const AlignOptions& o);
MatrixXf score_features(const Score& score, Index frames, double frame_seconds, const AlignOptions& o);

}  // namespace notewise
