#pragma once
// Sample-rate conversion with soxr at its high-quality setting (SOXR_HQ: 20-bit precision,
// linear phase, passband to 91 % of Nyquist). Pure DSP (no I/O): the pipeline resamples the
// analysis signal with it. src/core/resample.cpp is the only soxr user.
#include "notewise/core/types.hpp"

namespace notewise {

// samples: frames x channels. Returns round(frames * to_rate / from_rate) frames (at least 1).
// Returns the input unchanged when the rates are equal.
MatrixXf resample(const Eigen::Ref<const MatrixXf>& samples, int from_rate, int to_rate);

// One channel, the same values, without the interleaving copies (for long analysis signals).
VectorXf resample_mono(const Eigen::Ref<const VectorXf>& samples, int from_rate, int to_rate);

}  // namespace notewise
