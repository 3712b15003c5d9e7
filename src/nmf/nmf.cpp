#include "notewise/nmf/nmf.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>

#include <omp.h>

#include "notewise/core/error.hpp"
#include "kernels.hpp"
#include "large_buffer.hpp"
#include "sparse_pattern.hpp"

namespace notewise::nmf {

void Options::validate() const {
  require(max_iterations >= 0, "max_iterations", max_iterations, ">= 0");
  require(std::isfinite(tol) && tol >= 0, "tol", tol, ">= 0");
  require(std::isfinite(rel_loss_tol) && rel_loss_tol >= 0, "rel_loss_tol", rel_loss_tol, ">= 0");
  if (divergence == Divergence::Beta) require(beta >= 0 && beta <= 2, "beta", beta, "in [0, 2]");
  if (path == Path::Sparse && divergence == Divergence::Beta && beta != 1 && beta != 2)
    throw InvalidArgument("path = sparse: only the Euclidean and KL divergences have a sparse path");
}

std::string to_string(Divergence d, double beta) {
  switch (d) {
    case Divergence::Euclidean: return "euclidean";
    case Divergence::KullbackLeibler: return "kl";
    case Divergence::Beta: return "beta=" + std::to_string(beta);
  }
  return "?";
}

template <class T>
Matrix<T> random_matrix(Index rows, Index cols, std::uint64_t seed) {
  // mt19937_64 is specified bit-exactly by the standard; uniform_real_distribution is not, so
  // the 53-bit mapping to [0, 1) is done here to give the same matrix on every platform.
  std::mt19937_64 gen(seed);
  Matrix<T> m(rows, cols);
  for (Index j = 0; j < cols; ++j)
    for (Index i = 0; i < rows; ++i) m(i, j) = static_cast<T>(static_cast<double>(gen() >> 11) * 0x1.0p-53);
  return m;
}

namespace {

template <class T>
using Mat = Matrix<T>;
template <class T>
using ConstRef = Eigen::Ref<const Mat<T>>;

template <class T>
constexpr T kEps = std::numeric_limits<T>::epsilon();

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

// --- Engines: one update step of H or W at a time; the driver owns the loop. -----------------

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

// Sparse-aware Euclidean MU: the same updates, evaluated only where H0 / W0 are nonzero.
// V restricted to each template's bins and frames is gathered once (V_r = V[bins_r, frames_r]),
// and each iteration makes one pass over every V_r for both numerators, each column used while
// it is in L1: (W'V)(r, frames_r) = V_r' w_r, then (VH')(bins_r, r) = V_r h_r with the new h_r.
// W's and H's nonzeros are kept compact, and the Gram matrices W'W and HH' are formed only for
// templates that share a frame (pattern.partners), over the bins they share: as dense products
// they would cost 2KR^2 each per iteration, more than the numerators themselves.
template <class T>
class SparseEuclidean {
 public:
  SparseEuclidean(ConstRef<T> V, Mat<T>& W, Mat<T>& H, const Frozen& f, const detail::SparsePattern& p,
                  double vnorm2)
      : V_(V), W_(W), H_(H), f_(f), p_(p), vnorm2_(vnorm2) {
    // All V_r in one allocation: many separate large blocks would each be mapped and unmapped
    // by the allocator, and the page faults and TLB shootdowns cost more than the iterations.
    const Index R = W_.cols();
    offset_.assign(static_cast<std::size_t>(R) + 1, 0);
    for (Index r = 0; r < R; ++r) offset_[r + 1] = offset_[r] + padded(r) * p_.frames[r].size();
    vr_ = detail::LargeBuffer<T>(offset_[R]);
    // The pass hands out templates largest block first, so that no thread is left with a
    // large one at the end while the other waits.
    largest_first_.resize(R);
    for (Index r = 0; r < R; ++r) largest_first_[r] = r;
    std::stable_sort(largest_first_.begin(), largest_first_.end(),
                     [&](Index a, Index b) { return offset_[a + 1] - offset_[a] > offset_[b + 1] - offset_[b]; });
#pragma omp parallel for schedule(dynamic, 1)
    for (Index r = 0; r < R; ++r) {
      const auto& bins = p_.bins[r];
      const auto& frames = p_.frames[r];
      const auto nb = static_cast<Index>(bins.size());
      for (std::size_t j = 0; j < frames.size(); ++j) {
        T* column = vr_.data() + offset_[r] + j * padded(r);
        detail::gather(V_.col(frames[j]).data(), bins.data(), column, nb);
        std::fill(column + nb, column + padded(r), T(0));
      }
    }
    const auto nnz = static_cast<std::size_t>(p_.frame_start.back());
    hstart_.assign(static_cast<std::size_t>(R) + 1, 0);
    for (Index r = 0; r < R; ++r) hstart_[r + 1] = hstart_[r] + p_.frames[r].size();
    to_template_.resize(nnz);
    for (Index r = 0; r < R; ++r)
      for (std::size_t j = 0; j < p_.slots[r].size(); ++j) to_template_[p_.slots[r][j]] = hstart_[r] + j;
    hf_.resize(nnz);
    ht_.resize(nnz);
    numt_.assign(nnz, T(0));
    wstart_.assign(static_cast<std::size_t>(R) + 1, 0);
    for (Index r = 0; r < R; ++r) wstart_[r + 1] = wstart_[r] + p_.bins[r].size();
    w_.resize(wstart_[R]);
    vht_.assign(wstart_[R], T(0));
    denW_.resize(wstart_[R]);
    WtW_ = Mat<T>::Zero(R, R);
    HHt_ = Mat<T>::Zero(R, R);
    refresh();
  }
  // W or H changed outside the engine (the start, a normalisation).
  void refresh() {
    load_h();
    load_w();
    gram_of_w();
  }
  // The loss of the start, from the sparse numerators (no K x N product is formed).
  double loss_now() {
    pass(false, false);
    gram_of_h();
    return loss(cross_of_h());
  }
  // H's compact values written back to H: drive asks only when it reads H (a stop rule on
  // ||H - H_prev||, a normalisation, the end), which saves a scattered pass per iteration.
  void sync() { store_h(); }
  // The H update, fused with the W numerator (which needs only the new row h_r).
  void h_step() {
    pass(true, !f_.all_w);
    last_ = Last::H;
    h_stepped_ = true;
  }
  void w_step() {
    if (!h_stepped_) pass(false, true);  // H fixed: the W numerator still has to be formed
    h_stepped_ = false;
    gram_of_h();
    const Index R = W_.cols();
    // (W HH')(bins_r, r) from the partners' columns of W (still the W of before this step:
    // the compact w_ is updated, W itself only once all are done).
#pragma omp parallel for schedule(dynamic, 1)
    for (Index r = 0; r < R; ++r) {
      if (!f_.w_cols.empty() && f_.w_cols[r]) continue;
      T* den = denW_.data() + wstart_[r];
      std::fill(den, den + p_.bins[r].size(), T(0));
      const auto& partners = p_.partners[r];
      const auto& start = p_.shared_start[r];
      for (std::size_t q = 0; q < partners.size(); ++q) {
        const T g = HHt_(partners[q], r);
        const T* ws = W_.col(partners[q]).data();
        if (g == T(0)) continue;
        for (auto t = start[q]; t < start[q + 1]; ++t) den[p_.shared_at[r][t]] += g * ws[p_.shared_bins[r][t]];
      }
      for (auto i = wstart_[r]; i < wstart_[r + 1]; ++i) w_[i] *= vht_[i] / std::max(denW_[i], kEps<T>);
    }
    store_w();
    last_ = Last::W;
  }
  double loss_after_iteration() {
    gram_of_w();
    if (last_ == Last::W) {
      double cross = 0;  // <W, VH'> over W's nonzeros
      for (std::size_t i = 0; i < w_.size(); ++i) cross += static_cast<double>(w_[i]) * vht_[i];
      return loss(cross);
    }
    if (last_ == Last::H) {
      gram_of_h();
      return loss(cross_of_h());
    }
    return loss_now();
  }

