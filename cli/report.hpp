#pragma once
// The pictures of a run and the one-page HTML report that shows them (no server needed:
// images and audio are files beside report.html, referenced by relative paths).
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "notewise/score/score.hpp"
#include "notewise/separation/separate.hpp"

namespace notewise::cli {

// Everything the figures need: the run (its views, W, H, groups), the score and the warp.
struct RunView {
  const Separation* separation = nullptr;
  const Score* score = nullptr;
  const std::vector<std::pair<double, double>>* warp = nullptr;  // with --align: score s -> audio s
  std::string progress;     // label of a progress bar while the report is drawn (empty: none)
  bool quiet = true;
  double max_hz = 0;       // spectrogram figures show C1 .. max_hz (0: the analysis Nyquist)
  std::string stem_ext = "wav";  // the stems' files: <group file>.<stem_ext>
  bool stems_written = false;    // the run wrote stems (separate); their samples are in
                                 // separation->stems only where the page's listening copies need them
  double seconds = 0;            // the recording's length
  std::string out_dir;           // the output folder as the user named it (the page's next commands)
};

// Columns of the views a report draws (SeparationOptions::view_columns): the page's fine level,
// one column per analysis frame up to this many (about 12 minutes at the default hop).
constexpr Index kViewColumns = 32768;

// The figure names `notewise plot` knows: "spectrogram", "stem:<group>", "templates",
// "activations", "mask:<group>", "loss", and "warp" after --align.
std::vector<std::string> figure_names(const RunView& run);

// The file name (without folder or extension) of a figure: "stem_<group file>", "loss", ...
std::string figure_file(const RunView& run, const std::string& name);

// Draws one figure to `path` (.png or .svg). Throws InvalidArgument for an unknown name.
void draw_figure(const RunView& run, const std::string& name, const std::string& path);

// Writes DIR/plots/*.png and DIR/report.html. `report` is report.json's content; `audio` the
// input recording's path; `scores` the eval table (null if no reference was given).
void write_report(const std::string& dir, const RunView& run, const nlohmann::json& report, const std::string& audio,
                  const nlohmann::json& scores, bool overwrite);

}  // namespace notewise::cli
