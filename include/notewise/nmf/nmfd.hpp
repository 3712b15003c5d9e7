#pragma once
// Nonnegative matrix factor deconvolution (NMFD; Smaragdis, "Non-negative Matrix Factor
// Deconvolution", ICA 2004; the multiplicative updates as Dittmar & Mueller, "Reverse
// Engineering the Amen Break", IEEE/ACM TASLP 2016, eqs. 6-8, generalised to the
// beta-divergence). Each template is a short spectrogram of T frames, so one activation
// starts a whole sound (a drum stroke with its decay):
//
//   V ~ L = sum_{tau=0}^{T-1} W_tau S_tau(H)
//
//   V: K x N;  W_tau: K x R (frame tau of every template);  H: R x N;  S_tau shifts H's columns
//   tau frames to the right (zeros enter on the left). With T = 1 this is NMF (nmf.hpp).
//
// Updates, H first, then every W_tau with the new H (A = V .* L^(beta-2), B = L^(beta-1);
// KL: A = V ./ L, B = 1; Euclidean: A = V, B = L; gamma as in nmf.hpp):
//   H     <- H     .* [ (sum_tau W_tau' S_-tau(A)) ./ (sum_tau W_tau' S_-tau(B)) ]^gamma
//   W_tau <- W_tau .* [ (A S_tau(H)') ./ (B S_tau(H)') ]^gamma
// L is linear in H and in all W_tau together, so each step is the majorise-minimise step of
// the stacked NMF V ~ [W_0 .. W_{T-1}] [S_0(H); ...; S_{T-1}(H)]: the loss never rises.
//
// The options are nmf::Options (divergence, beta, iterations, stop rules, fix_w / fix_h,
// fixed_w_columns: template r fixed in all its frames, fixed_h_rows, normalisation of each
// template over all its frames). Paths: dense (BLAS products of the stacked factors) or, for
// KL, sparse (products over the nonzeros of H only, whose pattern MU keeps); Auto takes the
// sparse one when the stacked H is under a third nonzero. The same result to float rounding.
// Losses as nmf.hpp, of V against L. Zeros in W0 and H0 stay exactly zero.
// Thread safety: reentrant.
#include <vector>

#include "notewise/nmf/nmf.hpp"

namespace notewise::nmf {

template <class T>
struct NmfdResult {
  std::vector<Matrix<T>> W;    // T matrices K x R: W[tau] is frame tau of every template
  Matrix<T> H;                 // R x N
  int iterations = 0;
  bool converged = false;
  bool cancelled = false;
  double initial_loss = 0.0;
  std::vector<double> loss;    // after each iteration
};

// L = sum_tau W[tau] S_tau(H) (K x N).
template <class T>
Matrix<T> convolve(const std::vector<Matrix<T>>& W, const Matrix<T>& H);

// The part of L that template r makes (K x N): what a Wiener mask of r starts from.
template <class T>
Matrix<T> convolve_one(const std::vector<Matrix<T>>& W, const Matrix<T>& H, Index r);

// W0: T >= 1 matrices of one shape K x R; H0: R x N. Throws InvalidArgument for shapes,
// negative or non-finite entries and bad options.
template <class T>
NmfdResult<T> factorize_nmfd(const Eigen::Ref<const Matrix<T>>& V, std::vector<Matrix<T>> W0, Matrix<T> H0,
                             const Options& options, const Callback& callback = {});

// The loss of (W, H) on V (as nmf::loss, of the convolutive model).
template <class T>
double nmfd_loss(const Eigen::Ref<const Matrix<T>>& V, const std::vector<Matrix<T>>& W, const Matrix<T>& H,
                 const Options& options);

}  // namespace notewise::nmf
