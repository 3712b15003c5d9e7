// The only file that talks to FFTW.
#include "notewise/core/fft.hpp"

#include <fftw3.h>

#include <cstring>
#include <mutex>
#include <vector>

#include "notewise/core/error.hpp"

namespace notewise {
namespace {
std::mutex& planner_mutex() {
  static std::mutex m;
  return m;
}
}  // namespace

struct RealFft::Plans {
  fftwf_plan forward = nullptr;
  fftwf_plan inverse = nullptr;
};

RealFft::RealFft(int size) : size_(size), plans_(std::make_unique<Plans>()) {
  require(size >= 2, "fft size", size, ">= 2");
  std::lock_guard<std::mutex> lock(planner_mutex());
  // FFTW_UNALIGNED lets the new-array execute functions take buffers of any alignment;
  // FFTW_ESTIMATE keeps planning instant and results deterministic across runs.
  float* r = fftwf_alloc_real(size);
  fftwf_complex* c = fftwf_alloc_complex(size / 2 + 1);
  const unsigned flags = FFTW_ESTIMATE | FFTW_UNALIGNED;
  plans_->forward = fftwf_plan_dft_r2c_1d(size, r, c, flags);
  plans_->inverse = fftwf_plan_dft_c2r_1d(size, c, r, flags);
  fftwf_free(r);
  fftwf_free(c);
  if (!plans_->forward || !plans_->inverse) throw Error("fft: FFTW could not plan size " + std::to_string(size));
}

RealFft::~RealFft() {
  std::lock_guard<std::mutex> lock(planner_mutex());
  if (plans_->forward) fftwf_destroy_plan(plans_->forward);
  if (plans_->inverse) fftwf_destroy_plan(plans_->inverse);
}

void RealFft::forward(const float* in, std::complex<float>* out) const {
  // r2c does not modify its input, so the const_cast is safe.
  fftwf_execute_dft_r2c(plans_->forward, const_cast<float*>(in), reinterpret_cast<fftwf_complex*>(out));
}

void RealFft::inverse(const std::complex<float>* in, float* out) const {
  // c2r overwrites its input: work on a copy so that callers keep theirs.
  thread_local std::vector<std::complex<float>> scratch;
  scratch.assign(in, in + bins());
  fftwf_execute_dft_c2r(plans_->inverse, reinterpret_cast<fftwf_complex*>(scratch.data()), out);
  const float scale = 1.0f / static_cast<float>(size_);
  for (int i = 0; i < size_; ++i) out[i] *= scale;
}

}  // namespace notewise
