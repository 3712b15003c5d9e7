// The only Rubber Band user.
#include <rubberband/RubberBandStretcher.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "notewise/core/error.hpp"
#include "notewise/separation/pitch_edit.hpp"

namespace notewise {

MatrixXf pitch_shift(const Eigen::Ref<const MatrixXf>& x, double rate, double semitones) {
  require(std::isfinite(semitones) && std::abs(semitones) <= 24, "semitones", semitones, "in -24 .. 24");
  require(rate >= 1000 && rate <= 768000, "sample rate", rate, "in 1000 .. 768000 Hz");
  if (semitones == 0 || x.rows() == 0) return x;
  using RB = RubberBand::RubberBandStretcher;
  const int channels = static_cast<int>(x.cols());
  const std::size_t n = static_cast<std::size_t>(x.rows());
  RB rb(static_cast<std::size_t>(std::lround(rate)), static_cast<std::size_t>(channels),
        RB::OptionProcessOffline | RB::OptionEngineFiner | RB::OptionFormantPreserved | RB::OptionPitchHighQuality |
            RB::OptionChannelsTogether,
        1.0, std::pow(2.0, semitones / 12.0));
  rb.setExpectedInputDuration(n);
  constexpr std::size_t kBlock = 4096;
  rb.setMaxProcessSize(kBlock);
  // Rubber Band takes one pointer per channel; Eigen's columns are contiguous.
  std::vector<const float*> in(static_cast<std::size_t>(channels));
  for (std::size_t at = 0; at < n; at += kBlock) {
    const std::size_t len = std::min(kBlock, n - at);
    for (int c = 0; c < channels; ++c) in[static_cast<std::size_t>(c)] = x.col(c).data() + at;
    rb.study(in.data(), len, at + len == n);
  }
  MatrixXf out = MatrixXf::Zero(x.rows(), x.cols());
  std::size_t written = 0;
  std::vector<std::vector<float>> buf(static_cast<std::size_t>(channels));
  std::vector<float*> outp(static_cast<std::size_t>(channels));
  const auto drain = [&] {
    for (int avail = rb.available(); avail > 0; avail = rb.available()) {
      for (int c = 0; c < channels; ++c) {
        buf[static_cast<std::size_t>(c)].resize(static_cast<std::size_t>(avail));
        outp[static_cast<std::size_t>(c)] = buf[static_cast<std::size_t>(c)].data();
      }
      const std::size_t got = rb.retrieve(outp.data(), static_cast<std::size_t>(avail));
      const std::size_t keep = std::min(got, n - std::min(n, written));
      for (int c = 0; c < channels; ++c)
        std::copy(buf[static_cast<std::size_t>(c)].begin(), buf[static_cast<std::size_t>(c)].begin() + static_cast<std::ptrdiff_t>(keep),
                  out.col(c).data() + written);
      written += keep;
      if (got == 0) break;
    }
  };
  for (std::size_t at = 0; at < n; at += kBlock) {
    const std::size_t len = std::min(kBlock, n - at);
    for (int c = 0; c < channels; ++c) in[static_cast<std::size_t>(c)] = x.col(c).data() + at;
    rb.process(in.data(), len, at + len == n);
    drain();
  }
  drain();
  return out;
}

}  // namespace notewise
