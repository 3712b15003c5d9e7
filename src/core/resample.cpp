// The only file that talks to soxr.
#include "notewise/core/resample.hpp"

#include <soxr.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "notewise/core/error.hpp"

namespace notewise {

namespace {
// soxr on interleaved frames; frames soxr does not fill (at most a few at the end) stay zero.
void run_soxr(int from_rate, int to_rate, unsigned channels, const float* in, Index in_frames, float* out, Index out_frames) {
  const soxr_io_spec_t io = soxr_io_spec(SOXR_FLOAT32_I, SOXR_FLOAT32_I);
  const soxr_quality_spec_t quality = soxr_quality_spec(SOXR_HQ, 0);
  size_t done = 0;
  const soxr_error_t err = soxr_oneshot(from_rate, to_rate, channels, in, static_cast<size_t>(in_frames), nullptr, out,
                                        static_cast<size_t>(out_frames), &done, &io, &quality, nullptr);
  if (err) throw Error(std::string("resample: soxr failed: ") + err);
}

Index output_frames(Index in_frames, int from_rate, int to_rate) {
  require(from_rate > 0, "resample from_rate", from_rate, "> 0");
  require(to_rate > 0, "resample to_rate", to_rate, "> 0");
  return std::max<Index>(1, static_cast<Index>(std::llround(static_cast<double>(in_frames) * to_rate / from_rate)));
}
}  // namespace

MatrixXf resample(const Eigen::Ref<const MatrixXf>& samples, int from_rate, int to_rate) {
  const Index out_frames = output_frames(samples.rows(), from_rate, to_rate);
  if (from_rate == to_rate) return samples;
  const auto channels = static_cast<unsigned>(samples.cols());
  const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> in = samples;
  Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> out(out_frames, channels);
  out.setZero();
  run_soxr(from_rate, to_rate, channels, in.data(), samples.rows(), out.data(), out_frames);
  return out;
}

VectorXf resample_mono(const Eigen::Ref<const VectorXf>& samples, int from_rate, int to_rate) {
  const Index out_frames = output_frames(samples.size(), from_rate, to_rate);
  if (from_rate == to_rate) return samples;
  VectorXf out = VectorXf::Zero(out_frames);
  // Fed in chunks: given the whole signal at once soxr copies it into its input queue (an
  // hour at 44.1 kHz: another 0.6 GB or more); its output does not depend on the chunking.
  const soxr_io_spec_t io = soxr_io_spec(SOXR_FLOAT32_I, SOXR_FLOAT32_I);
  const soxr_quality_spec_t quality = soxr_quality_spec(SOXR_HQ, 0);
  soxr_error_t err = nullptr;
  soxr_t soxr = soxr_create(from_rate, to_rate, 1, &err, &io, &quality, nullptr);
  if (err) throw Error(std::string("resample: soxr failed: ") + err);
  const Index chunk = 1 << 16;
  Index in_pos = 0, out_pos = 0;
  while (out_pos < out_frames) {
    const bool last = in_pos >= samples.size();
    const size_t in_len = last ? 0 : static_cast<size_t>(std::min(chunk, samples.size() - in_pos));
    size_t used = 0, done = 0;
    err = soxr_process(soxr, last ? nullptr : samples.data() + in_pos, in_len, &used, out.data() + out_pos,
                       static_cast<size_t>(out_frames - out_pos), &done);
    if (err) break;
    in_pos += static_cast<Index>(used);
    out_pos += static_cast<Index>(done);
    if (last && done == 0) break;  // flushed: what is left stays zero, as with soxr_oneshot
  }
  soxr_delete(soxr);
  if (err) throw Error(std::string("resample: soxr failed: ") + err);
  return out;
}

}  // namespace notewise
