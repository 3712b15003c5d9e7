#pragma once
// A batch of runs over a corpus (the CLI's `batch`): its manifest, its plan (which rows are done
// already, the order the others run in) and its summary. How and where a row runs (a child
// process, an MPI rank) is the front end's.
#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace notewise::io {

struct BatchRow {
  std::size_t line = 0;  // in the manifest
  std::string audio, score, name, reference;
  std::vector<std::string> options;
  double audio_seconds = -1;  // from the header; -1 when it cannot be read
  // Outcome.
  std::string status = "pending";  // done | skipped | failed
  int exit_code = 0;
  double seconds = 0;
  std::string error, host;
  int rank = -1;
  nlohmann::json scores;  // null without a reference
};

// Columns: audio, score (required), name, options, reference (optional; options: words
// separated by spaces, passed to the command; reference: a folder of reference stems). Paths
// relative to the manifest's folder. ParseError naming the manifest and line for a missing
// column, an empty field, and a name that is not a plain folder name of at most NAME_MAX bytes,
// is hidden, is summary.csv/summary.json, or appears twice ignoring case.
std::vector<BatchRow> read_manifest(const std::string& path);

// The rows to run, longest first (audio length from each file's header): rows whose folder
// under `root` holds `marker` (the file their run commits last) are marked skipped, with the
// scores their report holds. *total_audio_seconds: the audio of the rows to run.
std::vector<std::size_t> plan_batch(std::vector<BatchRow>& rows, const std::string& root, const std::string& marker,
                                    double* total_audio_seconds);

// The scores a finished row's report.json holds (null if none or unreadable).
nlohmann::json scores_of(const std::string& report_json);

// A row's outcome as a worker reports it ({"status", "exit_code", "seconds", "error", "rank",
// "host", "scores"}; not an object: failed).
void set_outcome(BatchRow& row, const nlohmann::json& outcome);

// summary.csv: a row per manifest row (name, audio, score, status, exit_code, seconds,
// audio_seconds, rank, host, error) and, where any row was scored, mean_SDR, mean_SI_SDR and
// SDR:<stem>, SI_SDR:<stem> per stem any row has.
std::string summary_csv(const std::vector<BatchRow>& rows);
// summary.json's "rows".
nlohmann::json summary_rows(const std::vector<BatchRow>& rows);

}  // namespace notewise::io
