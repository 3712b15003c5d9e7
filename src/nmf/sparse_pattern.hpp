#pragma once
// The fixed sparsity pattern of a score-informed NMF run. Multiplicative updates never turn a
// zero into a nonzero, so the pattern of (W0, H0) holds for the whole run: gather it once,
// then compute only entries that can be nonzero.
#include <vector>

#include "notewise/core/types.hpp"

namespace notewise::nmf::detail {

struct Range {
  Index begin;
  Index end;  // one past the last
};

struct SparsePattern {
  std::vector<std::vector<Range>> bands;   // per template r: runs of bins with W0(k, r) != 0
  std::vector<std::vector<Index>> frames;  // per template r: frames with H0(r, n) != 0
  std::vector<std::vector<Index>> active;  // per frame n: templates with H0(r, n) != 0
  std::vector<std::vector<Range>> rows;    // per frame n: union of the bands of its active templates
  double work = 0;                         // sum_r |bands_r| * |frames_r|: cost of one sparse product
};

// nonzero_w(k, r) and nonzero_h(r, n) as bool matrices.
SparsePattern build_pattern(const Eigen::Array<bool, Eigen::Dynamic, Eigen::Dynamic>& nonzero_w,
                            const Eigen::Array<bool, Eigen::Dynamic, Eigen::Dynamic>& nonzero_h);

}  // namespace notewise::nmf::detail
