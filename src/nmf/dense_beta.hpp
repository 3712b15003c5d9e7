#pragma once
// Dense beta-divergence multiplicative updates (Fevotte & Idier 2011).
// Internal to notewise_nmf: one engine of the driver in nmf.cpp (h_step, w_step,
// loss_after_iteration, loss_now, sync, refresh); the driver owns the loop.
#include <algorithm>
#include <cmath>
#include <vector>

#include <omp.h>

#include "engine_common.hpp"

namespace notewise::nmf::engine {

template <class T>
class DenseBeta {
 public:
  DenseBeta(ConstRef<T> V, Mat<T>& W, Mat<T>& H, const Frozen& f, double beta)
      : V_(V), W_(W), H_(H), f_(f), beta_(beta), gamma_(beta < 1 ? 1.0 / (2.0 - beta) : 1.0) {}
  void refresh() {}
  void sync() {}
  double loss_now() { return model_loss(); }
  void h_step() {
    weights();
    num_.noalias() = W_.transpose() * A_;
    den_.noalias() = W_.transpose() * B_;
    mu_columns<T>(H_, num_, [&](Index i, Index j) { return den_(i, j); }, {}, f_.h_rows, gamma_);
  }
  void w_step() {
    weights();
    num_.noalias() = A_ * H_.transpose();
    den_.noalias() = B_ * H_.transpose();
    mu_columns<T>(W_, num_, [&](Index i, Index j) { return den_(i, j); }, f_.w_cols, {}, gamma_);
  }
  double loss_after_iteration() { return model_loss(); }

 private:
  // A = (WH)^(beta-2) .* V, B = (WH)^(beta-1), with WH floored at eps.
  void weights() {
    lam_.noalias() = W_ * H_;
    A_.resize(lam_.rows(), lam_.cols());
    B_.resize(lam_.rows(), lam_.cols());
    const Index N = lam_.cols();
#pragma omp parallel for schedule(static)
    for (Index n = 0; n < N; ++n) {
      const auto y = lam_.col(n).array().max(kEps<T>);
      A_.col(n).array() = y.pow(static_cast<T>(beta_ - 2)) * V_.col(n).array();
      B_.col(n).array() = y.pow(static_cast<T>(beta_ - 1));
    }
  }
  double model_loss() {
    lam_.noalias() = W_ * H_;
    double total = 0;
    const Index K = V_.rows(), N = V_.cols();
#pragma omp parallel for reduction(+ : total) schedule(static)
    for (Index n = 0; n < N; ++n)
      for (Index k = 0; k < K; ++k) total += beta_div<T>(V_(k, n), lam_(k, n), beta_);
    return total;
  }
  ConstRef<T> V_;
  Mat<T>&W_, &H_;
  const Frozen& f_;
  double beta_, gamma_;
  Mat<T> lam_, A_, B_, num_, den_;
};

}  // namespace notewise::nmf::engine