 private:
  using Vec = Eigen::Matrix<T, Eigen::Dynamic, 1>;
  // V_r's columns are padded with zeros to a multiple of 16 rows (one AVX-512 register), so
  // that the kernel's vector loops have no scalar tails and its columns stay 64-byte aligned.
  std::size_t padded(Index r) const { return (p_.bins[r].size() + 15) / 16 * 16; }
  // ||V||^2 - 2 <V, WH> + <W'W, HH'>, the last over sharing templates only (HH' is 0 elsewhere).
  double loss(double cross) const {
    double quad = 0;
    for (Index r = 0; r < W_.cols(); ++r)
      for (auto q : p_.partners[r]) quad += static_cast<double>(WtW_(q, r)) * HHt_(q, r);
    return std::max(0.0, vnorm2_ - 2 * cross + quad);
  }
  // <W'V, H> from the H numerators at H's nonzeros.
  double cross_of_h() const {
    double c = 0;
    for (std::size_t i = 0; i < ht_.size(); ++i) c += static_cast<double>(numt_[i]) * ht_[i];
    return c;
  }
  // One pass over every V_r: the H numerators, if update_h the new H, and if w_numerator the
  // W numerators VH' with it.
  void pass(bool update_h, bool w_numerator) {
    const Index R = W_.cols();
#pragma omp parallel
    {
      Vec den, w, acc;
#pragma omp for schedule(dynamic, 1)
      for (Index o = 0; o < R; ++o) {
        const Index r = largest_first_[o];
        const auto& frames = p_.frames[r];
        const Index nb = static_cast<Index>(p_.bins[r].size()), nf = static_cast<Index>(frames.size());
        const auto rows = static_cast<Index>(padded(r));
        const bool update = update_h && (f_.h_rows.empty() || !f_.h_rows[r]);
        w = Vec::Zero(rows);  // zeros in the padding rows, as in V_r
        w.head(nb) = Eigen::Map<const Vec>(w_.data() + wstart_[r], nb);
        acc.resize(rows);
        den.resize(nf);
        if (update) {
          // (W'W H)(r, n) over the templates active in frame n, from the frame-ordered copy hf_,
          // which keeps the H of before this step while ht_ is updated.
          const T* g = WtW_.col(r).data();  // W'W is symmetric
          for (Index j = 0; j < nf; ++j) {
            const auto& a = p_.active[frames[j]];
            const T* h = hf_.data() + p_.frame_start[frames[j]];
            T d = 0;
            for (std::size_t i = 0; i < a.size(); ++i) d += g[a[i]] * h[i];
            den[j] = d;
          }
        }
        // Only template r's entries of ht_ and numt_ are written: no other thread reads them.
        detail::template_pass(vr_.data() + offset_[r], rows, nf, w.data(), ht_.data() + hstart_[r], den.data(),
                              numt_.data() + hstart_[r], w_numerator ? acc.data() : nullptr, update);
        if (w_numerator) std::copy(acc.data(), acc.data() + nb, vht_.data() + wstart_[r]);
      }
    }
    if (update_h) frame_order();
  }
  // hf_ from ht_: H's nonzeros from template order into frame order.
  void frame_order() {
    const auto nnz = static_cast<Index>(hf_.size());
#pragma omp parallel for schedule(static)
    for (Index i = 0; i < nnz; ++i) hf_[i] = ht_[to_template_[i]];
  }
  // W'W for sharing templates, over the bins they share. Each pair is formed once, by the
  // thread of its larger index, which writes both halves.
  void gram_of_w() {
    const Index R = W_.cols();
#pragma omp parallel for schedule(dynamic, 1)
    for (Index r = 0; r < R; ++r) {
      const auto& partners = p_.partners[r];
      const auto& start = p_.shared_start[r];
      for (std::size_t q = 0; q < partners.size() && partners[q] <= r; ++q)  // partners ascend
        WtW_(partners[q], r) = WtW_(r, partners[q]) =
            detail::indexed_dot(W_.col(partners[q]).data(), W_.col(r).data(), p_.shared_bins[r].data() + start[q],
                                start[q + 1] - start[q]);
    }
  }
  // HH' for sharing templates, frame by frame from the compact H: column r gets the pairs
  // (q, r) with q <= r, the other half is copied after.
  void gram_of_h() {
    const Index R = H_.rows();
#pragma omp parallel for schedule(dynamic, 1)
    for (Index r = 0; r < R; ++r) {
      for (auto q : p_.partners[r]) HHt_(q, r) = 0;
      const auto& frames = p_.frames[r];
      for (std::size_t j = 0; j < frames.size(); ++j) {
        const T hr = ht_[hstart_[r] + j];
        const auto& a = p_.active[frames[j]];
        const T* h = hf_.data() + p_.frame_start[frames[j]];
        for (std::size_t i = 0; i < a.size() && a[i] <= r; ++i) HHt_(a[i], r) += hr * h[i];  // a ascends
      }
    }
#pragma omp parallel for schedule(dynamic, 4)
    for (Index r = 0; r < R; ++r)
      for (auto q : p_.partners[r])
        if (q > r) HHt_(q, r) = HHt_(r, q);
  }
  // Between H (the result) and its frame-ordered copy hf_ (and, loading, ht_).
  template <bool ToH>
  void copy_h() {
    const Index N = H_.cols();
#pragma omp parallel for schedule(static)
    for (Index n = 0; n < N; ++n) {
      const auto& a = p_.active[n];
      const auto s0 = static_cast<std::size_t>(p_.frame_start[n]);
      for (std::size_t i = 0; i < a.size(); ++i) {
        if constexpr (ToH)
          H_(a[i], n) = hf_[s0 + i];
        else
          hf_[s0 + i] = H_(a[i], n);
      }
    }
    if constexpr (!ToH) {
      const auto nnz = static_cast<Index>(hf_.size());
#pragma omp parallel for schedule(static)
      for (Index i = 0; i < nnz; ++i) ht_[to_template_[i]] = hf_[i];
    }
  }
  void load_h() { copy_h<false>(); }
  void store_h() { copy_h<true>(); }
  // Between W (the result) and its compact copy w_.
  template <bool ToW>
  void copy_w() {
    const Index R = W_.cols();
#pragma omp parallel for schedule(static)
    for (Index r = 0; r < R; ++r) {
      const auto& bins = p_.bins[r];
      T* w = w_.data() + wstart_[r];
      for (std::size_t i = 0; i < bins.size(); ++i) {
        if constexpr (ToW)
          W_(bins[i], r) = w[i];
        else
          w[i] = W_(bins[i], r);
      }
    }
  }
  void load_w() { copy_w<false>(); }
  void store_w() { copy_w<true>(); }

