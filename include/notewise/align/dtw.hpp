#pragma once
// Dynamic time warping (Mueller, Fundamentals of Music Processing, ch. 3.2) with the step sizes
// (1,1), (1,0), (0,1) and their weights, full or restricted to a band, and the multiscale
// version (Praetzlich, Driedger & Mueller, ICASSP 2016): align coarse features, project the
// path one level finer, and search only a band around it, so memory grows with the length,
// not its square.
#include <functional>
#include <utility>
#include <vector>

#include "notewise/core/types.hpp"

namespace notewise {

struct DtwWeights {
  double diagonal = 1.0;  // step (1,1)
  double down = 1.0;      // step (1,0): audio advances, score waits
  double right = 1.0;     // step (0,1)
};

using WarpingPath = std::vector<std::pair<Index, Index>>;  // (row i, column j), from (0,0) to (N-1, M-1)

// Optimal path through the cost matrix C (N x M, nonnegative). Throws for an empty C.
WarpingPath dtw(const MatrixXf& C, const DtwWeights& w = {});

// Subsequence DTW (Mueller, FMP ch. 7.2.3): the optimal path from row 0 to row N-1 that may
// start and end at any column: the rows (a query, e.g. a recording of an excerpt) matched to
// the columns' best-fitting stretch (a whole piece's score). D(0, j) = C(0, j), the end is the
// cheapest cell of the last row. Throws for an empty C.
WarpingPath subsequence_dtw(const MatrixXf& C, const DtwWeights& w = {});

// Cost of the cells of a path, summed with the step weights, as DTW minimises it.
double path_cost(const MatrixXf& C, const WarpingPath& path, const DtwWeights& w = {});

// Per row i: the columns [first, last] DTW may use. Rows must allow a monotonic path.
using Band = std::vector<std::pair<Index, Index>>;

// dtw restricted to `band`; cost(i, j) is evaluated only inside it. subsequence: free start in
// row 0 and free end in the last row, within the band (subsequence_dtw).
template <class CostFn>
WarpingPath dtw_band(Index rows, Index cols, const Band& band, const CostFn& cost, const DtwWeights& w = {},
                     bool subsequence = false);

// Multiscale DTW of feature sequences A (d x N) and B (d x M) under the cost
// cost(A.col(i), B.col(j)). levels >= 1; each coarser level averages `factor` frames; the band
// around the projected path has the given radius in cells of the finer level.
struct MultiscaleOptions {
  int levels = 3;
  int factor = 4;
  // In cells of each finer level (480 ms at 10 ms, 1.9 s at 40 ms): the smallest of 32, 48
  // and 64 at which the path equalled the full DTW's on every recording measured and on a
  // skipped passage (docs/RESULTS.md); the band is the search's approximation, not a model.
  Index radius = 48;
  // Where a level's path runs along the edge of its band (the coarse path went wrong there, as
  // over a passage shorter than a coarse frame), widen the band there by radius, 2 radius and
  // 4 radius in turn and run the level again while it still does. The band only grows, so
  // the path's cost can only fall.
  bool widen = true;
  // Rows [first, second) are pooled by their maximum when a level is coarsened, the others by
  // their mean. For onset features: an onset anywhere in a coarse frame is an onset of it;
  // the mean diluted it by the factor (a quarter, a sixteenth), so the coarse levels chose
  // their path by chroma alone and the finer bands could miss the onsets' path.
  std::pair<Index, Index> peak_rows{0, 0};
  DtwWeights weights;
  // Subsequence DTW at every level: A (the query) is matched whole, B from and to wherever fits
  // best (the coarse levels find the stretch, the finer ones refine it inside their band).
  bool subsequence = false;
};
using FeatureCost = std::function<double(const Eigen::Ref<const VectorXf>& a, const Eigen::Ref<const VectorXf>& b)>;
WarpingPath multiscale_dtw(const MatrixXf& A, const MatrixXf& B, FeatureCost cost, const MultiscaleOptions& o = {});

}  // namespace notewise

#include "notewise/align/dtw_impl.hpp"
