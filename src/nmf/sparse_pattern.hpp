#pragma once
// The fixed sparsity pattern of a score-informed NMF run. Multiplicative updates never turn a
// zero into a nonzero, so the pattern of (W0, H0) holds for the whole run: gather it once,
// then compute only entries that can be nonzero. Index lists (rather than runs of bins) keep
// the inner loops free of per-run overhead: harmonic bands are often only 1-3 bins wide.
#include <cstdint>
#include <vector>

#include "notewise/core/types.hpp"

namespace notewise::nmf::detail {

using IndexList = std::vector<std::int32_t>;

struct SparsePattern {
  std::vector<IndexList> bins;    // per template r: bins k with W0(k, r) != 0
  std::vector<IndexList> frames;  // per template r: frames n with H0(r, n) != 0
  std::vector<IndexList> active;  // per frame n: templates r with H0(r, n) != 0
  std::vector<IndexList> rows;    // per frame n: union of the bins of its active templates
  // H0's nonzeros numbered frame by frame (frame n's are frame_start[n] + i for active[n][i]),
  // and per template r the numbers of its entries, in the order of frames[r]: engines keep
  // H's values in this compact order.
  std::vector<std::int32_t> frame_start;
  std::vector<IndexList> slots;
  // Per template r: the templates that share a frame with it (r included), ascending. Only
  // these pairs can be nonzero in H H', so only they are needed of W'W.
  std::vector<IndexList> partners;
  double work = 0;                // sum_r |bins_r| * |frames_r|: entries of one sparse product
};

// with_rows: also list each frame's union of bins (`rows`; only the KL path needs them).
SparsePattern build_pattern(const Eigen::Array<bool, Eigen::Dynamic, Eigen::Dynamic>& nonzero_w,
                            const Eigen::Array<bool, Eigen::Dynamic, Eigen::Dynamic>& nonzero_h, bool with_rows);

}  // namespace notewise::nmf::detail