  enum class Last { None, H, W };
  ConstRef<T> V_;
  Mat<T>&W_, &H_;
  const Frozen& f_;
  const detail::SparsePattern& p_;
  double vnorm2_ = 0;
  Last last_ = Last::None;
  bool h_stepped_ = false;
  std::vector<std::size_t> offset_;  // V_r starts at vr_[offset_[r]], column-major
  std::vector<Index> largest_first_;  // templates by the size of V_r, descending
  detail::LargeBuffer<T> vr_;
  // H's nonzeros, and the H numerators W'V there, template by template (ht_[hstart_[r] + j] is
  // H(r, frames_r[j])); H's nonzeros also frame by frame (hf_, pattern.frame_start), for the
  // sums over a frame's templates. to_template_ maps frame order to template order.
  std::vector<std::size_t> hstart_, to_template_;
  std::vector<T> ht_, numt_, hf_;
  std::vector<std::size_t> wstart_;  // template r's bins are w_[wstart_[r] ..]
  std::vector<T> w_, vht_, denW_;    // W, VH' and W HH' at W's nonzeros, template by template
  Mat<T> WtW_, HHt_;
};

// Sparse-aware KL MU, frame by frame: in frame n only the templates active there (a few of R)
// contribute, so the model column (WH)(:, n) is a handful of axpys along those templates' runs
// of bins, and the ratio V ./ WH, the H numerators W'(V ./ WH) and the W numerators
// (V ./ WH)H' follow from that column while it is in L1. Cost follows H's nonzeros times the
// templates' bands, not R times K. The H step and the W numerators are fused per frame: the W
// step needs V ./ (W H_new) of frame n, which depends only on frame n's new H.
template <class T>
class SparseKL {
 public:
  SparseKL(ConstRef<T> V, Mat<T>& W, Mat<T>& H, const Frozen& f, const detail::SparsePattern& p)
      : V_(V), W_(W), H_(H), f_(f), p_(p) {
    const Index K = V.rows(), N = V.cols(), R = W.cols();
    make_runs(K, R);
    // Frame n's model is exactly zero outside [first_[n], last_[n]) for the whole run: that
    // part of the loss, sum of V log(V/eps) - V + eps, is a constant formed once.
    first_.assign(N, 0);
    last_.assign(N, 0);
    double outside = 0;
#pragma omp parallel for reduction(+ : outside) schedule(static)
    for (Index n = 0; n < N; ++n) {
      Index lo = K, hi = 0;
      for (auto r : p_.active[n]) {
        if (run_start_[r] == run_start_[r + 1]) continue;
        lo = std::min<Index>(lo, runs_[run_start_[r]].start);
        hi = std::max<Index>(hi, runs_[run_start_[r + 1] - 1].start + runs_[run_start_[r + 1] - 1].length);
      }
      if (lo >= hi) lo = hi = 0;
      first_[n] = lo;
      last_[n] = hi;
      const auto add = [&](Index from, Index to) {
        for (Index k = from; k < to; ++k) {
          const double x = V(k, n);
          outside += x * std::log(std::max<double>(x, kEps<T>) / kEps<T>) - x + kEps<T>;
        }
      };
      add(0, lo);
      add(hi, K);
    }
    outside_ = outside;
    numW_.resize(static_cast<std::size_t>(omp_get_max_threads()));
    hsum_.resize(numW_.size());
    numH_.resize(static_cast<std::size_t>(p_.frame_start.back()));
  }
  void refresh() { numH_current_ = false; }  // W or H changed outside the engine
  void sync() {}
  double loss_now() { return loss(); }
  void h_step() {
    frames(true, !f_.all_w);
    h_stepped_ = true;
    numH_current_ = false;
  }
  void w_step() {
    if (!h_stepped_) frames(false, true);  // H fixed: the W numerators still have to be formed
    h_stepped_ = false;
    numH_current_ = false;
    const Index R = W_.cols();
#pragma omp parallel for schedule(dynamic, 1)
    for (Index r = 0; r < R; ++r) {
      if (!f_.w_cols.empty() && f_.w_cols[r]) continue;
      T* num = numW_[0].data() + packed_start_[r];
      const auto len = static_cast<Index>(packed_start_[r + 1] - packed_start_[r]);
      T hsum = hsum_[0][r];
      for (int t = 1; t < threads_; ++t) {
        const T* other = numW_[t].data() + packed_start_[r];
        for (Index i = 0; i < len; ++i) num[i] += other[i];
        hsum += hsum_[t][r];
      }
      const T den = std::max(hsum, kEps<T>);
      T* w = W_.col(r).data();
      for (auto q = run_start_[r]; q < run_start_[r + 1]; ++q) {
        const auto& run = runs_[q];
        for (Index i = 0; i < run.length; ++i) {
          T& wk = w[run.start + i];
          if (wk != T(0)) wk *= num[i] / den;  // the widened runs' zeros stay zero
        }
        num += run.length;
      }
    }
  }
  double loss_after_iteration() { return loss(); }

