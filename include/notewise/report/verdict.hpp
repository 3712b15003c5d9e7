#pragma once
// "How well did it work?": the verdict a separation's report opens with (report.json's
// "verdict", the block at the top of report.html). Without reference stems it rests on what the
// run itself has: whether the score fits the recording (or how confidently it was aligned), each
// stem's level, and estimates read from the model against the spectrogram it explains. With
// reference stems, SDR beside two baselines on the same references: the mix as every estimate,
// and the ideal ratio mask on the resynthesis STFT.
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "notewise/core/types.hpp"
#include "notewise/separation/separate.hpp"

namespace notewise::report {

// Reference-free estimates of a separation (pitched groups; the drum classes of a band get
// null), from V recomputed a chunk of frames at a time from `analysis` (the run's mono analysis
// signal, from which V was made) and the model W H_g of each group:
//   "unexplained": the share of V's energy the model leaves unexplained, sum (V - WH)_+^2 / sum V^2
//                  (a score that is not the recording's leaves much of the sound unmodelled);
//   per group "fit_db": 10 log10(sum V^2 / sum (V - WH)^2) over the cells the group's mask
//                  dominates (> 1/2): how well the model explains the group's own region;
//   per group "leakage": the share of the stem's energy (M_g V) in frames where the score has
//                  none of the group's notes (outside every note window of the model, so after
//                  each offset's allowance): sound the stem took from elsewhere;
//   per group "share_db": the stem's energy as a share of all stems' (dB).
// alpha: the mask exponent of the run (mask_alpha). Frames follow options.stft of the run.
nlohmann::json estimate_quality(const Separation& s, std::size_t pitched_groups, const Eigen::Ref<const VectorXf>& analysis,
                                const StftOptions& stft, double alpha);

// The verdict from report.json's parts: "score_fit" or "alignment", "groups" (rms), "quality"
// (estimate_quality) and, with a reference, "scores" (with "baselines"). Returns
// {"verdict": "good" | "doubtful" | "poor", "reasons": [...], "stems": [...], "thresholds": {...}}.
nlohmann::json make_verdict(const nlohmann::json& report);

// The thresholds make_verdict uses, from measured runs (docs/RESULTS.md, "The report's
// verdict"): the good runs (the two synthetic pieces, the real piano, Bach10 01-05, as given and
// aligned) stay below every one; the wrong scores (another piece's, the right one 3 s late,
// Bach10's unaligned score) are caught by the score's fit or the alignment, and the worst of
// them by the estimates as well.
struct VerdictThresholds {
  double unexplained_doubtful = 0.20;  // share of V's energy the model leaves unexplained (good: <= 0.134)
  double unexplained_poor = 0.35;      // (a wrong score: 0.11 .. 0.49)
  double leakage_doubtful = 0.01;      // share of a stem's energy outside its notes' windows (good: <= 0.004)
  double leakage_poor = 0.05;          // (a wrong score: 0 .. 0.06)
  double fit_doubtful_db = 5;          // model fit over the stem's own cells (good: >= 6.3 dB; wrong: 3.9 .. 9.4)
  double silent_stem_db = -30;         // a stem this far below the stems' total: near-silent (good: >= -8.4 dB)
  double alignment_confidence_doubtful = 0.5;  // mean note confidence (good: 0.71 .. 0.78; another piece: 0.42)
  double sdr_gain_poor = 1.0;          // dB over the mix as estimate (with a reference; the example: +12.7)
};
const VerdictThresholds& verdict_thresholds();

// The verdict block of report.html (the first thing on the page): `stem_files` the stems'
// file names relative to the page (empty: decompose, no stems), `next` the next steps {what, command} (RunView::next).
std::string verdict_html(const nlohmann::json& report, const std::vector<std::string>& stem_files,
                         const std::vector<std::pair<std::string, std::string>>& next);

}  // namespace notewise::report
