#pragma once
// Implementation of dtw_band (a template: the cost function is inlined into the inner loop).
#include <algorithm>
#include <cstdint>
#include <limits>
#include <vector>

#include "notewise/core/error.hpp"

namespace notewise {

template <class CostFn>
WarpingPath dtw_band(Index rows, Index cols, const Band& band, const CostFn& cost, const DtwWeights& w) {
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
  std::vector<double> D(offset[rows], inf);
  std::vector<std::uint8_t> step(offset[rows], 0);  // 0 diagonal, 1 down (from i-1), 2 right (from j-1)
  auto at = [&](Index i, Index j) -> double {
    if (i < 0 || j < 0 || j < band[i].first || j > band[i].second) return inf;
    return D[offset[i] + static_cast<std::size_t>(j - band[i].first)];
  };
  for (Index i = 0; i < rows; ++i)
    for (Index j = band[i].first; j <= band[i].second; ++j) {
      const double c = cost(i, j);
      const std::size_t k = offset[i] + static_cast<std::size_t>(j - band[i].first);
      if (i == 0 && j == 0) {
        D[k] = c;
        continue;
      }
      const double d = at(i - 1, j - 1) + w.diagonal * c, v = at(i - 1, j) + w.down * c, h = at(i, j - 1) + w.right * c;
      if (d <= v && d <= h) {
        D[k] = d;
        step[k] = 0;
      } else if (v <= h) {
        D[k] = v;
        step[k] = 1;
      } else {
        D[k] = h;
        step[k] = 2;
      }
    }
  if (!(at(rows - 1, cols - 1) < inf)) throw InvalidArgument("dtw: the band admits no path to the end");
  WarpingPath path;
  Index i = rows - 1, j = cols - 1;
  path.emplace_back(i, j);
  while (i > 0 || j > 0) {
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
