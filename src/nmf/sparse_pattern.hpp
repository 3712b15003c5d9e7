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
  double work = 0;                // sum_r |bins_r| * |frames_r|: entries of one sparse product
};

SparsePattern build_pattern(const Eigen::Array<bool, Eigen::Dynamic, Eigen::Dynamic>& nonzero_w,
                            const Eigen::Array<bool, Eigen::Dynamic, Eigen::Dynamic>& nonzero_h);

}  // namespace notewise::nmf::detail
