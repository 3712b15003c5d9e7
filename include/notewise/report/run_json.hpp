#pragma once
// The parts of a run's outputs that every front end writes the same way: report.json's blocks
// (timbre, the score's fit, the alignment), index.json (what each row of W/H is) and loss.csv.
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "notewise/align/align.hpp"
#include "notewise/align/fit.hpp"
#include "notewise/score/decompose.hpp"
#include "notewise/score/instrument.hpp"

namespace notewise::report {

// The timbre plan: {"chosen", "reason", "instruments": [{label, instrument, from}], "sources": [...]};
// the reason's "{setting:NAME}" names spelt by `spell` (as the front end spells settings), as
// they are if it is empty.
nlohmann::json timbre_json(const TimbrePlan& plan, const std::function<std::string(const std::string&)>& spell = {});
// The score's fit: {"fits", "problem", "median_onset_shift_s", "chroma_cost_as_given",
// "chroma_cost_aligned"}; null if it was not checked.
nlohmann::json fit_json(const std::optional<ScoreFit>& fit);
// {"normalised_cost", "mean_confidence", "poor", "problem", "issues": [...], "excerpt",
// "score_span_s", "warp_score_audio_s": [every 10th point]}
nlohmann::json alignment_json(const Alignment& al);
// index.json of a decomposition: what each row of W/H is, and the geometry.
nlohmann::json index_json(const Decomposition& d, const Score& score);
// loss.csv: "iteration,loss", row 0 the start.
std::string loss_csv(double initial_loss, const std::vector<double>& loss);

// notes.csv of a decomposition: "index,onset,offset,pitch,label,energy", a row per note of
// `score` (energy: note_energies, in score order).
std::string notes_csv(const Score& score, const std::vector<double>& energy);

}  // namespace notewise::report
