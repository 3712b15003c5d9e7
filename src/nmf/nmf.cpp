#include "notewise/nmf/nmf.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>

#include <omp.h>

#include "notewise/core/error.hpp"
#include "notewise/core/threads.hpp"
// One file per engine (each a class with h_step / w_step / loss_after_iteration); this file is
// the driver: start checks, the path choice, the loop, stop rules, normalisation, callback.
#include "dense_beta.hpp"
#include "dense_euclidean.hpp"
#include "dense_kl.hpp"
#include "sparse_euclidean.hpp"
#include "sparse_kl.hpp"

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

using namespace engine;

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

namespace {

// The driver over V whole (`whole`, every path) or in segments (`sv` only: the sparse KL path).
template <class T>
Result<T> factorize_any(const SegmentedV<T>& sv, const Eigen::Ref<const Matrix<T>>* whole, Matrix<T> W0, Matrix<T> H0,
                        const Options& o, const Callback& callback) {
  o.validate();
  const Index K = sv.rows(), N = sv.cols(), R = W0.cols();
  if (K == 0 || N == 0) throw InvalidArgument("nmf: V is empty");
  if (W0.rows() != K || H0.rows() != R || H0.cols() != N)
    throw InvalidArgument("nmf: shapes do not fit: V " + std::to_string(K) + "x" + std::to_string(N) + ", W0 " +
                          std::to_string(W0.rows()) + "x" + std::to_string(W0.cols()) + ", H0 " +
                          std::to_string(H0.rows()) + "x" + std::to_string(H0.cols()));
  if (R == 0) throw InvalidArgument("nmf: rank must be >= 1");
  Divergence d = o.divergence;
  if (d == Divergence::Beta && o.beta == 2) d = Divergence::Euclidean;
  if (d == Divergence::Beta && o.beta == 1) d = Divergence::KullbackLeibler;
  if (!whole && (d != Divergence::KullbackLeibler || o.path == Path::Dense))
    throw InvalidArgument("nmf: a spectrogram read in segments is factorised by the sparse KL path only (loss kl)");
  // One parallel, vectorised pass over V (the one large input) for both checks and ||V||^2,
  // which the Euclidean loss needs.
  bool finite = true, nonnegative = true;
  double vnorm2 = 0;
  sv.each_segment([&](Index n0, Index n1, const Columns<T>& col) {
#pragma omp parallel for reduction(&& : finite, nonnegative) reduction(+ : vnorm2) schedule(static)
    for (Index n = n0; n < n1; ++n) {
      const detail::Scan s = detail::scan(col(n), K);
      finite = finite && s.finite;
      nonnegative = nonnegative && s.nonnegative;
      vnorm2 += s.sum_squares;
    }
  });
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

  bool sparse = false;
  detail::SparsePattern pattern;
  double sparse_work = 0;  // the sparse path's entries per step (below), where it runs
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
    // In segments, the sparse path is the one that runs: the same result up to float rounding.
    sparse = !whole || o.path == Path::Sparse || (o.path == Path::Auto && work < limit * static_cast<double>(K) * N * R);
    const auto extras = d == Divergence::Euclidean ? detail::PatternFor::Euclidean : detail::PatternFor::KullbackLeibler;
    if (sparse) pattern = detail::build_pattern(nonzero_w, nonzero_h, extras);
    sparse_work = work;
  }
  result.sparse_path = sparse;
  // A small factorisation runs on one thread: waking and joining a second costs more than it
  // saves (core/threads.hpp; the engines size their buffers by the threads they find here).
  const threads::Scope serial_if_small(
      threads::for_work(sparse ? sparse_work : static_cast<double>(K) * static_cast<double>(N) * static_cast<double>(R)));
  if (d == Divergence::Euclidean) {
    if (sparse) {
      SparseEuclidean<T> e(*whole, W, H, f, pattern, vnorm2);
      drive<T>(e, W, H, o, f, callback, result);
    } else {
      DenseEuclidean<T> e(*whole, W, H, f, vnorm2);
      drive<T>(e, W, H, o, f, callback, result);
    }
  } else if (d == Divergence::KullbackLeibler) {
    if (sparse) {
      SparseKL<T> e(sv, W, H, f, pattern);
      drive<T>(e, W, H, o, f, callback, result);
    } else {
      DenseKL<T> e(*whole, W, H, f);
      drive<T>(e, W, H, o, f, callback, result);
    }
  } else {
    DenseBeta<T> e(*whole, W, H, f, o.beta);
    drive<T>(e, W, H, o, f, callback, result);
  }
  return result;
}

}  // namespace

template <class T>
Result<T> factorize(const Eigen::Ref<const Matrix<T>>& V, Matrix<T> W0, Matrix<T> H0, const Options& o,
                    const Callback& callback) {
  const SegmentedV<T> sv(V);
  return factorize_any<T>(sv, &V, std::move(W0), std::move(H0), o, callback);
}

template <class T>
Result<T> factorize(const ColumnStore<T>& V, Matrix<T> W0, Matrix<T> H0, const Options& o, const Callback& callback,
                    Index segment_frames) {
  require(segment_frames >= 1, "segment_frames", static_cast<double>(segment_frames), ">= 1");
  const SegmentedV<T> sv(V, segment_frames);
  return factorize_any<T>(sv, nullptr, std::move(W0), std::move(H0), o, callback);
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
template Result<float> factorize<float>(const ColumnStore<float>&, Matrix<float>, Matrix<float>, const Options&,
                                        const Callback&, Index);
template Result<double> factorize<double>(const ColumnStore<double>&, Matrix<double>, Matrix<double>, const Options&,
                                          const Callback&, Index);
template double loss<float>(const Eigen::Ref<const Matrix<float>>&, const Matrix<float>&, const Matrix<float>&, const Options&);
template double loss<double>(const Eigen::Ref<const Matrix<double>>&, const Matrix<double>&, const Matrix<double>&, const Options&);

}  // namespace notewise::nmf
