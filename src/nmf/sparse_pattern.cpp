#include "sparse_pattern.hpp"

#include <algorithm>

namespace notewise::nmf::detail {
namespace {
std::vector<Range> runs(const Eigen::Array<bool, Eigen::Dynamic, 1>& on) {
  std::vector<Range> out;
  for (Index k = 0; k < on.size();) {
    if (!on[k]) {
      ++k;
      continue;
    }
    Index e = k;
    while (e < on.size() && on[e]) ++e;
    out.push_back({k, e});
    k = e;
  }
  return out;
}
}  // namespace

SparsePattern build_pattern(const Eigen::Array<bool, Eigen::Dynamic, Eigen::Dynamic>& nonzero_w,
                            const Eigen::Array<bool, Eigen::Dynamic, Eigen::Dynamic>& nonzero_h) {
  const Index K = nonzero_w.rows(), R = nonzero_w.cols(), N = nonzero_h.cols();
  SparsePattern p;
  p.bands.resize(R);
  p.frames.resize(R);
  p.active.resize(N);
  p.rows.resize(N);
  std::vector<Index> band_size(R, 0);
  for (Index r = 0; r < R; ++r) {
    p.bands[r] = runs(nonzero_w.col(r));
    for (const Range& b : p.bands[r]) band_size[r] += b.end - b.begin;
  }
  for (Index n = 0; n < N; ++n)
    for (Index r = 0; r < R; ++r)
      if (nonzero_h(r, n)) {
        p.frames[r].push_back(n);
        p.active[n].push_back(r);
      }
  for (Index r = 0; r < R; ++r) p.work += static_cast<double>(band_size[r]) * static_cast<double>(p.frames[r].size());
  Eigen::Array<bool, Eigen::Dynamic, 1> on(K);
  for (Index n = 0; n < N; ++n) {
    if (p.active[n].empty()) continue;
    on.setConstant(false);
    for (Index r : p.active[n])
      for (const Range& b : p.bands[r]) on.segment(b.begin, b.end - b.begin).setConstant(true);
    p.rows[n] = runs(on);
  }
  return p;
}

}  // namespace notewise::nmf::detail
