#pragma once
// A separation's report.json and page, as every front end writes them (the CLI's `separate`,
// notewise.separate(report=...) in Python): the library assembles report.json from the run and
// the few facts only the front end knows (the names it gave, its record of the settings, what it
// wrote of the stems), adds the reference-free estimates and the verdict, and draws the page.
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "notewise/pipeline/pipeline.hpp"
#include "notewise/report/report.hpp"

namespace notewise::report {

// What the front end knows of a separation that the run does not.
struct SeparationFacts {
  std::string audio;          // the recording as the user named it
  nlohmann::json parameters;  // the run's settings, as the front end records them
  nlohmann::json decisions;   // what the run chose and why (pipeline's Decisions, as the front end words them)
  // The library's "{setting:NAME}" names in texts the report quotes (the timbre's reason), spelt
  // as the front end spells them (--timbre, timbre=); unchanged if empty.
  std::function<std::string(const std::string&)> spell;
  std::string drums_mode;     // "classes" | "kit": how a band's drum notes became stems
  std::string stem_ext = "wav";  // the stems' files: <group file>.<stem_ext>
  std::vector<double> rms;    // each group's stem RMS (over all its samples and channels)
  nlohmann::json stems;       // what the files hold: {"format", "sample_rate", "sample_format", "quality"}
  nlohmann::json timings;     // seconds per stage ("load", "decompose", ...)
  nlohmann::json cpu_timings; // CPU seconds (user + system, all threads) per stage, same keys
};

// report.json of a separation of `in` (frames x channels at sample_rate) before the alignment,
// the estimates, the scores and the verdict: {"version", "command": "separate", "input",
// "parameters", "decisions", "timbre", "score_fit", "groups", "stems", "nmf", "drums", "timings_s",
// "timings_cpu_s", "threads"}.
// s.groups.files name the stems' files.
nlohmann::json separation_json(const PreparedRecording& in, Index frames, int channels, int sample_rate, const Separation& s,
                               const SeparationFacts& facts);

// The model files of a separation in DIR: W.npy, H.npy, index.json (what each row is, which file
// holds which group: s.groups.files + "." + stem_ext, and a band's drum rows), loss.csv and, for
// a band (drum notes), drums_W.npy and drums_H.npy.
void write_model_files(const std::string& dir, const PreparedRecording& in, const Separation& s, const std::string& stem_ext,
                       bool overwrite);

// report["quality"] (estimate_quality, verdict.hpp) from the run's mono analysis signal, made by
// `analysis`. Returns why the estimates could not be made ("" when they were): the verdict
// (make_verdict, once the rest of report is there) then goes without them.
std::string add_quality(nlohmann::json& report, const PreparedRecording& in, const Separation& s,
                        const std::function<VectorXf()>& analysis);

// Everything of a report for a front end holding the recording's samples (frames x channels at
// sample_rate): the stems as float WAV (s.stems; their files s.groups.files + ".wav"), report.json
// with the estimates and the verdict, report.html with plots/ and report/ (the mix written from
// the samples), written into DIR as one run: staged and committed last, nothing left of it on an
// error (io/output_run.hpp). `view` supplies the page's command and options; its run, score,
// warp and stems fields are set here. s needs views (SeparationOptions::view_columns). Returns
// report.json's content.
nlohmann::json write_separation_report(const std::string& dir, const PreparedRecording& in,
                                       const Eigen::Ref<const MatrixXf>& samples, int sample_rate, Separation& s,
                                       SeparationFacts facts, RunView view, bool overwrite);

}  // namespace notewise::report
