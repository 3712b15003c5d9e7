#pragma once
// Sparse-aware Euclidean updates: the work follows the nonzeros of the start.
// Internal to notewise_nmf: one engine of the driver in nmf.cpp (h_step, w_step,
// loss_after_iteration, loss_now, sync, refresh); the driver owns the loop.
#include <algorithm>
#include <cmath>
#include <vector>

#include <omp.h>

#include "engine_common.hpp"
#include "large_buffer.hpp"
#include "sparse_pattern.hpp"

namespace notewise::nmf::engine {

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

}  // namespace notewise::nmf::engine
