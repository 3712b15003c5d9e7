#pragma once
// Real FFT of one size, behind a small interface so that the backend (FFTW3) stays in one file.
// Scaling: forward is unnormalised (X_k = sum_n x_n e^{-2 pi i k n / N}, as numpy.fft.rfft);
// inverse divides by N, so inverse(forward(x)) == x.
// Thread safety: the plan is made once in the constructor (under a global lock, since FFTW's
// planner is not thread-safe); forward() and inverse() may then be called from many threads at
// once on different buffers.
#include <complex>
#include <memory>

namespace notewise {

// T = float (the STFT) or double (evaluation, where long correlations need the precision).
template <class T>
class BasicRealFft {
 public:
  explicit BasicRealFft(int size);
  ~BasicRealFft();
  BasicRealFft(const BasicRealFft&) = delete;
  BasicRealFft& operator=(const BasicRealFft&) = delete;

  int size() const { return size_; }
  int bins() const { return size_ / 2 + 1; }

  // in: size() reals; out: bins() complex values. Buffers may have any alignment (FFTW-aligned
  // ones, e.g. 16 bytes for SSE, are used in place; others are copied through aligned scratch).
  void forward(const T* in, std::complex<T>* out) const;
  // in: bins() complex values (not modified); out: size() reals.
  void inverse(const std::complex<T>* in, T* out) const;
  // The same without the division by N (out is size() times inverse's), and `in` is used as
  // work space (overwritten): for callers that fold 1/N into a later product and need no copy.
  void inverse_unnormalised(std::complex<T>* in, T* out) const;

 private:
  struct Plans;
  int size_;
  std::unique_ptr<Plans> plans_;
};

using RealFft = BasicRealFft<float>;
using RealFftD = BasicRealFft<double>;

}  // namespace notewise
