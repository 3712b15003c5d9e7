#pragma once
// The command line's side of the reports the library writes (notewise/report/): the page's
// options as flags set them, the command line the page shows, the verdict's next commands (as
// notewise commands), and the drawing's progress on stderr.
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "notewise/report/alignment_files.hpp"
#include "notewise/report/app_figures.hpp"
#include "notewise/report/comparison.hpp"
#include "notewise/report/report.hpp"
#include "notewise/report/run_json.hpp"
#include "notewise/report/separation_report.hpp"
#include "notewise/report/stem_scores.hpp"
#include "notewise/report/verdict.hpp"
#include "notewise/report/viewer.hpp"

namespace notewise::cli {

class ProgressBar;

using report::alignment_json;
using report::alignment_summary;
using report::check_reference_stems;
using report::draw_figure;
using report::evaluate_baselines;
using report::evaluate_stems;
using report::figure_file;
using report::figure_names;
using report::fit_json;
using report::html_escape;
using report::index_json;
using report::kViewColumns;
using report::loss_csv;
using report::RunView;
using report::score_cells;
using report::timbre_json;
using report::warp_path_for;
using report::write_align_outputs;
using report::write_aligned_score;
using report::write_warp;

// The page's options of every command that writes a report (--no-mix-copy), set while parsing.
report::ViewerOptions& viewer_options();

// Whether the page gets listening copies of a run this long (report::keeps_listening_copies
// with viewer_options()).
bool keeps_listening_copies(double seconds, int channels, std::size_t groups);

// A word for a POSIX shell: as it is when it holds only safe characters, else in single quotes.
std::string shell_quote(const std::string& s);

// The command line of this process, shell-quoted (set once by main), shown on every page.
void set_command_line(int argc, char** argv);
const std::string& command_line();

// The next commands of a run (what to do with its stems), built from its paths, shell-quoted:
// an edit of the first group's level and a regrouping. {label, command}.
std::vector<std::pair<std::string, std::string>> next_commands(const nlohmann::json& report, const std::string& out_dir);

// A view of `s` for the page with the CLI's words (command line, viewer options) and a progress
// bar drawn by `bar` (which the caller finishes), unless bar is null.
RunView run_view(const Separation& s, const Score& score, ProgressBar* bar);

}  // namespace notewise::cli
