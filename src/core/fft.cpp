// The only file that talks to FFTW.
#include "notewise/core/fft.hpp"

#include <fftw3.h>

#include <mutex>
#include <vector>

#include "notewise/core/error.hpp"

namespace notewise {
namespace {
std::mutex& planner_mutex() {
  static std::mutex m;
  return m;
}

// FFTW's float (fftwf_) and double (fftw_) interfaces behind one set of names.
template <class T>
struct Fftw;
template <>
struct Fftw<float> {
  using plan = fftwf_plan;
  using cpx = fftwf_complex;
  static float* alloc_real(int n) { return fftwf_alloc_real(n); }
  static cpx* alloc_complex(int n) { return fftwf_alloc_complex(n); }
  static void free(void* p) { fftwf_free(p); }
  static plan r2c(int n, float* r, cpx* c, unsigned f) { return fftwf_plan_dft_r2c_1d(n, r, c, f); }
  static plan c2r(int n, cpx* c, float* r, unsigned f) { return fftwf_plan_dft_c2r_1d(n, c, r, f); }
  static void destroy(plan p) { fftwf_destroy_plan(p); }
  static void exec_r2c(plan p, float* r, cpx* c) { fftwf_execute_dft_r2c(p, r, c); }
  static void exec_c2r(plan p, cpx* c, float* r) { fftwf_execute_dft_c2r(p, c, r); }
};
template <>
struct Fftw<double> {
  using plan = fftw_plan;
  using cpx = fftw_complex;
  static double* alloc_real(int n) { return fftw_alloc_real(n); }
  static cpx* alloc_complex(int n) { return fftw_alloc_complex(n); }
  static void free(void* p) { fftw_free(p); }
  static plan r2c(int n, double* r, cpx* c, unsigned f) { return fftw_plan_dft_r2c_1d(n, r, c, f); }
  static plan c2r(int n, cpx* c, double* r, unsigned f) { return fftw_plan_dft_c2r_1d(n, c, r, f); }
  static void destroy(plan p) { fftw_destroy_plan(p); }
  static void exec_r2c(plan p, double* r, cpx* c) { fftw_execute_dft_r2c(p, r, c); }
  static void exec_c2r(plan p, cpx* c, double* r) { fftw_execute_dft_c2r(p, c, r); }
};
}  // namespace

template <class T>
struct BasicRealFft<T>::Plans {
  typename Fftw<T>::plan forward = nullptr;
  typename Fftw<T>::plan inverse = nullptr;
};

template <class T>
BasicRealFft<T>::BasicRealFft(int size) : size_(size), plans_(std::make_unique<Plans>()) {
  require(size >= 2, "fft size", size, ">= 2");
  using F = Fftw<T>;
  std::lock_guard<std::mutex> lock(planner_mutex());
  // FFTW_UNALIGNED lets the new-array execute functions take buffers of any alignment;
  // FFTW_ESTIMATE keeps planning instant and results deterministic across runs.
  T* r = F::alloc_real(size);
  auto* c = F::alloc_complex(size / 2 + 1);
  const unsigned flags = FFTW_ESTIMATE | FFTW_UNALIGNED;
  plans_->forward = F::r2c(size, r, c, flags);
  plans_->inverse = F::c2r(size, c, r, flags);
  F::free(r);
  F::free(c);
  if (!plans_->forward || !plans_->inverse) throw Error("fft: FFTW could not plan size " + std::to_string(size));
}

template <class T>
BasicRealFft<T>::~BasicRealFft() {
  std::lock_guard<std::mutex> lock(planner_mutex());
  if (plans_->forward) Fftw<T>::destroy(plans_->forward);
  if (plans_->inverse) Fftw<T>::destroy(plans_->inverse);
}

template <class T>
void BasicRealFft<T>::forward(const T* in, std::complex<T>* out) const {
  // r2c does not modify its input, so the const_cast is safe.
  Fftw<T>::exec_r2c(plans_->forward, const_cast<T*>(in), reinterpret_cast<typename Fftw<T>::cpx*>(out));
}

template <class T>
void BasicRealFft<T>::inverse(const std::complex<T>* in, T* out) const {
  // c2r overwrites its input: work on a copy so that callers keep theirs.
  thread_local std::vector<std::complex<T>> scratch;
  scratch.assign(in, in + bins());
  Fftw<T>::exec_c2r(plans_->inverse, reinterpret_cast<typename Fftw<T>::cpx*>(scratch.data()), out);
  const T scale = T(1) / static_cast<T>(size_);
  for (int i = 0; i < size_; ++i) out[i] *= scale;
}

template class BasicRealFft<float>;
template class BasicRealFft<double>;

}  // namespace notewise
