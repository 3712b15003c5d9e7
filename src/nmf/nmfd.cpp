#include "notewise/nmf/nmfd.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

#include "notewise/core/error.hpp"
#include "engine_common.hpp"
#include "kernels.hpp"

namespace notewise::nmf {
namespace {

using engine::kEps;

// [S_0(H); S_1(H); ...; S_{T-1}(H)]: (R T) x N, so that L = [W_0 .. W_{T-1}] times it.
template <class T>
Matrix<T> stacked_h(const Matrix<T>& H, Index frames) {
  const Index R = H.rows(), N = H.cols();
  Matrix<T> S = Matrix<T>::Zero(R * frames, N);
  for (Index tau = 0; tau < frames && tau < N; ++tau) S.block(tau * R, tau, R, N - tau) = H.leftCols(N - tau);
  return S;
}

template <class T>
Matrix<T> stacked_w(const std::vector<Matrix<T>>& W) {
  const Index K = W[0].rows(), R = W[0].cols();
  Matrix<T> S(K, R * static_cast<Index>(W.size()));
  for (std::size_t tau = 0; tau < W.size(); ++tau) S.middleCols(static_cast<Index>(tau) * R, R) = W[tau];
  return S;
}

// The (frame, template) pairs whose column of W_frame is not all zero. Multiplicative updates
// keep a zero a zero, so a pair left out stays zero for good: a band's one-frame pitched
// templates and the short drum classes beside a 2 s cymbal template then cost their own
// frames only, not T frames each (the stacked products shrink from R T to the pairs' count).
struct Pair {
  Index tau, r;
};
template <class T>
std::vector<Pair> active_pairs(const std::vector<Matrix<T>>& W) {
  std::vector<Pair> out;
  for (std::size_t tau = 0; tau < W.size(); ++tau)
    for (Index r = 0; r < W[tau].cols(); ++r)
      if ((W[tau].col(r).array() != T(0)).any()) out.push_back({static_cast<Index>(tau), r});
  return out;
}
template <class T>
Matrix<T> stacked_w(const std::vector<Matrix<T>>& W, const std::vector<Pair>& pairs) {
  Matrix<T> S(W[0].rows(), static_cast<Index>(pairs.size()));
  for (std::size_t m = 0; m < pairs.size(); ++m) S.col(static_cast<Index>(m)) = W[static_cast<std::size_t>(pairs[m].tau)].col(pairs[m].r);
  return S;
}
template <class T>
Matrix<T> stacked_h(const Matrix<T>& H, const std::vector<Pair>& pairs) {
  const Index N = H.cols();
  Matrix<T> S = Matrix<T>::Zero(static_cast<Index>(pairs.size()), N);
  for (std::size_t m = 0; m < pairs.size(); ++m) {
    const Index tau = pairs[m].tau;
    if (tau < N) S.row(static_cast<Index>(m)).rightCols(N - tau) = H.row(pairs[m].r).leftCols(N - tau);
  }
  return S;
}

template <class T>
void check_shapes(Index K, Index N, const std::vector<Matrix<T>>& W, const Matrix<T>& H) {
  if (W.empty()) throw InvalidArgument("nmfd: the templates need at least one frame (T >= 1)");
  const Index R = W[0].cols();
  for (const auto& w : W)
    if (w.rows() != K || w.cols() != R)
      throw InvalidArgument("nmfd: every template frame must be " + std::to_string(K) + "x" + std::to_string(R) + ", one is " +
                            std::to_string(w.rows()) + "x" + std::to_string(w.cols()));
  if (H.rows() != R || H.cols() != N)
    throw InvalidArgument("nmfd: H must be " + std::to_string(R) + "x" + std::to_string(N) + ", is " +
                          std::to_string(H.rows()) + "x" + std::to_string(H.cols()));
  if (R == 0) throw InvalidArgument("nmfd: rank must be >= 1");
}

template <class T>
void check_values(const char* name, const Matrix<T>& m) {
  if (!m.allFinite()) throw InvalidArgument(std::string("nmfd: ") + name + " holds NaN or Inf");
  if (m.size() > 0 && m.minCoeff() < 0) throw InvalidArgument(std::string("nmfd: ") + name + " holds negative entries");
}

template <class T>
double change(const Matrix<T>& a, const Matrix<T>& b, StopNorm norm) {
  const Matrix<double> d = (a - b).template cast<double>();
  if (norm == StopNorm::Frobenius || d.size() == 0) return d.norm();
  const Matrix<double> g = d.rows() <= d.cols() ? Matrix<double>(d * d.transpose()) : Matrix<double>(d.transpose() * d);
  Eigen::SelfAdjointEigenSolver<Matrix<double>> es(g, Eigen::EigenvaluesOnly);
  return std::sqrt(std::max(0.0, es.eigenvalues().maxCoeff()));
}

}  // namespace

template <class T>
Matrix<T> convolve(const std::vector<Matrix<T>>& W, const Matrix<T>& H) {
  check_shapes<T>(W.empty() ? 0 : W[0].rows(), H.cols(), W, H);
  return stacked_w(W) * stacked_h(H, static_cast<Index>(W.size()));
}

template <class T>
Matrix<T> convolve_one(const std::vector<Matrix<T>>& W, const Matrix<T>& H, Index r) {
  check_shapes<T>(W.empty() ? 0 : W[0].rows(), H.cols(), W, H);
  if (r < 0 || r >= H.rows()) throw InvalidArgument("nmfd: template " + std::to_string(r) + " is out of range");
  const Index K = W[0].rows(), N = H.cols();
  Matrix<T> L = Matrix<T>::Zero(K, N);
  // Over H's nonzeros only (a drum row is mostly zeros), frame by frame of the template as a
  // whole-matrix rank-one update would add them: the same sums in the same order.
  std::vector<Index> nz;
  for (Index c = 0; c < N; ++c)
    if (H(r, c) != T(0)) nz.push_back(c);
  for (Index tau = 0; tau < static_cast<Index>(W.size()) && tau < N; ++tau) {
    const T* w = W[static_cast<std::size_t>(tau)].col(r).data();
    if (std::all_of(w, w + K, [](T x) { return x == T(0); })) continue;
    for (Index c : nz) {
      if (c + tau >= N) break;
      const T h = H(r, c);
      T* l = L.data() + (c + tau) * K;
      for (Index k = 0; k < K; ++k) l[k] += w[k] * h;
    }
  }
  return L;
}

template <class T>
double nmfd_loss(const Eigen::Ref<const Matrix<T>>& V, const std::vector<Matrix<T>>& W, const Matrix<T>& H,
                 const Options& o) {
  check_shapes<T>(V.rows(), V.cols(), W, H);
  return loss<T>(V, stacked_w(W), stacked_h(H, static_cast<Index>(W.size())), o);
}

template <class T>
NmfdResult<T> factorize_nmfd(const Eigen::Ref<const Matrix<T>>& V, std::vector<Matrix<T>> W0, Matrix<T> H0,
                             const Options& o, const Callback& callback) {
  o.validate();
  const Index K = V.rows(), N = V.cols();
  if (K == 0 || N == 0) throw InvalidArgument("nmfd: V is empty");
  check_shapes<T>(K, N, W0, H0);
  if (!V.allFinite()) throw InvalidArgument("nmfd: V holds NaN or Inf");
  if (V.minCoeff() < 0) throw InvalidArgument("nmfd: V holds negative entries");
  for (const auto& w : W0) check_values<T>("W0", w);
  check_values<T>("H0", H0);
  const Index R = H0.rows();
  std::vector<char> fixed_w(static_cast<std::size_t>(R), 0), fixed_h(static_cast<std::size_t>(R), 0);
  for (Index r : o.fixed_w_columns) {
    if (r < 0 || r >= R) throw InvalidArgument("nmfd: fixed W column " + std::to_string(r) + " is out of range");
    fixed_w[static_cast<std::size_t>(r)] = 1;
  }
  for (Index r : o.fixed_h_rows) {
    if (r < 0 || r >= R) throw InvalidArgument("nmfd: fixed H row " + std::to_string(r) + " is out of range");
    fixed_h[static_cast<std::size_t>(r)] = 1;
  }

  double beta = o.divergence == Divergence::Euclidean ? 2.0 : o.divergence == Divergence::KullbackLeibler ? 1.0 : o.beta;
  const double gamma = beta < 1 ? 1.0 / (2.0 - beta) : 1.0;
  NmfdResult<T> res;
  res.W = std::move(W0);
  res.H = std::move(H0);
  const std::vector<Pair> pairs = active_pairs(res.W);
  const Index M = static_cast<Index>(pairs.size());
  Matrix<T> Ws = stacked_w(res.W, pairs);  // K x M, kept in step with res.W
  std::vector<Index> h_free;                // the pairs whose H row is not fixed
  for (Index m = 0; m < M; ++m)
    if (!fixed_h[static_cast<std::size_t>(pairs[static_cast<std::size_t>(m)].r)]) h_free.push_back(m);
  const bool all_h_free = static_cast<Index>(h_free.size()) == M;
  if (o.path == Path::Sparse && beta != 1) throw InvalidArgument("nmfd: the sparse path is for the KL divergence (path = auto or dense)");
  // The sparse KL path (issue #38): H's zeros stay zero, so the stacked H has a fixed pattern
  // (pair m = (tau, r) is nonzero at column c + tau for each nonzero H(r, c)). L, the W step's
  // A S_tau(H)' and the H step's numerators at H's nonzeros then cost K per nonzero of the
  // stacked H instead of K per cell: a band's drum rows are 2-50 % nonzero. Auto takes it
  // below a third of the cells (the dense products run near the machine's SGEMM peak).
  std::vector<std::vector<Index>> nz(static_cast<std::size_t>(R));  // H's nonzero columns per row
  for (Index r = 0; r < R; ++r)
    for (Index c = 0; c < N; ++c)
      if (res.H(r, c) != T(0)) nz[static_cast<std::size_t>(r)].push_back(c);
  std::size_t stacked_nnz = 0;
  for (const Pair& p : pairs)
    for (Index c : nz[static_cast<std::size_t>(p.r)]) stacked_nnz += c + p.tau < N ? 1 : 0;
  const bool sparse = beta == 1 && M > 0 &&
                      (o.path == Path::Sparse ||
                       (o.path == Path::Auto && 3 * static_cast<double>(stacked_nnz) < static_cast<double>(M) * static_cast<double>(N)));
  // For L column by column: column n's entries (pair, H row, H column) of the stacked H.
  struct Entry {
    std::int32_t m, r, c;
  };
  std::vector<std::size_t> col_start;
  std::vector<Entry> entries;
  std::vector<std::vector<Index>> pairs_of(static_cast<std::size_t>(R));  // the pairs of each template
  std::vector<std::pair<Index, Index>> h_nz;  // (r, c): H's nonzeros in rows the H step updates
  if (sparse) {
    std::vector<std::size_t> count(static_cast<std::size_t>(N) + 1, 0);
    for (Index m = 0; m < M; ++m) {
      const Pair& p = pairs[static_cast<std::size_t>(m)];
      pairs_of[static_cast<std::size_t>(p.r)].push_back(m);
      for (Index c : nz[static_cast<std::size_t>(p.r)])
        if (c + p.tau < N) ++count[static_cast<std::size_t>(c + p.tau) + 1];
    }
    for (Index n = 0; n < N; ++n) count[static_cast<std::size_t>(n) + 1] += count[static_cast<std::size_t>(n)];
    col_start = count;
    entries.resize(stacked_nnz);
    for (Index m = 0; m < M; ++m) {  // pairs in order within each column: a fixed summation order
      const Pair& p = pairs[static_cast<std::size_t>(m)];
      for (Index c : nz[static_cast<std::size_t>(p.r)])
        if (c + p.tau < N)
          entries[count[static_cast<std::size_t>(c + p.tau)]++] = {static_cast<std::int32_t>(m), static_cast<std::int32_t>(p.r),
                                                                   static_cast<std::int32_t>(c)};
    }
    for (Index r = 0; r < R; ++r)
      if (!fixed_h[static_cast<std::size_t>(r)])
        for (Index c : nz[static_cast<std::size_t>(r)]) h_nz.push_back({r, c});
  }
  Matrix<T> L, A, B;
  // L of the current (Ws, H), or stale: an update or a normalisation makes it stale; the loss
  // after an iteration computes it, and the next H step uses it as it is (the same product of
  // the same factors: the same numbers as computing it again).
  bool L_current = false;
  const auto model = [&] {
    if (L_current) return;
    if (sparse) {
      L.resize(K, N);
#pragma omp parallel for schedule(static)
      for (Index n = 0; n < N; ++n) {
        T* l = L.data() + n * K;
        std::fill(l, l + K, T(0));
        // Four entries at a time: l is read and written once for four templates' columns.
        const std::size_t e0 = col_start[static_cast<std::size_t>(n)], e1 = col_start[static_cast<std::size_t>(n) + 1];
        const auto h = [&](std::size_t e) { return res.H(entries[e].r, entries[e].c); };
        const auto w = [&](std::size_t e) { return Ws.data() + static_cast<Index>(entries[e].m) * K; };
        std::size_t e = e0;
        for (; e + 4 <= e1; e += 4) {
          const T h0 = h(e), h1 = h(e + 1), h2 = h(e + 2), h3 = h(e + 3);
          const T *w0 = w(e), *w1 = w(e + 1), *w2 = w(e + 2), *w3 = w(e + 3);
#pragma omp simd
          for (Index k = 0; k < K; ++k) l[k] += h0 * w0[k] + h1 * w1[k] + h2 * w2[k] + h3 * w3[k];
        }
        for (; e < e1; ++e) {
          const T h0 = h(e);
          const T* w0 = w(e);
#pragma omp simd
          for (Index k = 0; k < K; ++k) l[k] += h0 * w0[k];
        }
      }
    } else {
      L = M > 0 ? Matrix<T>(Ws * stacked_h(res.H, pairs)) : Matrix<T>::Zero(K, N);
    }
    L_current = true;
  };
  // KL: A = V ./ max(L, eps) of the current factors (the ratio written over L), and, with_loss,
  // their divergence, per column in parallel and summed in column order (the same sum for any
  // number of threads). A then stays current until an update; the loss after an iteration
  // leaves it for the next H step.
  bool A_current = false;
  std::vector<double> column_loss;
  const auto kl_weights = [&](bool with_loss) {
    model();
    A.swap(L);
    L_current = false;
    column_loss.assign(with_loss ? static_cast<std::size_t>(N) : 0, 0.0);
#pragma omp parallel for schedule(static)
    for (Index n = 0; n < N; ++n) {
      const double l = detail::kl_ratio(V.data() + n * V.outerStride(), A.data() + n * K, K, with_loss);
      if (with_loss) column_loss[static_cast<std::size_t>(n)] = l;
    }
    A_current = true;
    double total = 0;
    for (double l : column_loss) total += l;
    return total;
  };
  // A = V .* L^(beta-2) and B = L^(beta-1) of the current model (L floored at eps).
  const auto weights = [&] {
    if (beta == 1) {
      if (!A_current) kl_weights(false);
      return;
    }
    model();
    A.resize(K, N);
    if (beta != 1) B.resize(K, N);
#pragma omp parallel for schedule(static)
    for (Index n = 0; n < N; ++n)
      for (Index k = 0; k < K; ++k) {
        const T l = std::max(L(k, n), kEps<T>);
        if (beta == 1) {
          A(k, n) = V(k, n) / l;
        } else if (beta == 2) {
          A(k, n) = V(k, n);
          B(k, n) = l;
        } else {
          A(k, n) = V(k, n) * static_cast<T>(std::pow(static_cast<double>(l), beta - 2));
          B(k, n) = static_cast<T>(std::pow(static_cast<double>(l), beta - 1));
        }
      }
  };
  const auto mu = [&](T& x, T num, T den) {
    const T ratio = num / std::max(den, kEps<T>);
    x *= gamma == 1.0 ? ratio : static_cast<T>(std::pow(static_cast<double>(ratio), gamma));
  };
  // Each template scaled over all its frames, H's row by the inverse (L unchanged).
  const auto normalize = [&] {
    if (o.normalize_w == Normalization::None || o.fix_w || o.fix_h) return;
    for (Index r = 0; r < R; ++r) {
      if (fixed_w[static_cast<std::size_t>(r)] || fixed_h[static_cast<std::size_t>(r)]) continue;
      T s = 0;
      for (const auto& w : res.W)
        s = o.normalize_w == Normalization::SumToOne ? s + w.col(r).sum() : std::max(s, w.col(r).maxCoeff());
      if (!(s > 0)) continue;
      for (auto& w : res.W) w.col(r) /= s;
      res.H.row(r) *= s;
    }
    Ws = stacked_w(res.W, pairs);
    L_current = A_current = false;
  };
  // As loss(V, Ws, stacked H), from L (computed here if stale).
  const double loss_beta = beta;
  const auto current_loss = [&] {
    if (beta == 1) return kl_weights(true);
    model();
    double total = 0;
    for (Index n = 0; n < N; ++n)
      for (Index k = 0; k < K; ++k) total += engine::beta_div<T>(V(k, n), L(k, n), loss_beta);
    return total;
  };

  res.initial_loss = current_loss();
  Matrix<T> W_prev, H_prev;
  for (int it = 1; it <= o.max_iterations; ++it) {
    if (o.tol > 0) {
      W_prev = Ws;
      H_prev = res.H;
    }
    if (!o.fix_h) {
      weights();
      // sum_tau W_tau' S_-tau(X): column n collects W_tau' X(:, n + tau), one product for all pairs.
      // Only the pairs of rows the step updates take part (a band's drum rows are held while the
      // pitched templates settle: most pairs then need no product).
      Matrix<T> Wfree;
      if (!all_h_free && !sparse) {
        Wfree.resize(K, static_cast<Index>(h_free.size()));
        for (std::size_t j = 0; j < h_free.size(); ++j) Wfree.col(static_cast<Index>(j)) = Ws.col(h_free[j]);
      }
      const Matrix<T>& Wh = all_h_free ? Ws : Wfree;
      Matrix<T> num = Matrix<T>::Zero(R, N), den = Matrix<T>::Zero(R, N);
      if (sparse) {
        // num(r, c) = sum over r's pairs (tau, r) of W_tau(:, r)' A(:, c + tau), at H's nonzeros only
        // (a zero of H stays zero whatever its numerator).
#pragma omp parallel for schedule(static)
        for (std::size_t i = 0; i < h_nz.size(); ++i) {
          const auto [r, c] = h_nz[i];
          T total = 0;
          for (Index m : pairs_of[static_cast<std::size_t>(r)]) {
            const Index n = c + pairs[static_cast<std::size_t>(m)].tau;
            if (n >= N) continue;
            const T* w = Ws.data() + m * K;
            const T* a = A.data() + n * K;
            T dot = 0;
#pragma omp simd reduction(+ : dot)
            for (Index k = 0; k < K; ++k) dot += w[k] * a[k];
            total += dot;
          }
          num(r, c) = total;
        }
        for (Index m : h_free) {  // (no copy of the free pairs' columns: their sums only)
          const Pair& p = pairs[static_cast<std::size_t>(m)];
          if (p.tau < N) den.row(p.r).leftCols(N - p.tau).array() += Ws.col(m).sum();
        }
      }
      const Matrix<T> GA = sparse ? Matrix<T>() : Matrix<T>(Wh.transpose() * A);
      Matrix<T> GB;
      if (beta != 1) GB = Wh.transpose() * B;
      for (Index j = 0; j < (sparse ? 0 : Wh.cols()); ++j) {
        const Pair& p = pairs[static_cast<std::size_t>(all_h_free ? j : h_free[static_cast<std::size_t>(j)])];
        const Index tau = p.tau, r = p.r;
        if (tau >= N) continue;
        num.row(r).leftCols(N - tau) += GA.row(j).rightCols(N - tau);
        if (beta == 1) den.row(r).leftCols(N - tau).array() += Wh.col(j).sum();
        else den.row(r).leftCols(N - tau) += GB.row(j).rightCols(N - tau);
      }
      for (Index n = 0; n < N; ++n)
        for (Index r = 0; r < R; ++r)
          if (!fixed_h[static_cast<std::size_t>(r)]) mu(res.H(r, n), num(r, n), den(r, n));
      L_current = A_current = false;
    }
    if (!o.fix_w && sparse) {
      weights();
      // Per pair: A S_tau(H)' over the pair's nonzeros, the KL denominator the shifted row's
      // sum, and the update of that column of W_tau (and of Ws) at once; A and H are read only.
#pragma omp parallel
      {
        std::vector<T> num(static_cast<std::size_t>(K));
#pragma omp for schedule(dynamic, 1)
        for (Index m = 0; m < M; ++m) {
          const Pair& p = pairs[static_cast<std::size_t>(m)];
          if (fixed_w[static_cast<std::size_t>(p.r)]) continue;
          std::fill(num.begin(), num.end(), T(0));
          T* out = num.data();
          T sum = 0;
          const std::vector<Index>& cs = nz[static_cast<std::size_t>(p.r)];
          // The columns the shifted row reaches (c + tau < N), four at a time as in the model.
          const std::size_t end = static_cast<std::size_t>(std::lower_bound(cs.begin(), cs.end(), N - p.tau) - cs.begin());
          const auto a = [&](std::size_t i) { return A.data() + (cs[i] + p.tau) * K; };
          std::size_t i = 0;
          for (; i + 4 <= end; i += 4) {
            const T h0 = res.H(p.r, cs[i]), h1 = res.H(p.r, cs[i + 1]), h2 = res.H(p.r, cs[i + 2]), h3 = res.H(p.r, cs[i + 3]);
            const T *a0 = a(i), *a1 = a(i + 1), *a2 = a(i + 2), *a3 = a(i + 3);
#pragma omp simd
            for (Index k = 0; k < K; ++k) out[k] += h0 * a0[k] + h1 * a1[k] + h2 * a2[k] + h3 * a3[k];
            sum += h0 + h1 + h2 + h3;
          }
          for (; i < end; ++i) {
            const T h0 = res.H(p.r, cs[i]);
            const T* a0 = a(i);
#pragma omp simd
            for (Index k = 0; k < K; ++k) out[k] += h0 * a0[k];
            sum += h0;
          }
          T* w = res.W[static_cast<std::size_t>(p.tau)].col(p.r).data();
          for (Index k = 0; k < K; ++k) mu(w[k], out[k], sum);
          Ws.col(m) = res.W[static_cast<std::size_t>(p.tau)].col(p.r);
        }
      }
      L_current = A_current = false;
    } else if (!o.fix_w) {
      weights();
      Matrix<T> num, den;
      {
        const Matrix<T> Hs = stacked_h(res.H, pairs);
        num = A * Hs.transpose();  // K x M: A S_tau(H)' per pair
        if (beta == 1) {
          den = Hs.rowwise().sum().transpose().replicate(K, 1);
        } else {
          den = B * Hs.transpose();
        }
      }
      for (Index m = 0; m < M; ++m) {
        const Index tau = pairs[static_cast<std::size_t>(m)].tau, r = pairs[static_cast<std::size_t>(m)].r;
        if (fixed_w[static_cast<std::size_t>(r)]) continue;
        for (Index k = 0; k < K; ++k) mu(res.W[static_cast<std::size_t>(tau)](k, r), num(k, m), den(k, m));
      }
      Ws = stacked_w(res.W, pairs);
      L_current = A_current = false;
    }
    if (o.normalize_every_iteration) normalize();
    const double l = current_loss();
    res.loss.push_back(l);
    res.iterations = it;
    if (callback && !callback(Progress{it, o.max_iterations, l})) {
      res.cancelled = true;
      break;
    }
    if (o.tol > 0 && change<T>(res.H, H_prev, o.stop_norm) <= o.tol && change<T>(Ws, W_prev, o.stop_norm) <= o.tol) {
      res.converged = true;
      break;
    }
    if (o.rel_loss_tol > 0) {
      const double before = it == 1 ? res.initial_loss : res.loss[static_cast<std::size_t>(it) - 2];
      if (before - l <= o.rel_loss_tol * before) {
        res.converged = true;
        break;
      }
    }
  }
  if (!o.normalize_every_iteration) normalize();
  return res;
}

#define NOTEWISE_NMFD(T)                                                                                          \
  template Matrix<T> convolve<T>(const std::vector<Matrix<T>>&, const Matrix<T>&);                               \
  template Matrix<T> convolve_one<T>(const std::vector<Matrix<T>>&, const Matrix<T>&, Index);                    \
  template NmfdResult<T> factorize_nmfd<T>(const Eigen::Ref<const Matrix<T>>&, std::vector<Matrix<T>>, Matrix<T>, \
                                           const Options&, const Callback&);                                      \
  template double nmfd_loss<T>(const Eigen::Ref<const Matrix<T>>&, const std::vector<Matrix<T>>&, const Matrix<T>&, \
                               const Options&);
NOTEWISE_NMFD(float)
NOTEWISE_NMFD(double)
#undef NOTEWISE_NMFD

}  // namespace notewise::nmf
