#pragma once
// The pictures of a run and the one-page HTML report that shows them (no server needed:
// images and audio are files beside report.html, referenced by relative paths). Written by the
// library for every front end (the CLI's separate and decompose, notewise.separate(report=)).
#include <cstddef>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "notewise/score/score.hpp"
#include "notewise/separation/separate.hpp"

namespace notewise::report {

struct ViewerOptions {
  bool copy_mix = true;              // copy the input recording to DIR/report/ (else the page plays it where it is)
  // Listening copies only while (groups + 1) x length stays below this: the page decodes them
  // into float buffers (about 21 MB per stereo minute), so an hour of copies would take GBs.
  double preview_max_seconds = 1200;
  // Per-note solo data (report/notes.js, compressed, before base64) at most this: about 1 KB per
  // note at the finest step, so some thousands of notes; coarser steps beyond, then none.
  std::size_t note_max_bytes = 2u << 20;
};

// Everything the figures and the page need: the run (its views, W, H, groups), the score and
// the warp, and what the front end that made the run says about it.
struct RunView {
  const Separation* separation = nullptr;
  const Score* score = nullptr;
  const std::vector<std::pair<double, double>>* warp = nullptr;  // with --align: score s -> audio s
  double max_hz = 0;       // spectrogram figures show C1 .. max_hz (0: the analysis Nyquist)
  std::string stem_ext = "wav";  // the stems' files: <group file>.<stem_ext>
  bool stems_written = false;    // the run wrote stems (separate); their samples are in
                                 // separation->stems only where the page's listening copies need them
  double seconds = 0;            // the recording's length
  ViewerOptions viewer;
  // The input recording where it is samples, not a file (a front end given an array): the
  // page's copy report/mix.wav is written from these (frames x channels at mix_rate), and the
  // `audio` path write_report takes only names it.
  const MatrixXf* mix_samples = nullptr;
  int mix_rate = 0;
  // The front end's words: the command (or call) that reproduces the run, shown on the page
  // (empty: not shown), and the verdict's next steps {what, command} (empty: none).
  std::string command;
  std::vector<std::pair<std::string, std::string>> next;
  // Called while write_report draws: `done` of `total` steps (figures, then the interactive
  // views), with what is being drawn. The library never prints; the front end shows progress.
  std::function<void(long done, long total, const std::string& detail)> on_progress;
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

}  // namespace notewise::report
