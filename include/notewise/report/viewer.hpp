#pragma once
// The interactive part of report.html: zoomable time-frequency views (log frequency) of the mix,
// each stem and each mask, the activations on a pitch axis, the score as a piano roll over them,
// a playback cursor, click to seek, and solo/mute/gain per group remixing the stems live in the
// page (Web Audio). It works offline from the output folder alone: everything it reads lies in
// DIR/report/ (colour images, one small data script, compact listening copies as a script,
// since a page opened from file:// may not fetch files, and a copy of the input recording).
#include <nlohmann/json.hpp>
#include <string>

#include "notewise/report/report.hpp"

namespace notewise::report {


// Whether the page gets listening copies of a run this long (seconds) with these channels and
// groups, so that its stems must be kept whole (options.preview_max_seconds).
bool keeps_listening_copies(double seconds, int channels, std::size_t groups, const ViewerOptions& options = {});

struct ViewerPage {
  std::string html;  // the viewer section, to be placed in DIR/report.html
  std::string mix;   // the mix's path relative to DIR (the copy, or the original without copy_mix)
};

// Writes DIR/report/{viewer.js, viewer.css, data.js, audio.js, notes.js, *.png, mix.<ext>}.
ViewerPage write_viewer(const std::string& dir, const RunView& run, const nlohmann::json& report, const std::string& audio,
                         bool overwrite);

// Shared by the pages notewise writes: HTML text; the cells (SDR, SIR, SAR, SI-SDR, 2 decimals)
// of one stem's scores as evaluate_stems gives them.
std::string html_escape(const std::string& s);
std::string score_cells(const nlohmann::json& stem_scores);


}  // namespace notewise::report
