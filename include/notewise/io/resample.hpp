#pragma once
// Kept for existing includes: resampling is pure DSP and lives in core (core/resample.hpp).
#include "notewise/core/resample.hpp"

namespace notewise::io {
using notewise::resample;
}  // namespace notewise::io
