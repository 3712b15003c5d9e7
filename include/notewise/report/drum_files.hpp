#pragma once
// The files of a drum run (the CLI's `drums`, issue #20): its start templates read from one-shot
// recordings, and what it writes: a stem per pitched track and drum class, W/H/H0 as .npy,
// loss.csv, the figures (app_figures.hpp) and report.json's content.
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "notewise/io/audio.hpp"
#include "notewise/separation/drums.hpp"

namespace notewise::report {

// A class's start template from a one-shot recording (read and resampled to `rate` as every
// analysis reads one): the magnitudes of its first T frames (zero beyond its end). ParseError
// naming the file if those frames are silent.
MatrixXf drum_template_from(const std::string& path, int rate, const DrumOptions& o, int T);

// The start templates of the classes that have FOLDER/<file>.wav (`files`: each class's file
// name without extension, in the order of groups.names); the others are left out (learnt from a
// flat start). IoError naming the folder if it holds none of them.
std::vector<std::pair<std::string, MatrixXf>> drum_templates(const std::string& folder, const Grouping& groups,
                                                             const std::vector<std::string>& files, int rate,
                                                             const DrumOptions& o);

// What a drum run was given and found, for its files.
struct DrumRun {
  std::string audio_name, score_name;
  int analysis_rate = 0;
  DrumOptions options;
  const DrumScore* score = nullptr;
  const DrumSeparation* result = nullptr;
  const io::Audio* audio = nullptr;  // the recording (its rate and channels; the stems keep them)
  std::vector<std::string> stems;    // file names without extension: the pitched tracks', then the classes'
  std::vector<std::string> started;  // classes whose templates started from recordings
  bool fixed_templates = false;      // ... and were held
};

// DIR/<stem>.wav per track and class (sample format `format`), W.npy (bins x C*T: frame t of
// class c in column t * C + c), H.npy, H0.npy, loss.csv, activations.png, templates.png. Returns
// report.json's content without "scores" and "seconds" (the caller's). overwrite: as io's writers.
nlohmann::json write_drum_files(const std::string& dir, const DrumRun& run, io::SampleFormat format, bool overwrite);

}  // namespace notewise::report
