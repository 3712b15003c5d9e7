#pragma once
// Sample-rate conversion with soxr at its high-quality setting (SOXR_HQ: 20-bit precision,
// linear phase, passband to 91 % of Nyquist). Pure DSP (no I/O): the pipeline resamples the
// analysis signal with it. src/core/resample.cpp is the only soxr user.
#include "notewise/core/types.hpp"

struct soxr;  // soxr.h's resampler (soxr_t), kept out of this header

namespace notewise {

// samples: frames x channels. Returns round(frames * to_rate / from_rate) frames (at least 1).
// Returns the input unchanged when the rates are equal.
MatrixXf resample(const Eigen::Ref<const MatrixXf>& samples, int from_rate, int to_rate);

// One channel, the same values, without the interleaving copies (for long analysis signals).
VectorXf resample_mono(const Eigen::Ref<const VectorXf>& samples, int from_rate, int to_rate);

// resample_mono fed block by block, for a signal that is never whole at its own rate (a long
// recording's mix-down, read a block at a time): the same values (soxr's output does not depend
// on how its input is cut), holding only the output.
class MonoResampler {
 public:
  // input_frames: the whole signal's length, which fixes the output's (as resample_mono).
  MonoResampler(Index input_frames, int from_rate, int to_rate);
  ~MonoResampler();
  MonoResampler(const MonoResampler&) = delete;
  MonoResampler& operator=(const MonoResampler&) = delete;
  // The next samples, in order; more than input_frames in all is an InvalidArgument.
  void push(const Eigen::Ref<const VectorXf>& block);
  // Flushes and hands over the output; once, after the last push.
  VectorXf finish();

 private:
  ::soxr* soxr_ = nullptr;
  Index input_frames_, pushed_ = 0, out_pos_ = 0;
  VectorXf out_;
};

}  // namespace notewise
