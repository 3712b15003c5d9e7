#include "notewise/align/dtw.hpp"

#include <algorithm>
#include <cmath>

namespace notewise {

WarpingPath dtw(const MatrixXf& C, const DtwWeights& w) {
  if (C.size() == 0) throw InvalidArgument("dtw: empty cost matrix");
  const Band full(static_cast<std::size_t>(C.rows()), {0, C.cols() - 1});
  return dtw_band(C.rows(), C.cols(), full, [&](Index i, Index j) { return static_cast<double>(C(i, j)); }, w);
}

WarpingPath subsequence_dtw(const MatrixXf& C, const DtwWeights& w) {
  if (C.size() == 0) throw InvalidArgument("dtw: empty cost matrix");
  const Band full(static_cast<std::size_t>(C.rows()), {0, C.cols() - 1});
  return dtw_band(C.rows(), C.cols(), full, [&](Index i, Index j) { return static_cast<double>(C(i, j)); }, w, true);
}

double path_cost(const MatrixXf& C, const WarpingPath& path, const DtwWeights& w) {
  double total = 0;
  for (std::size_t k = 0; k < path.size(); ++k) {
    const auto [i, j] = path[k];
    double weight = 1;
    if (k > 0) {
      const auto [pi, pj] = path[k - 1];
      weight = (i > pi && j > pj) ? w.diagonal : (i > pi ? w.down : w.right);
    }
    total += weight * C(i, j);
  }
  return total;
}

namespace {

// Averages groups of `factor` columns (the last group may be shorter); the rows
// [peak.first, peak.second) take the group's maximum instead.
MatrixXf coarsen(const MatrixXf& X, int factor, std::pair<Index, Index> peak) {
  const Index n = (X.cols() + factor - 1) / factor;
  const Index p0 = std::clamp<Index>(peak.first, 0, X.rows()), p1 = std::clamp<Index>(peak.second, p0, X.rows());
  MatrixXf out(X.rows(), n);
  for (Index c = 0; c < n; ++c) {
    const Index a = c * factor, len = std::min<Index>(factor, X.cols() - a);
    out.col(c) = X.middleCols(a, len).rowwise().mean();
    if (p1 > p0) out.col(c).segment(p0, p1 - p0) = X.block(p0, a, p1 - p0, len).rowwise().maxCoeff();
  }
  return out;
}

// The band around a coarse path projected to the finer level (scale `factor`), widened by
// `radius` fine cells, and made contiguous so that a monotonic path always exists (from corner
// to corner; a subsequence path from row 0 to the last row, anywhere in the band).
Band project(const WarpingPath& coarse, int factor, Index rows, Index cols, Index radius, bool subsequence) {
  Band band(static_cast<std::size_t>(rows), {cols, -1});
  for (const auto& [ci, cj] : coarse)
    for (Index i = ci * factor; i < std::min(rows, (ci + 1) * factor); ++i) {
      band[i].first = std::min(band[i].first, cj * factor);
      band[i].second = std::max(band[i].second, std::min(cols - 1, (cj + 1) * factor - 1));
    }
  for (Index i = 0; i < rows; ++i) {
    band[i].first = std::max<Index>(0, band[i].first - radius);
    band[i].second = std::min<Index>(cols - 1, band[i].second + radius);
  }
  // Rows must overlap their neighbours so that the path can pass from one to the next.
  for (Index i = 1; i < rows; ++i) band[i].second = std::max(band[i].second, band[i - 1].first);
  for (Index i = rows - 1; i > 0; --i) band[i - 1].first = std::min(band[i - 1].first, band[i].second);
  if (!subsequence) {
    band[0].first = 0;
    band[rows - 1].second = cols - 1;
  }
  return band;
}

// Rows where the path runs along an edge of its band that is not an edge of the matrix: there
// the band, not the cost, chose the path (the coarse path went wrong, e.g. over a passage shorter
// than a coarse frame), and the optimum may lie outside it.
std::vector<Index> band_contacts(const WarpingPath& path, const Band& band, Index cols) {
  std::vector<Index> rows;
  for (const auto& [i, j] : path)
    if ((j == band[i].first && j > 0) || (j == band[i].second && j < cols - 1))
      if (rows.empty() || rows.back() != i) rows.push_back(i);
  return rows;
}

// The band widened by `extra` columns on both sides in the rows within `reach` of a contact,
// and made contiguous again.
Band widen(Band band, const std::vector<Index>& contacts, Index extra, Index reach, Index cols) {
  const Index rows = static_cast<Index>(band.size());
  std::vector<int> mark(static_cast<std::size_t>(rows) + 1, 0);  // +1 / -1 at the ends of each range
  for (Index i : contacts) {
    mark[static_cast<std::size_t>(std::max<Index>(0, i - reach))] += 1;
    mark[static_cast<std::size_t>(std::min(rows, i + reach + 1))] -= 1;
  }
  int open = 0;
  for (Index i = 0; i < rows; ++i) {
    open += mark[i];
    if (open > 0) band[i] = {std::max<Index>(0, band[i].first - extra), std::min(cols - 1, band[i].second + extra)};
  }
  for (Index i = 1; i < rows; ++i) band[i].second = std::max(band[i].second, band[i - 1].first);
  for (Index i = rows - 1; i > 0; --i) band[i - 1].first = std::min(band[i - 1].first, band[i].second);
  return band;
}

}  // namespace

WarpingPath multiscale_dtw(const MatrixXf& A, const MatrixXf& B, FeatureCost cost, const MultiscaleOptions& o) {
  if (A.cols() == 0 || B.cols() == 0) throw InvalidArgument("dtw: empty feature sequence");
  if (A.rows() != B.rows()) throw InvalidArgument("dtw: feature dimensions differ");
  require(o.levels >= 1 && o.levels <= 8, "levels", o.levels, "in 1 .. 8");
  require(o.factor >= 2, "factor", o.factor, ">= 2");
  std::vector<MatrixXf> As{A}, Bs{B};
  // The coarsest level is a full DTW (rows x cols cells): beyond the levels asked for, long
  // sequences get coarser levels until it has at most kFullCells (about 11 minutes against
  // 11 minutes at 160 ms), so an hour's alignment needs memory linear in its length, not 4 GB.
  constexpr double kFullCells = 16.0 * 1024 * 1024;
  for (int l = 1; l < o.levels || static_cast<double>(As.back().cols()) * static_cast<double>(Bs.back().cols()) > kFullCells;
       ++l) {
    if (As.back().cols() < 2 * o.factor || Bs.back().cols() < 2 * o.factor) break;  // too short to coarsen further
    As.push_back(coarsen(As.back(), o.factor, o.peak_rows));
    Bs.push_back(coarsen(Bs.back(), o.factor, o.peak_rows));
  }
  WarpingPath path;
  for (int l = static_cast<int>(As.size()) - 1; l >= 0; --l) {
    const MatrixXf& a = As[l];
    const MatrixXf& b = Bs[l];
    const bool coarsest = l == static_cast<int>(As.size()) - 1;
    Band band = coarsest ? Band(static_cast<std::size_t>(a.cols()), {0, b.cols() - 1})
                        : project(path, o.factor, a.cols(), b.cols(), o.radius, o.subsequence);
    const auto run = [&] {
      return dtw_band(a.cols(), b.cols(), band, [&](Index i, Index j) { return cost(a.col(i), b.col(j)); }, o.weights, o.subsequence);
    };
    path = run();
    // Where the path runs along its band, the band is widened there and the level run again
    // (at most three times, by the radius, twice and four times it: the work stays linear).
    if (!coarsest && o.widen)
      for (int t = 0; t < 3; ++t) {
        const std::vector<Index> contacts = band_contacts(path, band, b.cols());
        if (contacts.empty()) break;
        const Index extra = o.radius << t;
        band = widen(std::move(band), contacts, extra, 4 * extra, b.cols());
        path = run();
      }
  }
  return path;
}

}  // namespace notewise