 private:
  // Each template's nonzero bins as runs, merged across gaps under 16 bins and widened to
  // multiples of 16 (clipped to K), so that the vector loops have no scalar tails. The added
  // bins are zeros of W (exact), and the runs of one template never overlap: after merging,
  // neighbours are at least 16 bins apart, and widening stays within 16-bin blocks.
  void make_runs(Index K, Index R) {
    run_start_.assign(static_cast<std::size_t>(R) + 1, 0);
    packed_start_.assign(static_cast<std::size_t>(R) + 1, 0);
    for (Index r = 0; r < R; ++r) {
      const auto& bins = p_.bins[r];
      for (std::size_t i = 0; i < bins.size();) {
        Index b = bins[i], e = bins[i] + 1;
        for (++i; i < bins.size() && bins[i] - e < 16; ++i) e = bins[i] + 1;
        b -= b % 16;
        e = std::min(K, b + (e - b + 15) / 16 * 16);
        runs_.push_back({static_cast<std::int32_t>(b), static_cast<std::int32_t>(e - b)});
        packed_start_[r + 1] += static_cast<std::size_t>(e - b);
      }
      run_start_[r + 1] = runs_.size();
      packed_start_[r + 1] += packed_start_[r];
    }
  }
  const detail::Run* runs(Index r) const { return runs_.data() + run_start_[r]; }
  Index run_count(Index r) const { return static_cast<Index>(run_start_[r + 1] - run_start_[r]); }
  // x = (WH)(first..last, n) from the templates active in frame n; x is zero outside.
  void model_column(Index n, T* x) const {
    std::fill(x + first_[n], x + last_[n], T(0));
    for (auto r : p_.active[n]) detail::runs_axpy(H_(r, n), W_.col(r).data(), x, runs(r), run_count(r));
  }
  // x = V ./ WH over [first, last) of frame n, in place: one division per bin, where the
  // templates' runs would repeat the bins they share.
  void ratio_column(Index n, T* x) const {
    detail::kl_ratio(V_.col(n).data() + first_[n], x + first_[n], last_[n] - first_[n], false);
  }
  // Frame by frame: if update_h, the H update; if w_numerators, (V ./ WH)H' and H's row sums
  // with the (new) H, accumulated per thread.
  void frames(bool update_h, bool w_numerators) {
    const Index K = V_.rows(), N = V_.cols(), R = W_.cols();
    Eigen::Matrix<T, Eigen::Dynamic, 1> colsum;
    if (update_h) colsum = W_.colwise().sum().transpose();
#pragma omp parallel
    {
      const auto t = static_cast<std::size_t>(omp_get_thread_num());
#pragma omp single
      threads_ = omp_get_num_threads();  // the W step sums the numerators of these threads
      if (w_numerators) {
        numW_[t].assign(packed_start_.back(), T(0));
        hsum_[t].assign(static_cast<std::size_t>(R), T(0));
      }
      std::vector<T> x(static_cast<std::size_t>(K));
      // Fixed frames per thread, so that the per-thread sums are the same run after run.
#pragma omp for schedule(static)
      for (Index n = 0; n < N; ++n) {
        const auto& a = p_.active[n];
        if (a.empty()) continue;
        if (update_h) {
          // The numerators W'(V ./ WH) of this (W, H): from the loss pass if it formed them.
          T* num = numH_.data() + p_.frame_start[n];
          if (!numH_current_) {
            model_column(n, x.data());
            ratio_column(n, x.data());
            numerators(n, x.data(), num);
          }
          // They do not depend on H(:, n) any more: updating in place is exact.
          for (std::size_t i = 0; i < a.size(); ++i) {
            const auto r = a[i];
            if (f_.h_rows.empty() || !f_.h_rows[r]) H_(r, n) *= num[i] / std::max(colsum[r], kEps<T>);
          }
        }
        if (!w_numerators) continue;
        model_column(n, x.data());
        ratio_column(n, x.data());
        for (auto r : a) {
          const T h = H_(r, n);
          detail::runs_axpy_packed(h, x.data(), numW_[t].data() + packed_start_[r], runs(r), run_count(r));
          hsum_[t][r] += h;
        }
      }
    }
  }
  // num[i] = W(:, r)'(V ./ WH)(:, n) for the i-th template r active in frame n; x holds the ratio.
  void numerators(Index n, const T* x, T* num) const {
    const auto& a = p_.active[n];
    for (std::size_t i = 0; i < a.size(); ++i)
      num[i] = detail::runs_dot(W_.col(a[i]).data(), x, runs(a[i]), run_count(a[i]));
  }
  // The loss of the current (W, H); with the ratio at hand, also the next H step's numerators
  // (unless H is fixed), which saves that step a model column and a ratio per frame.
  double loss() {
    const Index K = V_.rows(), N = V_.cols();
    const bool keep = !f_.all_h;
    double total = 0;
#pragma omp parallel reduction(+ : total)
    {
      std::vector<T> x(static_cast<std::size_t>(K));
#pragma omp for schedule(static)
      for (Index n = 0; n < N; ++n) {
        if (last_[n] == first_[n]) continue;
        model_column(n, x.data());
        total += detail::kl_ratio(V_.col(n).data() + first_[n], x.data() + first_[n], last_[n] - first_[n], true);
        if (keep) numerators(n, x.data(), numH_.data() + p_.frame_start[n]);
      }
    }
    numH_current_ = keep;
    return total + outside_;
  }
  ConstRef<T> V_;
  Mat<T>&W_, &H_;
  const Frozen& f_;
  const detail::SparsePattern& p_;
  std::vector<detail::Run> runs_;        // template r's are runs_[run_start_[r] ..]
  std::vector<std::size_t> run_start_;
  std::vector<std::size_t> packed_start_;  // its W numerators at numW_[t][packed_start_[r] ..]
  std::vector<Index> first_, last_;      // frame n's model is zero outside [first_, last_)
  double outside_ = 0;
  bool h_stepped_ = false;
  bool numH_current_ = false;  // numH_ holds the numerators of the current (W, H)
  std::vector<T> numH_;        // H numerators at H's nonzeros, frame by frame (pattern.frame_start)
  int threads_ = 1;
  std::vector<std::vector<T>> numW_;  // per thread: (V ./ WH)H' along each template's runs
  std::vector<std::vector<T>> hsum_;  // per thread: H's row sums
};

template <class T>
void normalize(Mat<T>& W, Mat<T>& H, Normalization how, const Frozen& f) {
  if (how == Normalization::None || f.all_w || f.all_h) return;
  for (Index r = 0; r < W.cols(); ++r) {
    if ((!f.w_cols.empty() && f.w_cols[r]) || (!f.h_rows.empty() && f.h_rows[r])) continue;
    const T s = how == Normalization::SumToOne ? W.col(r).sum() : W.col(r).maxCoeff();
    if (!(s > 0)) continue;
    W.col(r) /= s;
    H.row(r) *= s;
  }
}

template <class T>
double change_norm(const Mat<T>& now, const Mat<T>& before, StopNorm norm) {
  const Mat<double> d = (now - before).template cast<double>();
  if (norm == StopNorm::Frobenius) return d.norm();
  // Spectral norm = sqrt of the largest eigenvalue of the small Gram matrix.
  const Mat<double> g = d.rows() <= d.cols() ? Mat<double>(d * d.transpose()) : Mat<double>(d.transpose() * d);
  if (g.size() == 0) return 0.0;
  Eigen::SelfAdjointEigenSolver<Mat<double>> es(g, Eigen::EigenvaluesOnly);
  return std::sqrt(std::max(0.0, es.eigenvalues().maxCoeff()));
}

template <class T, class Engine>
void drive(Engine& engine, Mat<T>& W, Mat<T>& H, const Options& o, const Frozen& f, const Callback& callback,
           Result<T>& result) {
  result.initial_loss = engine.loss_now();
  Mat<T> W_prev, H_prev;
  for (int it = 1; it <= o.max_iterations; ++it) {
    if (o.tol > 0) {
      W_prev = W;
      H_prev = H;
    }
    if (!f.all_h) engine.h_step();
    if (!f.all_w) engine.w_step();
    const double L = engine.loss_after_iteration();
    const bool normalize_now = o.normalize_every_iteration && o.normalize_w != Normalization::None;
    if (o.tol > 0 || normalize_now) engine.sync();
    if (normalize_now) {
      normalize(W, H, o.normalize_w, f);
      engine.refresh();
    }
    result.loss.push_back(L);
    result.iterations = it;
    if (callback && !callback(Progress{it, o.max_iterations, L})) {
      result.cancelled = true;
      break;
    }
    if (o.tol > 0 && change_norm(H, H_prev, o.stop_norm) <= o.tol && change_norm(W, W_prev, o.stop_norm) <= o.tol) {
      result.converged = true;
      break;
    }
    if (o.rel_loss_tol > 0) {
      const double before = it == 1 ? result.initial_loss : result.loss[it - 2];
      if (before - L <= o.rel_loss_tol * before) {
        result.converged = true;
        break;
      }
    }
  }
  engine.sync();
  if (!o.normalize_every_iteration) normalize(W, H, o.normalize_w, f);
}

template <class T>
void check_input(const char* name, const Mat<T>& m) {
  if (!m.allFinite()) throw InvalidArgument(std::string("nmf: ") + name + " holds NaN or Inf");
  if (m.size() > 0 && m.minCoeff() < 0) throw InvalidArgument(std::string("nmf: ") + name + " holds negative entries");
}

std::vector<char> flags(const std::vector<Index>& which, Index size, const char* what) {
  if (which.empty()) return {};
  std::vector<char> f(size, 0);
  for (Index i : which) {
    if (i < 0 || i >= size) throw InvalidArgument(std::string("nmf: ") + what + " " + std::to_string(i) + " is out of range");
    f[i] = 1;
  }
  return f;
}

}  // namespace

template <class T>
Result<T> factorize(const Eigen::Ref<const Matrix<T>>& V, Matrix<T> W0, Matrix<T> H0, const Options& o,
                    const Callback& callback) {
  o.validate();
  const Index K = V.rows(), N = V.cols(), R = W0.cols();
  if (K == 0 || N == 0) throw InvalidArgument("nmf: V is empty");
  if (W0.rows() != K || H0.rows() != R || H0.cols() != N)
    throw InvalidArgument("nmf: shapes do not fit: V " + std::to_string(K) + "x" + std::to_string(N) + ", W0 " +
                          std::to_string(W0.rows()) + "x" + std::to_string(W0.cols()) + ", H0 " +
                          std::to_string(H0.rows()) + "x" + std::to_string(H0.cols()));
  if (R == 0) throw InvalidArgument("nmf: rank must be >= 1");
  // One parallel, vectorised pass over V (the one large input) for both checks and ||V||^2,
  // which the Euclidean loss needs.
  bool finite = true, nonnegative = true;
  double vnorm2 = 0;
#pragma omp parallel for reduction(&& : finite, nonnegative) reduction(+ : vnorm2) schedule(static)
  for (Index n = 0; n < N; ++n) {
    const detail::Scan s = detail::scan(V.col(n).data(), K);
    finite = finite && s.finite;
    nonnegative = nonnegative && s.nonnegative;
    vnorm2 += s.sum_squares;
  }
  if (!finite) throw InvalidArgument("nmf: V holds NaN or Inf");
  if (!nonnegative) throw InvalidArgument("nmf: V holds negative entries");
  check_input<T>("W0", W0);
  check_input<T>("H0", H0);

  Frozen f;
  f.h_rows = flags(o.fixed_h_rows, R, "fixed H row");
  f.w_cols = flags(o.fixed_w_columns, R, "fixed W column");
  f.all_h = o.fix_h;
  f.all_w = o.fix_w;

  Result<T> result;
  result.W = std::move(W0);
  result.H = std::move(H0);
  Matrix<T>& W = result.W;
  Matrix<T>& H = result.H;

  Divergence d = o.divergence;
  if (d == Divergence::Beta && o.beta == 2) d = Divergence::Euclidean;
  if (d == Divergence::Beta && o.beta == 1) d = Divergence::KullbackLeibler;

  bool sparse = false;
  detail::SparsePattern pattern;
  if (d != Divergence::Beta && o.path != Path::Dense) {
    // The sparse work from counts alone (the pattern itself is built only when the sparse path
    // runs), against the dense path's K*N*R,
    // with break-evens measured by bench/ (docs/PERFORMANCE.md). Euclidean touches V at each
    // template's bins and frames, sum_r |bins_r| |frames_r|, about 10 times dearer per entry
    // than BLAS (break-even between 7 % and 10 % of the dense work). KL works frame by frame
    // along each active template's span of bins, sum_r |frames_r| span_r, about 4 times dearer
    // (break-even between 23 % and 30 %). A real score-informed start (harmonic bands up to
    // Nyquist, H 20 % nonzero) is therefore faster dense for Euclidean and sparse for KL.
    const Eigen::Array<bool, Eigen::Dynamic, Eigen::Dynamic> nonzero_w = W.array() != T(0);
    const Eigen::Array<bool, Eigen::Dynamic, Eigen::Dynamic> nonzero_h = H.array() != T(0);
    const Eigen::Array<double, Eigen::Dynamic, 1> frames = nonzero_h.rowwise().count().template cast<double>();
    double work = 0;
    for (Index r = 0; r < R; ++r) {
      double extent = 0;
      if (d == Divergence::Euclidean) {
        extent = static_cast<double>(nonzero_w.col(r).count());
      } else if (nonzero_w.col(r).any()) {
        Index first = 0, last = K - 1;
        while (!nonzero_w(first, r)) ++first;
        while (!nonzero_w(last, r)) --last;
        extent = static_cast<double>(last - first + 1);
      }
      work += extent * frames[r];
    }
    const double limit = d == Divergence::Euclidean ? 1.0 / 12 : 1.0 / 4;
    sparse = o.path == Path::Sparse || (o.path == Path::Auto && work < limit * static_cast<double>(K) * N * R);
    const auto extras = d == Divergence::Euclidean ? detail::PatternFor::Euclidean : detail::PatternFor::KullbackLeibler;
    if (sparse) pattern = detail::build_pattern(nonzero_w, nonzero_h, extras);
  }
  result.sparse_path = sparse;
  if (d == Divergence::Euclidean) {
    if (sparse) {
      SparseEuclidean<T> e(V, W, H, f, pattern, vnorm2);
      drive<T>(e, W, H, o, f, callback, result);
    } else {
      DenseEuclidean<T> e(V, W, H, f, vnorm2);
      drive<T>(e, W, H, o, f, callback, result);
    }
  } else if (d == Divergence::KullbackLeibler) {
    if (sparse) {
      SparseKL<T> e(V, W, H, f, pattern);
      drive<T>(e, W, H, o, f, callback, result);
    } else {
      DenseKL<T> e(V, W, H, f);
      drive<T>(e, W, H, o, f, callback, result);
    }
  } else {
    DenseBeta<T> e(V, W, H, f, o.beta);
    drive<T>(e, W, H, o, f, callback, result);
  }
  return result;
}

template <class T>
double loss(const Eigen::Ref<const Matrix<T>>& V, const Matrix<T>& W, const Matrix<T>& H, const Options& o) {
  const Mat<T> lam = W * H;
  double beta = o.divergence == Divergence::Euclidean ? 2.0 : o.divergence == Divergence::KullbackLeibler ? 1.0 : o.beta;
  double total = 0;
  for (Index n = 0; n < V.cols(); ++n)
    for (Index k = 0; k < V.rows(); ++k) total += beta_div<T>(V(k, n), lam(k, n), beta);
  return total;
}

void parse_divergence(const std::string& s, Options& o) {
  if (s == "euclidean") {
    o.divergence = Divergence::Euclidean;
  } else if (s == "kl") {
    o.divergence = Divergence::KullbackLeibler;
  } else if (s == "is") {
    o.divergence = Divergence::Beta;
    o.beta = 0;
  } else if (s.rfind("beta=", 0) == 0) {
    o.divergence = Divergence::Beta;
    try {
      std::size_t used = 0;
      o.beta = std::stod(s.substr(5), &used);
      if (used != s.size() - 5) throw std::invalid_argument(s);
    } catch (const std::exception&) {
      throw InvalidArgument("loss " + s + ": expected beta=<number in [0, 2]>");
    }
  } else {
    throw InvalidArgument("loss " + s + ": expected euclidean, kl, is or beta=<B>");
  }
}

template <class T>
std::pair<Matrix<T>, Matrix<T>> random_start(const Eigen::Ref<const Matrix<T>>& V, Index rank, std::uint64_t seed) {
  require(rank >= 1, "rank", static_cast<double>(rank), ">= 1");
  const double mean = V.size() > 0 ? static_cast<double>(V.mean()) : 0.0;
  const T scale = static_cast<T>(std::sqrt(std::max(mean, 1e-12) / static_cast<double>(rank)) * 2.0);
  return {random_matrix<T>(V.rows(), rank, seed) * scale, random_matrix<T>(rank, V.cols(), seed + 1) * scale};
}

template std::pair<Matrix<float>, Matrix<float>> random_start<float>(const Eigen::Ref<const Matrix<float>>&, Index, std::uint64_t);
template std::pair<Matrix<double>, Matrix<double>> random_start<double>(const Eigen::Ref<const Matrix<double>>&, Index, std::uint64_t);
template Matrix<float> random_matrix<float>(Index, Index, std::uint64_t);
template Matrix<double> random_matrix<double>(Index, Index, std::uint64_t);
template Result<float> factorize<float>(const Eigen::Ref<const Matrix<float>>&, Matrix<float>, Matrix<float>,
                                        const Options&, const Callback&);
template Result<double> factorize<double>(const Eigen::Ref<const Matrix<double>>&, Matrix<double>, Matrix<double>,
                                          const Options&, const Callback&);
template double loss<float>(const Eigen::Ref<const Matrix<float>>&, const Matrix<float>&, const Matrix<float>&, const Options&);
template double loss<double>(const Eigen::Ref<const Matrix<double>>&, const Matrix<double>&, const Matrix<double>&, const Options&);

}  // namespace notewise::nmf
