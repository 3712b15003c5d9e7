// The only file that talks to soxr.
#include "notewise/core/resample.hpp"

#include <soxr.h>

#include <cmath>
#include <vector>

#include "notewise/core/error.hpp"

namespace notewise {

MatrixXf resample(const Eigen::Ref<const MatrixXf>& samples, int from_rate, int to_rate) {
  require(from_rate > 0, "resample from_rate", from_rate, "> 0");
  require(to_rate > 0, "resample to_rate", to_rate, "> 0");
  if (from_rate == to_rate) return samples;
  const Index in_frames = samples.rows();
  const auto channels = static_cast<unsigned>(samples.cols());
  const auto out_frames = std::max<Index>(
      1, static_cast<Index>(std::llround(static_cast<double>(in_frames) * to_rate / from_rate)));
  const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> in = samples;
  Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> out(out_frames, channels);
  out.setZero();
  const soxr_io_spec_t io = soxr_io_spec(SOXR_FLOAT32_I, SOXR_FLOAT32_I);
  const soxr_quality_spec_t quality = soxr_quality_spec(SOXR_HQ, 0);
  size_t done = 0;
  const soxr_error_t err = soxr_oneshot(from_rate, to_rate, channels, in.data(), static_cast<size_t>(in_frames),
                                        nullptr, out.data(), static_cast<size_t>(out_frames), &done, &io,
                                        &quality, nullptr);
  if (err) throw Error(std::string("resample: soxr failed: ") + err);
  return out;  // frames soxr did not fill (at most a few at the end) stay zero
}

}  // namespace notewise
