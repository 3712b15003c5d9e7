#pragma once
// Sparse-aware KL updates, frame by frame.
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

// Sparse-aware KL MU, frame by frame: in frame n only the templates active there (a few of R)
// contribute, so the model column (WH)(:, n) is a handful of axpys along those templates' runs
// of bins, and the ratio V ./ WH, the H numerators W'(V ./ WH) and the W numerators
// (V ./ WH)H' follow from that column while it is in L1. Cost follows H's nonzeros times the
// templates' bands, not R times K. The H step and the W numerators are fused per frame: the W
// step needs V ./ (W H_new) of frame n, which depends only on frame n's new H.
// V comes whole or from a ColumnStore (SegmentedV): every pass over the frames then runs a
// segment at a time, and the W numerators and H's row sums accumulate across the segments.
template <class T>
class SparseKL {
 public:
  SparseKL(const SegmentedV<T>& V, Mat<T>& W, Mat<T>& H, const Frozen& f, const detail::SparsePattern& p)
      : V_(V), W_(W), H_(H), f_(f), p_(p) {
    const Index K = V.rows(), N = V.cols(), R = W.cols();
    make_runs(K, R);
    // Frame n's model is exactly zero outside [first_[n], last_[n]) for the whole run: that
    // part of the loss, sum of V log(V/eps) - V + eps, is a constant formed once.
    first_.assign(N, 0);
    last_.assign(N, 0);
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
    }
    double outside = 0;
    V_.each_segment([&](Index n0, Index n1, const Columns<T>& col) {
#pragma omp parallel for reduction(+ : outside) schedule(static)
      for (Index n = n0; n < n1; ++n) {
        const T* v = col(n);
        const auto add = [&](Index from, Index to) {
          for (Index k = from; k < to; ++k) {
            const double x = v[k];
            outside += x * std::log(std::max<double>(x, kEps<T>) / kEps<T>) - x + kEps<T>;
          }
        };
        add(0, first_[n]);
        add(last_[n], K);
      }
    });
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
  void ratio_column(Index n, const T* v, T* x) const {
    detail::kl_ratio(v + first_[n], x + first_[n], last_[n] - first_[n], false);
  }
  // Frame by frame: if update_h, the H update; if w_numerators, (V ./ WH)H' and H's row sums
  // with the (new) H, accumulated per thread.
  void frames(bool update_h, bool w_numerators) {
    const Index K = V_.rows(), R = W_.cols();
    Eigen::Matrix<T, Eigen::Dynamic, 1> colsum;
    if (update_h) colsum = W_.colwise().sum().transpose();
    threads_ = omp_get_max_threads();  // the W step sums the numerators of these threads
    if (w_numerators)
      for (int t = 0; t < threads_; ++t) {
        numW_[static_cast<std::size_t>(t)].assign(packed_start_.back(), T(0));
        hsum_[static_cast<std::size_t>(t)].assign(static_cast<std::size_t>(R), T(0));
      }
    V_.each_segment([&](Index n0, Index n1, const Columns<T>& col) {
#pragma omp parallel num_threads(threads_)
      {
        const auto t = static_cast<std::size_t>(omp_get_thread_num());
        std::vector<T> x(static_cast<std::size_t>(K));
        // Fixed frames per thread, so that the per-thread sums are the same run after run.
#pragma omp for schedule(static)
        for (Index n = n0; n < n1; ++n) {
          const auto& a = p_.active[n];
          if (a.empty()) continue;
          const T* v = col(n);
          if (update_h) {
            // The numerators W'(V ./ WH) of this (W, H): from the loss pass if it formed them.
            T* num = numH_.data() + p_.frame_start[n];
            if (!numH_current_) {
              model_column(n, x.data());
              ratio_column(n, v, x.data());
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
          ratio_column(n, v, x.data());
          for (auto r : a) {
            const T h = H_(r, n);
            detail::runs_axpy_packed(h, x.data(), numW_[t].data() + packed_start_[r], runs(r), run_count(r));
            hsum_[t][r] += h;
          }
        }
      }
    });
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
    const Index K = V_.rows();
    const bool keep = !f_.all_h;
    double total = 0;
    V_.each_segment([&](Index n0, Index n1, const Columns<T>& col) {
#pragma omp parallel reduction(+ : total)
      {
        std::vector<T> x(static_cast<std::size_t>(K));
#pragma omp for schedule(static)
        for (Index n = n0; n < n1; ++n) {
          if (last_[n] == first_[n]) continue;
          model_column(n, x.data());
          total += detail::kl_ratio(col(n) + first_[n], x.data() + first_[n], last_[n] - first_[n], true);
          if (keep) numerators(n, x.data(), numH_.data() + p_.frame_start[n]);
        }
      }
    });
    numH_current_ = keep;
    return total + outside_;
  }
  const SegmentedV<T>& V_;
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

}  // namespace notewise::nmf::engine
