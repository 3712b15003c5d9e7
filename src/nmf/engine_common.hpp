#pragma once
// What the NMF engines share: matrix aliases, the epsilon floor, frozen rows/columns, the
// per-entry divergences and the multiplicative step. Internal to notewise_nmf.
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include <omp.h>

#include "notewise/nmf/columns.hpp"
#include "notewise/nmf/nmf.hpp"
#include "kernels.hpp"

namespace notewise::nmf::engine {

template <class T>
using Mat = Matrix<T>;
template <class T>
using ConstRef = Eigen::Ref<const Mat<T>>;

template <class T>
constexpr T kEps = std::numeric_limits<T>::epsilon();

// Column n of V within the segment at hand.
template <class T>
struct Columns {
  const T* base;
  Index first, stride;
  const T* operator()(Index n) const { return base + (n - first) * stride; }
};

// V for the engines that take it frame by frame: whole in memory (one segment, no copy), or a
// ColumnStore taken `segment` frames at a time, shown in place where it can (a mapped file),
// else read into one buffer.
template <class T>
class SegmentedV {
 public:
  explicit SegmentedV(ConstRef<T> V) : K_(V.rows()), N_(V.cols()), base_(V.data()), stride_(V.outerStride()) {}
  SegmentedV(const ColumnStore<T>& store, Index segment)
      : K_(store.rows()), N_(store.cols()), store_(&store), stride_(store.rows()),
        segment_(std::max<Index>(1, std::min(segment, store.cols()))) {}
  Index rows() const { return K_; }
  Index cols() const { return N_; }
  // f(n0, n1, col) for each segment [n0, n1) in order.
  template <class F>
  void each_segment(F&& f) const {
    if (!store_) {
      f(Index(0), N_, Columns<T>{base_, 0, stride_});
      return;
    }
    for (Index n0 = 0; n0 < N_; n0 += segment_) {
      const Index n = std::min(segment_, N_ - n0);
      // A mapped file: the threads touch the segment's pages in place, no copy.
      if (const T* mapped = store_->view(n0, n)) {
        f(n0, n0 + n, Columns<T>{mapped, n0, K_});
        store_->release(n0, n);
        continue;
      }
      // Else into the buffer (made on first need), the threads a share each: a read from the
      // page cache is a copy, which would otherwise leave the other cores idle.
      if (buffer_.cols() < segment_) buffer_.resize(K_, segment_);
      const Index share = (n + omp_get_max_threads() - 1) / omp_get_max_threads();
#pragma omp parallel for schedule(static)
      for (Index j = 0; j < n; j += share) store_->read(n0 + j, buffer_.middleCols(j, std::min(share, n - j)));
      f(n0, n0 + n, Columns<T>{buffer_.data(), n0, K_});
    }
  }

 private:
  Index K_, N_;
  const T* base_ = nullptr;
  const ColumnStore<T>* store_ = nullptr;
  Index stride_;
  Index segment_ = 0;
  mutable Mat<T> buffer_;
};

// Which rows of H / columns of W may change.
struct Frozen {
  std::vector<char> h_rows, w_cols;
  bool all_h = false, all_w = false;
};

// Normalised divergence contributions of one column, accumulated in double.
// KL divergence of one column (x log(x/y) - x + y, with 0 log 0 = 0) if with_loss, and the
// ratio x ./ y written over y. y is floored at eps.
template <class T>
double kl_column_and_ratio(const T* v, T* lam, Index K, bool with_loss) {
  return detail::kl_ratio(v, lam, K, with_loss);
}

template <class T>
double beta_div(T x, T y, double beta) {
  const double a = std::max<double>(x, kEps<T>), b = std::max<double>(y, kEps<T>);
  if (beta == 0) return a / b - std::log(a / b) - 1;
  if (beta == 1) return x * std::log(a / b) - x + b;
  if (beta == 2) return (static_cast<double>(x) - y) * (static_cast<double>(x) - y);  // ||.||^2, as Euclidean
  return (std::pow(a, beta) + (beta - 1) * std::pow(b, beta) - beta * a * std::pow(b, beta - 1)) / (beta * (beta - 1));
}

// W .*= Num ./ max(Den, eps) column-wise, skipping frozen columns; Den given per entry.
template <class T, class DenF>
void mu_columns(Mat<T>& X, const Mat<T>& num, DenF den, const std::vector<char>& frozen_cols,
                const std::vector<char>& frozen_rows, double gamma = 1.0) {
  const Index rows = X.rows(), cols = X.cols();
#pragma omp parallel for schedule(static)
  for (Index j = 0; j < cols; ++j) {
    if (!frozen_cols.empty() && frozen_cols[j]) continue;
    for (Index i = 0; i < rows; ++i) {
      if (!frozen_rows.empty() && frozen_rows[i]) continue;
      const T ratio = num(i, j) / std::max(den(i, j), kEps<T>);
      X(i, j) *= gamma == 1.0 ? ratio : static_cast<T>(std::pow(static_cast<double>(ratio), gamma));
    }
  }
}

}  // namespace notewise::nmf::engine
