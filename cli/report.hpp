#pragma once
// The pictures of a run and the one-page HTML report that shows them (no server needed:
// images and audio are files beside report.html, referenced by relative paths).
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "notewise/score/score.hpp"
#include "notewise/separation/separate.hpp"

namespace notewise::cli {

// Everything the figures need, on the analysis grid.
struct RunView {
  const Separation* separation = nullptr;
  const Score* score = nullptr;
  const std::vector<std::pair<double, double>>* warp = nullptr;  // with --align: score s -> audio s
  std::string progress;     // label of a progress bar while the report is drawn (empty: none)
  bool quiet = true;
  double max_hz = 0;       // spectrogram figures show C1 .. max_hz (0: the analysis Nyquist)
};

// The figure names `notewise plot` knows: "spectrogram", "stem:<group>", "templates",
// "activations", "mask:<group>", "loss", and "warp" after --align.
std::vector<std::string> figure_names(const RunView& run);

// Draws one figure to `path` (.png or .svg). Throws InvalidArgument for an unknown name.
void draw_figure(const RunView& run, const std::string& name, const std::string& path);

// Writes DIR/plots/*.png and DIR/report.html. `report` is report.json's content; `audio` the
// input recording's path; `scores` the eval table (null if no reference was given).
void write_report(const std::string& dir, const RunView& run, const nlohmann::json& report, const std::string& audio,
                  const nlohmann::json& scores, bool overwrite);

}  // namespace notewise::cli
