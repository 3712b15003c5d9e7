#include "sparse_pattern.hpp"

namespace notewise::nmf::detail {

SparsePattern build_pattern(const Eigen::Array<bool, Eigen::Dynamic, Eigen::Dynamic>& nonzero_w,
                            const Eigen::Array<bool, Eigen::Dynamic, Eigen::Dynamic>& nonzero_h, bool with_rows) {
  const Index K = nonzero_w.rows(), R = nonzero_w.cols(), N = nonzero_h.cols();
  SparsePattern p;
  p.bins.resize(R);
  p.frames.resize(R);
  p.active.resize(N);
  p.rows.resize(N);
  for (Index r = 0; r < R; ++r)
    for (Index k = 0; k < K; ++k)
      if (nonzero_w(k, r)) p.bins[r].push_back(static_cast<std::int32_t>(k));
  for (Index n = 0; n < N; ++n)
    for (Index r = 0; r < R; ++r)
      if (nonzero_h(r, n)) {
        p.frames[r].push_back(static_cast<std::int32_t>(n));
        p.active[n].push_back(static_cast<std::int32_t>(r));
      }
  for (Index r = 0; r < R; ++r) p.work += static_cast<double>(p.bins[r].size()) * static_cast<double>(p.frames[r].size());
  p.frame_start.assign(static_cast<std::size_t>(N) + 1, 0);
  p.slots.resize(R);
  for (Index n = 0; n < N; ++n) {
    const auto& a = p.active[n];
    p.frame_start[n + 1] = p.frame_start[n] + static_cast<std::int32_t>(a.size());
    for (std::size_t i = 0; i < a.size(); ++i) p.slots[a[i]].push_back(p.frame_start[n] + static_cast<std::int32_t>(i));
  }
  std::vector<char> paired(static_cast<std::size_t>(R) * R, 0);
  for (Index n = 0; n < N; ++n)
    for (auto r : p.active[n])
      for (auto q : p.active[n]) paired[static_cast<std::size_t>(r) * R + q] = 1;
  p.partners.resize(R);
  for (Index r = 0; r < R; ++r)
    for (Index q = 0; q < R; ++q)
      if (paired[static_cast<std::size_t>(r) * R + q]) p.partners[r].push_back(static_cast<std::int32_t>(q));
  if (!with_rows) return p;
  std::vector<char> on(K);
  for (Index n = 0; n < N; ++n) {
    if (p.active[n].empty()) continue;
    std::fill(on.begin(), on.end(), 0);
    for (auto r : p.active[n])
      for (auto k : p.bins[r]) on[k] = 1;
    for (Index k = 0; k < K; ++k)
      if (on[k]) p.rows[n].push_back(static_cast<std::int32_t>(k));
  }
  return p;
}

}  // namespace notewise::nmf::detail
