#pragma once
// The fixed sparsity pattern of a score-informed NMF run. Multiplicative updates never turn a
// zero into a nonzero, so the pattern of (W0, H0) holds for the whole run: gather it once,
// then compute only entries that can be nonzero. The pattern keeps index lists (harmonic
// bands are often only 1-3 bins wide); the KL engine turns each template's list into runs of
// 16-bin blocks for its vector loops.
#include <cstdint>
#include <vector>

#include "notewise/core/types.hpp"

namespace notewise::nmf::detail {

using IndexList = std::vector<std::int32_t>;

// What each engine needs beyond the per-template and per-frame lists.
enum class PatternFor { Euclidean, KullbackLeibler };

struct SparsePattern {
  std::vector<IndexList> bins;    // per template r: bins k with W0(k, r) != 0
  std::vector<IndexList> frames;  // per template r: frames n with H0(r, n) != 0
  std::vector<IndexList> active;  // per frame n: templates r with H0(r, n) != 0

  // H0's nonzeros numbered frame by frame (frame n's are frame_start[n] + i for active[n][i]),
  // and per template r the numbers of its entries in the order of frames[r]: the engines keep
  // values at H's nonzeros in this compact order.
  std::vector<std::int32_t> frame_start;
  std::vector<IndexList> slots;
  // Euclidean only. Per template r: the templates that share a frame with it (r included),
  // ascending. Only these pairs can be nonzero in HH', so only they are needed of W'W and W HH'.
  std::vector<IndexList> partners;
  // Per template r and its p-th partner s: the bins the two share, as positions in bins[r]
  // (shared_at) and as bins (shared_bins), from shared_start[r][p] to shared_start[r][p + 1].
  // (W'W)(s, r) and (W HH')(bins_r, r) only sum over them.
  std::vector<IndexList> shared_start;
  std::vector<IndexList> shared_at;
  std::vector<IndexList> shared_bins;
};

SparsePattern build_pattern(const Eigen::Array<bool, Eigen::Dynamic, Eigen::Dynamic>& nonzero_w,
                            const Eigen::Array<bool, Eigen::Dynamic, Eigen::Dynamic>& nonzero_h, PatternFor engine);

}  // namespace notewise::nmf::detail
