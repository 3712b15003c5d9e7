#pragma once
// Scores of stems on disk: the estimate folder's stems matched by name (any audio extension)
// with the reference folder's, read as every command reads audio for analysis (io/audio.hpp:
// read_mono), scored with BSS Eval v3 and SI-SDR (eval/bss_eval.hpp).
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "notewise/core/stft.hpp"

namespace notewise::report {

// SDR/SIR/SAR/SI-SDR of DIR estimate's stems against DIR reference's (stems: names without
// extension; empty = every audio file of reference but mix.*). Multichannel files are averaged
// to mono; estimates are zero-padded or cut to the references' length and resampled to their
// rate. JSON: {"stems": {name: {"SDR", "SIR", "SAR", "SI_SDR"}}, "mean_SDR", "mean_SI_SDR"}
// (null for a score that is not finite). IoError naming the file for a missing, ambiguous,
// silent or too short stem, or references at different rates.
nlohmann::json evaluate_stems(const std::string& reference, const std::string& estimate, std::vector<std::string> stems,
                              int filter_length = 512);
// What evaluate_stems checks of the references, alone (IoError naming the file): for a run that
// scores its stems, before the work.
void check_reference_stems(const std::string& reference, const std::vector<std::string>& stems, int filter_length = 512);
// The same scores for two baselines on the same references, to read a run's scores against:
// "mix" (the sum of the references as every estimate: doing nothing) and "ideal_mask" (the ideal
// ratio mask |S_g|^2 / sum_j |S_j|^2 of the references' STFTs, applied to the sum's STFT: what
// a mask does at best on that STFT, which is the run's resynthesis STFT: `analysis` at
// analysis_rate, scaled to the references' rate as native_stft does). {"mix": {...},
// "ideal_mask": {...}}, each as evaluate_stems gives it.
nlohmann::json evaluate_baselines(const std::string& reference, std::vector<std::string> stems, const StftOptions& analysis,
                                  double analysis_rate, int filter_length = 512);

}  // namespace notewise::report
