#pragma once
// Dense Euclidean multiplicative updates (Lee & Seung 2001).
// Internal to notewise_nmf: one engine of the driver in nmf.cpp (h_step, w_step,
// loss_after_iteration, loss_now, sync, refresh); the driver owns the loop.
#include <algorithm>
#include <cmath>
#include <vector>

#include <omp.h>

#include "engine_common.hpp"

namespace notewise::nmf::engine {

template <class T>
class DenseEuclidean {
 public:
  DenseEuclidean(ConstRef<T> V, Mat<T>& W, Mat<T>& H, const Frozen& f, double vnorm2)
      : V_(V), W_(W), H_(H), f_(f), vnorm2_(vnorm2) {
    refresh();
  }
  void refresh() { WtW_.noalias() = W_.transpose() * W_; }
  void sync() {}
  double loss_now() const { return direct_loss(); }
  void h_step() {
    WtV_.noalias() = W_.transpose() * V_;
    den_.noalias() = WtW_ * H_;
    mu_columns<T>(H_, WtV_, [&](Index i, Index j) { return den_(i, j); }, {}, f_.h_rows);
    last_ = Last::H;
  }
  void w_step() {
    VHt_.noalias() = V_ * H_.transpose();
    HHt_.noalias() = H_ * H_.transpose();
    denW_.noalias() = W_ * HHt_;
    mu_columns<T>(W_, VHt_, [&](Index i, Index j) { return denW_(i, j); }, f_.w_cols, {});
    last_ = Last::W;
  }
  // ||V - WH||^2 = ||V||^2 - 2<W'V, H> + <W'W, HH'>: no K x N residual is ever formed.
  double loss_after_iteration() {
    refresh();
    double cross;
    if (last_ == Last::W) {
      cross = W_.template cast<double>().cwiseProduct(VHt_.template cast<double>()).sum();
    } else if (last_ == Last::H) {
      HHt_.noalias() = H_ * H_.transpose();
      cross = WtV_.template cast<double>().cwiseProduct(H_.template cast<double>()).sum();
    } else {
      return direct_loss();
    }
    const double quad = WtW_.template cast<double>().cwiseProduct(HHt_.template cast<double>()).sum();
    return std::max(0.0, vnorm2_ - 2 * cross + quad);
  }

 private:
  double direct_loss() const { return (V_ - W_ * H_).template cast<double>().squaredNorm(); }
  enum class Last { None, H, W };
  ConstRef<T> V_;
  Mat<T>&W_, &H_;
  const Frozen& f_;
  double vnorm2_ = 0;
  Last last_ = Last::None;
  Mat<T> WtW_, WtV_, den_, VHt_, HHt_, denW_;
};

}  // namespace notewise::nmf::engine
