#pragma once
// What every command that aligns writes of an alignment (`align`, `separate`/`decompose` with
// the score aligned): the aligned score (CSV with a confidence column, or MIDI), the warp as
// CSV, report.json's block and the one-line summary.
#include <string>

#include <nlohmann/json.hpp>

#include "notewise/align/align.hpp"

namespace notewise::report {

// "X.warp.csv" for an aligned score "X.csv" / "X.mid": the warp is named after the score, so
// that several pieces aligned into one folder keep their own warps.
std::string warp_path_for(const std::string& aligned_score);

// The aligned score at `out` (.mid/.midi: MIDI; otherwise CSV: a CSV `score_path` keeps its
// columns and layout, only start and duration change; a confidence column is added or replaced).
void write_aligned_score(const std::string& out, const std::string& score_path, const Alignment& al, bool overwrite);

// score_s,audio_s per score frame.
void write_warp(const std::string& path, const Alignment& al, bool overwrite);

// With an alignment (al not null): writes DIR/aligned.csv (as write_aligned_score) and sets
// report["alignment"] to alignment_json. Without: does nothing.
void write_align_outputs(const std::string& dir, const std::string& score_path, const Alignment* al, nlohmann::json& report,
                         bool overwrite);

// One line: notes aligned, the cost, the confidence and, if poor, why.
std::string alignment_summary(const Alignment& al);

}  // namespace notewise::report
