#pragma once
// Phase reconstruction from a magnitude spectrogram: Griffin & Lim, "Signal estimation from
// modified short-time Fourier transform", IEEE TASSP 1984, with the momentum ("fast
// Griffin-Lim") of Perraudin, Balazs & Sondergaard, IEEE WASPAA 2013, as librosa.griffinlim.
//
//   magnitude  K x N (bins x frames) of the STFT geometry `options` (stft.hpp's conventions)
//   start      K x N complex: the first phase estimate is its phase (bins where it is zero
//              start at phase 0); pass the magnitude itself (as complex) for a zero-phase start
//   result     `length` samples whose STFT magnitude approaches `magnitude`
//
// Each iteration: y = istft(magnitude * e^{i phase}); X = stft(y);
//   phase = angle(X - momentum / (1 + momentum) * X_previous).
// momentum in [0, 2) (0: the plain algorithm, whose inconsistency never rises).
// Thread safety: pure function.
#include "notewise/core/stft.hpp"

namespace notewise {

struct GriffinLimOptions {
  int iterations = 50;    // >= 0 (0: the start's phase as it is)
  double momentum = 0.99; // librosa's default

  void validate() const;
};

VectorXf griffin_lim(const MatrixXf& magnitude, const MatrixXcf& start, const StftOptions& options, Index length,
                     const GriffinLimOptions& gl = {});

// Spectral convergence || |STFT(y)| - magnitude ||_F / ||magnitude||_F (0 = consistent).
double spectral_convergence(const Eigen::Ref<const VectorXf>& y, const MatrixXf& magnitude, const StftOptions& options);

}  // namespace notewise
