#pragma once
// Dense Kullback-Leibler multiplicative updates (Lee & Seung 2001).
// Internal to notewise_nmf: one engine of the driver in nmf.cpp (h_step, w_step,
// loss_after_iteration, loss_now, sync, refresh); the driver owns the loop.
#include <algorithm>
#include <cmath>
#include <vector>

#include <omp.h>

#include "engine_common.hpp"

namespace notewise::nmf::engine {

template <class T>
class DenseKL {
 public:
  DenseKL(ConstRef<T> V, Mat<T>& W, Mat<T>& H, const Frozen& f) : V_(V), W_(W), H_(H), f_(f) {
    lam_.resize(V.rows(), V.cols());
  }
  void refresh() {}
  void sync() {}
  double loss_now() { return model_pass(true); }
  void h_step() {
    // lam_ holds V ./ WH from the last model pass.
    num_.noalias() = W_.transpose() * lam_;
    const Eigen::Matrix<T, Eigen::Dynamic, 1> colsum = W_.colwise().sum().transpose();
    mu_columns<T>(H_, num_, [&](Index i, Index) { return colsum[i]; }, {}, f_.h_rows);
    if (!f_.all_w) model_pass(false);  // ratio for the W step
  }
  void w_step() {
    numW_.noalias() = lam_ * H_.transpose();
    const Eigen::Matrix<T, Eigen::Dynamic, 1> rowsum = H_.rowwise().sum();
    mu_columns<T>(W_, numW_, [&](Index, Index j) { return rowsum[j]; }, f_.w_cols, {});
  }
  // Fused pass: loss of the current (W, H), and V ./ WH left in lam_ for the next step.
  double loss_after_iteration() { return model_pass(true); }

 private:
  double model_pass(bool with_loss) {
    lam_.noalias() = W_ * H_;
    const Index K = V_.rows(), N = V_.cols();
    double total = 0;
#pragma omp parallel for reduction(+ : total) schedule(static)
    for (Index n = 0; n < N; ++n) total += kl_column_and_ratio<T>(V_.col(n).data(), lam_.col(n).data(), K, with_loss);
    return total;
  }
  ConstRef<T> V_;
  Mat<T>&W_, &H_;
  const Frozen& f_;
  Mat<T> lam_, num_, numW_;
};

}  // namespace notewise::nmf::engine
