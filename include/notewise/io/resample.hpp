#pragma once
// Sample-rate conversion with soxr at its high-quality setting (SOXR_HQ: 20-bit precision,
// linear phase, passband to 91 % of Nyquist).
#include "notewise/core/types.hpp"

namespace notewise::io {

// samples: frames x channels. Returns round(frames * to_rate / from_rate) frames (at least 1).
// Returns the input unchanged when the rates are equal.
MatrixXf resample(const Eigen::Ref<const MatrixXf>& samples, int from_rate, int to_rate);

}  // namespace notewise::io
