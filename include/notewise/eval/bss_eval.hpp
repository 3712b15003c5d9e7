#pragma once
// Separation quality: BSS Eval v3 (Vincent, Gribonval & Fevotte 2006) as computed by
// mir_eval.separation.bss_eval_sources with compute_permutation=False, and SI-SDR
// (Le Roux et al. 2019).
//
// For estimate j, the estimate is projected onto delayed copies (0 .. filter_length-1 samples)
// of reference j (giving s_target + e_spat) and of all references (adding e_interf); the rest is
// e_artif. Then, in dB:
//   SDR = 10 log10 |s_target + e_spat|^2 / |e_interf + e_artif|^2
//   SIR = 10 log10 |s_target + e_spat|^2 / |e_interf|^2
//   SAR = 10 log10 |s_target + e_spat + e_interf|^2 / |e_artif|^2
// over the whole signal (no windows). SI-SDR = 10 log10 |a s|^2 / |a s - e|^2 with
// a = <e, s> / <s, s>. A zero denominator gives +inf; a silent estimate gives -inf.
#include <vector>

#include "notewise/core/types.hpp"

namespace notewise {

struct BssScores {
  std::vector<double> sdr, sir, sar, si_sdr;  // dB, per source
};

// references, estimates: sources x samples (same shape). filter_length: 512 as mir_eval.
BssScores bss_eval_sources(const MatrixXd& references, const MatrixXd& estimates, int filter_length = 512);

double si_sdr(const Eigen::Ref<const VectorXd>& reference, const Eigen::Ref<const VectorXd>& estimate);

}  // namespace notewise
