#include "sparse_pattern.hpp"

#include <algorithm>

namespace notewise::nmf::detail {
namespace {

void build_compact_h(SparsePattern& p, Index R) {
  const auto N = p.active.size();
  p.frame_start.assign(N + 1, 0);
  p.slots.resize(R);
  for (std::size_t n = 0; n < N; ++n) {
    const auto& a = p.active[n];
    p.frame_start[n + 1] = p.frame_start[n] + static_cast<std::int32_t>(a.size());
    for (std::size_t i = 0; i < a.size(); ++i) p.slots[a[i]].push_back(p.frame_start[n] + static_cast<std::int32_t>(i));
  }
}

void build_partners(SparsePattern& p, Index K, Index R) {
  std::vector<char> paired(static_cast<std::size_t>(R) * R, 0);
  for (const auto& a : p.active)
    for (auto r : a)
      for (auto q : a) paired[static_cast<std::size_t>(r) * R + q] = 1;
  p.partners.resize(R);
  for (Index r = 0; r < R; ++r)
    for (Index q = 0; q < R; ++q)
      if (paired[static_cast<std::size_t>(r) * R + q]) p.partners[r].push_back(static_cast<std::int32_t>(q));
  // The bins r shares with each partner: mark r's bins with their positions, walk the partner's.
  p.shared_start.resize(R);
  p.shared_at.resize(R);
  p.shared_bins.resize(R);
  std::vector<std::int32_t> position(K, -1);
  for (Index r = 0; r < R; ++r) {
    for (std::size_t i = 0; i < p.bins[r].size(); ++i) position[p.bins[r][i]] = static_cast<std::int32_t>(i);
    p.shared_start[r].push_back(0);
    for (auto s : p.partners[r]) {
      for (auto k : p.bins[s])
        if (position[k] >= 0) {
          p.shared_at[r].push_back(position[k]);
          p.shared_bins[r].push_back(k);
        }
      p.shared_start[r].push_back(static_cast<std::int32_t>(p.shared_at[r].size()));
    }
    for (auto k : p.bins[r]) position[k] = -1;
  }
}

}  // namespace

SparsePattern build_pattern(const Eigen::Array<bool, Eigen::Dynamic, Eigen::Dynamic>& nonzero_w,
                            const Eigen::Array<bool, Eigen::Dynamic, Eigen::Dynamic>& nonzero_h, PatternFor engine) {
  const Index K = nonzero_w.rows(), R = nonzero_w.cols(), N = nonzero_h.cols();
  SparsePattern p;
  p.bins.resize(R);
  p.frames.resize(R);
  p.active.resize(N);
  for (Index r = 0; r < R; ++r)
    for (Index k = 0; k < K; ++k)
      if (nonzero_w(k, r)) p.bins[r].push_back(static_cast<std::int32_t>(k));
  for (Index n = 0; n < N; ++n)
    for (Index r = 0; r < R; ++r)
      if (nonzero_h(r, n)) {
        p.frames[r].push_back(static_cast<std::int32_t>(n));
        p.active[n].push_back(static_cast<std::int32_t>(r));
      }
  build_compact_h(p, R);
  if (engine == PatternFor::Euclidean) build_partners(p, K, R);
  return p;
}

}  // namespace notewise::nmf::detail
