#include "notewise/io/resample.hpp"
#include "notewise/core/resample.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

#include "notewise/core/error.hpp"

using namespace notewise;

TEST(Resample, SameRateIsIdentity) {
  const MatrixXf x = MatrixXf::Random(100, 2);
  EXPECT_EQ(io::resample(x, 22050, 22050), x);
}

TEST(Resample, KnownAnswer_SineKeepsFrequencyAndAmplitude) {
  // 1 kHz at 44.1 kHz -> 22.05 kHz: still a 1 kHz sine of the same amplitude (away from the
  // filter's start-up at the edges).
  const int from = 44100, to = 22050;
  MatrixXf x(44100, 1);
  for (Index i = 0; i < x.rows(); ++i) x(i, 0) = 0.8f * static_cast<float>(std::sin(2 * std::numbers::pi * 1000.0 * i / from));
  const MatrixXf y = io::resample(x, from, to);
  ASSERT_EQ(y.rows(), 22050);
  double max_err = 0;
  for (Index i = 1000; i < y.rows() - 1000; ++i)
    max_err = std::max(max_err, std::abs(y(i, 0) - 0.8 * std::sin(2 * std::numbers::pi * 1000.0 * i / to)));
  EXPECT_LT(max_err, 1e-3);
}

TEST(Resample, ChannelsStayApart) {
  MatrixXf x = MatrixXf::Zero(8000, 2);
  x.col(0).setConstant(0.5f);
  const MatrixXf y = io::resample(x, 8000, 16000);
  EXPECT_EQ(y.rows(), 16000);
  EXPECT_NEAR(y(8000, 0), 0.5f, 1e-3);
  EXPECT_NEAR(y.col(1).cwiseAbs().maxCoeff(), 0.0f, 1e-6);
}

TEST(Resample, InvalidRates) {
  EXPECT_THROW(io::resample(MatrixXf::Zero(10, 1), 0, 22050), InvalidArgument);
}

TEST(Resample, MonoInChunksEqualsTheWholeSignalsResampling) {
  // resample_mono feeds soxr in chunks of 65536 samples; the output is soxr_oneshot's.
  for (const auto& [from, to] : {std::pair{44100, 22050}, {48000, 22050}, {22050, 44100}}) {
    VectorXf x(200003);
    for (Index i = 0; i < x.size(); ++i) x[i] = 0.5f * std::sin(0.001f * i * (1 + i % 3)) + 0.1f * std::sin(0.3f * i);
    const MatrixXf whole = notewise::resample(MatrixXf(x), from, to);
    const VectorXf chunked = notewise::resample_mono(x, from, to);
    ASSERT_EQ(chunked.size(), whole.rows());
    EXPECT_EQ((chunked - whole.col(0)).cwiseAbs().maxCoeff(), 0.0f) << from << " -> " << to;
  }
  EXPECT_EQ(notewise::resample_mono(VectorXf::Ones(10), 22050, 22050), VectorXf::Ones(10));
}

TEST(Resample, PushedBlockByBlockEqualsTheWholeSignalsResampling) {
  // analysis_signal pushes a recording's mix-down a block at a time; blocks of any length
  // (one sample, odd lengths, longer than soxr's chunks) give soxr_oneshot's output exactly.
  VectorXf x(150001);
  for (Index i = 0; i < x.size(); ++i) x[i] = 0.4f * std::sin(0.002f * i * (1 + i % 5)) + 0.2f * std::sin(0.25f * i);
  for (const auto& [from, to] : {std::pair{44100, 22050}, {48000, 22050}, {22050, 44100}, {22050, 22050}}) {
    const MatrixXf whole = notewise::resample(MatrixXf(x), from, to);
    for (const Index block : {Index(1), Index(999), Index(70000)}) {
      MonoResampler r(x.size(), from, to);
      // The first blocks one sample long, then `block` samples: both edges of soxr's chunks.
      Index at = 0;
      for (; at < 3; ++at) r.push(x.segment(at, 1));
      for (; at < x.size(); at += block) r.push(x.segment(at, std::min(block, x.size() - at)));
      const VectorXf out = r.finish();
      ASSERT_EQ(out.size(), whole.rows());
      EXPECT_EQ((out - whole.col(0)).cwiseAbs().maxCoeff(), 0.0f) << from << " -> " << to << ", blocks of " << block;
    }
  }
  MonoResampler r(10, 44100, 22050);
  r.push(VectorXf::Ones(8));
  EXPECT_THROW(r.push(VectorXf::Ones(3)), InvalidArgument);  // more than announced
  EXPECT_THROW(MonoResampler(10, 0, 22050), InvalidArgument);
}
