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

MonoResampler::MonoResampler(Index input_frames, int from_rate, int to_rate)
    : input_frames_(input_frames), out_(VectorXf::Zero(output_frames(input_frames, from_rate, to_rate))) {
  if (input_frames < 0) throw InvalidArgument("resample: a negative length");
  if (from_rate == to_rate) return;  // pushed samples are copied
  const soxr_io_spec_t io = soxr_io_spec(SOXR_FLOAT32_I, SOXR_FLOAT32_I);
  const soxr_quality_spec_t quality = soxr_quality_spec(SOXR_HQ, 0);
  soxr_error_t err = nullptr;
  soxr_ = soxr_create(from_rate, to_rate, 1, &err, &io, &quality, nullptr);
  if (err) throw Error(std::string("resample: soxr failed: ") + err);
}

MonoResampler::~MonoResampler() {
  if (soxr_) soxr_delete(soxr_);
}

void MonoResampler::push(const Eigen::Ref<const VectorXf>& block) {
  if (pushed_ + block.size() > input_frames_)
    throw InvalidArgument("resample: more than the " + std::to_string(input_frames_) + " samples announced");
  if (!soxr_) {
    // Equal rates: the output is the input (its length is the input's, at least 1).
    const Index n = std::min(block.size(), out_.size() - pushed_);
    out_.segment(pushed_, n) = block.head(n);
    pushed_ += block.size();
    return;
  }
  pushed_ += block.size();
  // In chunks: given a long block at once soxr copies it into its input queue.
  const Index chunk = 1 << 16;
  for (Index pos = 0; pos < block.size() && out_pos_ < out_.size();) {
    const auto len = static_cast<size_t>(std::min(chunk, block.size() - pos));
    size_t used = 0, done = 0;
    const soxr_error_t err = soxr_process(soxr_, block.data() + pos, len, &used, out_.data() + out_pos_,
                                          static_cast<size_t>(out_.size() - out_pos_), &done);
    if (err) throw Error(std::string("resample: soxr failed: ") + err);
    pos += static_cast<Index>(used);
    out_pos_ += static_cast<Index>(done);
    if (used == 0 && done == 0) break;
  }
}

VectorXf MonoResampler::finish() {
  while (soxr_ && out_pos_ < out_.size()) {
    size_t done = 0;
    const soxr_error_t err =
        soxr_process(soxr_, nullptr, 0, nullptr, out_.data() + out_pos_, static_cast<size_t>(out_.size() - out_pos_), &done);
    if (err) throw Error(std::string("resample: soxr failed: ") + err);
    out_pos_ += static_cast<Index>(done);
    if (done == 0) break;  // flushed: what is left stays zero, as with soxr_oneshot
  }
  return std::move(out_);
}

VectorXf resample_mono(const Eigen::Ref<const VectorXf>& samples, int from_rate, int to_rate) {
  if (from_rate == to_rate) {
    output_frames(samples.size(), from_rate, to_rate);  // the rates' checks
    return samples;
  }
  MonoResampler r(samples.size(), from_rate, to_rate);
  r.push(samples);
  return r.finish();
}

VectorXf mix_down(const Eigen::Ref<const MatrixXf>& samples) {
  if (samples.cols() == 1) return samples.col(0);
  return samples.rowwise().mean();
}

VectorXf mix_down_resampled(const BlockReader& read, Index frames, int channels, int from_rate, int to_rate) {
  if (frames <= 0 || channels <= 0) throw InvalidArgument("analysis_signal: no samples");
  // Mixed down and resampled block by block: the mix-down at the input rate is never whole (an
  // hour at 44.1 kHz: 0.64 GB).
  MonoResampler resampler(frames, from_rate, to_rate);
  MatrixXf block;
  const Index step = 1 << 16;
  for (Index i = 0; i < frames; i += step) {
    block.resize(std::min(step, frames - i), channels);
    read(i, block);
    if (!block.allFinite()) throw InvalidArgument("the samples are not all finite");
    resampler.push(mix_down(block));
  }
  return resampler.finish();
}

}  // namespace notewise
