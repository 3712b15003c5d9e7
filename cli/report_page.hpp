#pragma once
// The interactive part of report.html: zoomable time-frequency views (log frequency) of the mix,
// each stem and each mask, the activations on a pitch axis, the score as a piano roll over them,
// a playback cursor, click to seek, and solo/mute/gain per group remixing the stems live in the
// page (Web Audio). It works offline from the output folder alone: everything it reads lies in
// DIR/report/ (colour images, one small data script, compact listening copies as a script,
// since a page opened from file:// may not fetch files, and a copy of the input recording).
#include <nlohmann/json.hpp>
#include <string>

#include "report.hpp"

namespace notewise::cli {

struct ViewerOptions {
  bool copy_mix = true;              // copy the input recording to DIR/report/ (--no-mix-copy: do not)
  // Listening copies only while (groups + 1) x length stays below this: the page decodes them
  // into float buffers (about 21 MB per stereo minute), so an hour of copies would take GBs.
  double preview_max_seconds = 1200;
  // Per-note solo data (report/notes.js, compressed, before base64) at most this: about 1 KB per
  // note at the finest step, so some thousands of notes; coarser steps beyond, then none.
  std::size_t note_max_bytes = 2u << 20;
};

// The options of every command that writes a report (--no-mix-copy), set while parsing.
ViewerOptions& viewer_options();

// Whether the page gets listening copies of a run this long (seconds) with these channels and
// groups, so that its stems must be kept whole (viewer_options().preview_max_seconds).
bool keeps_listening_copies(double seconds, int channels, std::size_t groups);

struct ViewerPage {
  std::string html;  // the viewer section, to be placed in DIR/report.html
  std::string mix;   // the mix's path relative to DIR (the copy, or the original with --no-mix-copy)
};

// Writes DIR/report/{viewer.js, viewer.css, data.js, audio.js, notes.js, *.png, mix.<ext>}.
ViewerPage write_viewer(const std::string& dir, const RunView& run, const nlohmann::json& report, const std::string& audio,
                         const ViewerOptions& options, bool overwrite);

// Shared by the pages notewise writes: HTML text; the cells (SDR, SIR, SAR, SI-SDR, 2 decimals)
// of one stem's scores as evaluate_stems gives them.
std::string html_escape(const std::string& s);
std::string score_cells(const nlohmann::json& stem_scores);

// A word for a POSIX shell: as it is when it holds only safe characters, else in single quotes.
std::string shell_quote(const std::string& s);

// The command line of this process, shell-quoted (set once by main).
void set_command_line(int argc, char** argv);
const std::string& command_line();

}  // namespace notewise::cli
