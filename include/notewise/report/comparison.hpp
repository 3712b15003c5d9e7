#pragma once
// The page of `notewise compare`: the loss curves of several methods fitted to one recording
// from the same start (loss.csv, loss.png) and, with reference stems, each method's scores
// (report.html).
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace notewise::report {

// Writes DIR/loss.csv ("epoch,<method>,..."; row 0 the start), DIR/loss.png (log loss against
// iterations/epochs; loss_name: what the loss is) and DIR/report.html (the curves, a table of
// the final losses, and, with a reference, scores[method] as evaluate_stems gives them, then
// `parameters`). curves[k]: method k's loss, the start first; every curve equally long.
void write_comparison(const std::string& dir, const std::vector<std::string>& names, const std::vector<std::vector<double>>& curves,
                      const nlohmann::json& scores, const std::string& reference, const std::string& audio, std::size_t notes,
                      const std::string& loss_name, const nlohmann::json& parameters, bool overwrite);

}  // namespace notewise::report
