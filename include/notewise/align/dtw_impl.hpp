#pragma once
// Implementation of dtw_band (a template: the cost function is inlined into the inner loop).
#include <algorithm>
#include <cstdint>
#include <limits>
#include <vector>

#include "notewise/core/error.hpp"

namespace notewise {

template <class CostFn>
WarpingPath dtw_band(Index rows, Index cols, const Band& band, const CostFn& cost, const DtwWeights& w, bool subsequence) {
  if (rows <= 0 || cols <= 0) throw InvalidArgument("dtw: empty sequence");
  if (static_cast<Index>(band.size()) != rows) throw InvalidArgument("dtw: band has the wrong number of rows");
  constexpr double inf = std::numeric_limits<double>::infinity();
  // Ragged storage: row i holds columns band[i].first .. band[i].second.
  std::vector<std::size_t> offset(static_cast<std::size_t>(rows) + 1, 0);
  for (Index i = 0; i < rows; ++i) {
    const auto [a, b] = band[i];
    if (a < 0 || b >= cols || a > b) throw InvalidArgument("dtw: invalid band at row " + std::to_string(i));
    offset[i + 1] = offset[i] + static_cast<std::size_t>(b - a + 1);
  }
  // The accumulated costs of two rows only (row i needs row i - 1 and itself); the steps of
  // every cell, one byte each, for the way back. Keeping D whole cost 8 bytes more per cell:
  // 0.15 GB for an hour's fine level.
  std::vector<std::uint8_t> step(offset[rows], 0);  // 0 diagonal, 1 down (from i-1), 2 right (from j-1)
  std::vector<double> prev, cur;
  for (Index i = 0; i < rows; ++i) {
    const Index first = band[i].first, last = band[i].second;
    cur.assign(static_cast<std::size_t>(last - first + 1), inf);
    const auto above = [&](Index j) -> double {
      if (i == 0 || j < band[i - 1].first || j > band[i - 1].second) return inf;
      return prev[static_cast<std::size_t>(j - band[i - 1].first)];
    };
    for (Index j = first; j <= last; ++j) {
      const double c = cost(i, j);
      const auto x = static_cast<std::size_t>(j - first);
      const std::size_t k = offset[i] + x;
      if (i == 0 && (j == 0 || subsequence)) {  // subsequence: the path may start at any column
        cur[x] = c;
        continue;
      }
      const double left = j > first ? cur[x - 1] : inf;
      const double d = above(j - 1) + w.diagonal * c, v = above(j) + w.down * c, h = left + w.right * c;
      if (d <= v && d <= h) {
        cur[x] = d;
        step[k] = 0;
      } else if (v <= h) {
        cur[x] = v;
        step[k] = 1;
      } else {
        cur[x] = h;
        step[k] = 2;
      }
    }
    std::swap(prev, cur);
  }
  // prev is the last row now. Subsequence: the path ends at the cheapest column of the last row
  // (the first of equals).
  Index end = cols - 1;
  if (subsequence) {
    end = band[rows - 1].first + static_cast<Index>(std::min_element(prev.begin(), prev.end()) - prev.begin());
    if (!(prev[static_cast<std::size_t>(end - band[rows - 1].first)] < inf)) throw InvalidArgument("dtw: the band admits no path to the end");
  } else if (band[rows - 1].second != cols - 1 || !(prev.back() < inf)) {
    throw InvalidArgument("dtw: the band admits no path to the end");
  }
  WarpingPath path;
  Index i = rows - 1, j = end;
  path.emplace_back(i, j);
  while (i > 0 || (j > 0 && !subsequence)) {
    const std::uint8_t s = step[offset[i] + static_cast<std::size_t>(j - band[i].first)];
    if (s == 0) {
      --i;
      --j;
    } else if (s == 1) {
      --i;
    } else {
      --j;
    }
    path.emplace_back(i, j);
  }
  std::reverse(path.begin(), path.end());
  return path;
}

}  // namespace notewise
