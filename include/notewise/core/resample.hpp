#pragma once
// Sample-rate conversion with soxr at its high-quality setting (SOXR_HQ: 20-bit precision,
// linear phase, passband to 91 % of Nyquist). Pure DSP (no I/O): the pipeline resamples the
// analysis signal with it. src/core/resample.cpp is the only soxr user.
#include <functional>

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

// The mono mix-down (mean of the channels) of samples (frames x channels).
VectorXf mix_down(const Eigen::Ref<const MatrixXf>& samples);

// Frames [start, start + out.rows()) of a recording into out (frames x channels).
using BlockReader = std::function<void(Index start, Eigen::Ref<MatrixXf> out)>;

// A recording of `frames` x `channels` at from_rate, read block by block from `read`, mixed down
// (mix_down) and resampled to to_rate a block at a time (MonoResampler): the same values as
// resample_mono(mix_down(whole), ...), without the whole recording or its mix-down ever held at
// its own rate. InvalidArgument for no samples or a sample that is not finite. The analysis
// signal of every front end (pipeline.hpp: analysis_signal; io/audio.hpp: read_mono).
VectorXf mix_down_resampled(const BlockReader& read, Index frames, int channels, int from_rate, int to_rate);

}  // namespace notewise
