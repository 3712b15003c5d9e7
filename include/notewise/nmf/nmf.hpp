#pragma once
// Nonnegative matrix factorisation V ~ W H by multiplicative updates.
//
//   V: K x N (bins x frames), nonnegative;  W: K x R templates;  H: R x N activations.
//
// Update rules (each factor in turn; H first, then W with the new H):
//   Euclidean (Lee & Seung, NIPS 2000, eq. 4):
//     H <- H .* (W'V) ./ (W'W H),          W <- W .* (V H') ./ (W (H H'))
//   Kullback-Leibler (Lee & Seung 2000, eq. 5):
//     H <- H .* (W' (V ./ WH)) ./ (W' 1),  W <- W .* ((V ./ WH) H') ./ (1 H')
//   beta-divergence, beta in [0, 2] (Fevotte & Idier, Neural Computation 2011, eq. 4.2/4.3 with the
//   exponent gamma(beta) = 1/(2-beta) for beta < 1, else 1, that makes the updates monotone):
//     H <- H .* [ (W' (WH)^(beta-2) .* V) ./ (W' (WH)^(beta-1)) ]^gamma     (W likewise)
//
// Losses reported (after every iteration, in double precision):
//   Euclidean ||V - WH||_F^2;  KL sum V log(V/WH) - V + WH;  beta: sum d_beta(V | WH).
//
// Multiplicative updates never turn a zero into a nonzero: entries that are zero in W0 or H0
// stay exactly zero for the whole run (the basis of score-informed constraints). Every
// denominator is floored at the scalar type's epsilon, so no input (all-zero V, silent frames,
// zero templates, zero rows of H) produces NaN or Inf.
//
// Paths: a dense path (BLAS products; no K x N temporary for Euclidean, one K x N workspace for
// KL/beta) and a sparse-aware path for Euclidean and KL used when W0/H0 carry many structural
// zeros: it only computes the entries that can be nonzero, so its cost follows the nonzeros.
// Both give the same result up to float rounding. Path::Auto picks by the estimated work.
//
// Thread safety: factorize() is reentrant; it uses OpenMP and the BLAS backend's threads.
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "notewise/core/types.hpp"
#include "notewise/nmf/columns.hpp"

namespace notewise::nmf {

enum class Divergence { Euclidean, KullbackLeibler, Beta };
enum class StopNorm { Frobenius, Spectral };
enum class Normalization { None, SumToOne, MaxToOne };
enum class Path { Auto, Dense, Sparse };

struct Options {
  Divergence divergence = Divergence::Euclidean;
  double beta = 2.0;  // only for Divergence::Beta; in [0, 2] (0 Itakura-Saito, 1 KL, 2 Euclidean)

  int max_iterations = 100;  // >= 0
  // Stop when ||H_l - H_{l-1}|| <= tol AND ||W_l - W_{l-1}|| <= tol (libfmp's rule); 0 disables.
  double tol = 0.0;
  StopNorm stop_norm = StopNorm::Frobenius;  // Spectral: the 2-norm, as libfmp's np.linalg.norm
  // Stop when (L_{l-1} - L_l) <= rel_loss_tol * L_{l-1}; 0 disables.
  double rel_loss_tol = 0.0;

  bool fix_w = false;                  // supervised: W stays W0 exactly
  bool fix_h = false;                  // H stays H0 exactly
  std::vector<Index> fixed_w_columns;  // semi-supervised: these templates stay fixed
  std::vector<Index> fixed_h_rows;     // these activation rows stay fixed

  // Scale W's columns to sum (or max) one and H's rows by the inverse, so that WH is unchanged.
  Normalization normalize_w = Normalization::None;
  bool normalize_every_iteration = false;  // false: once at the end

  Path path = Path::Auto;

  void validate() const;
};

struct Progress {
  int iteration;       // 1-based, the iteration just completed
  int max_iterations;
  double loss;         // loss after that iteration
};
// Called after every iteration; return false to cancel (the result then holds the last iterate).
using Callback = std::function<bool(const Progress&)>;

template <class T>
struct Result {
  Matrix<T> W;                 // K x R
  Matrix<T> H;                 // R x N
  int iterations = 0;          // iterations run
  bool converged = false;      // a stop rule (tol or rel_loss_tol) was met
  bool cancelled = false;      // the callback asked to stop
  double initial_loss = 0.0;   // loss of (W0, H0)
  std::vector<double> loss;    // loss after each iteration; size() == iterations
  bool sparse_path = false;    // which path ran
};

// Seeded uniform random start in [0, 1) (same seed, same matrices, on every platform).
template <class T>
Matrix<T> random_matrix(Index rows, Index cols, std::uint64_t seed);

// Factorises V from the given start. W0: K x R, H0: R x N; zeros in them stay zero.
// Throws InvalidArgument for shape mismatch, negative or non-finite entries, bad options.
template <class T>
Result<T> factorize(const Eigen::Ref<const Matrix<T>>& V, Matrix<T> W0, Matrix<T> H0, const Options& options,
                    const Callback& callback = {});

// The same factorisation of a V kept in a ColumnStore, read `segment_frames` columns at a time:
// the memory it holds is W, H and one segment. KL only; it runs the sparse path, so the result
// equals factorize's on the same V up to float rounding (the per-thread sums are split at the
// segments' edges). Throws InvalidArgument for another divergence or Path::Dense.
template <class T>
Result<T> factorize(const ColumnStore<T>& V, Matrix<T> W0, Matrix<T> H0, const Options& options,
                    const Callback& callback = {}, Index segment_frames = 4096);

// The loss of (W, H) on V as defined above.
template <class T>
double loss(const Eigen::Ref<const Matrix<T>>& V, const Matrix<T>& W, const Matrix<T>& H, const Options& options);

std::string to_string(Divergence d, double beta);

// "kl" | "euclidean" | "is" | "beta=B" (B in [0, 2]) -> the divergence fields of `o`; throws
// InvalidArgument "loss <text>: expected ..." otherwise.
void parse_divergence(const std::string& text, Options& o);

// A seeded random start (W0: K x rank, H0: rank x N, seeds `seed` and `seed + 1`) scaled so
// that W0 H0 has about the mean of V: the updates then start near the data's level instead of
// spending iterations on the overall scale.
template <class T>
std::pair<Matrix<T>, Matrix<T>> random_start(const Eigen::Ref<const Matrix<T>>& V, Index rank, std::uint64_t seed);

}  // namespace notewise::nmf
