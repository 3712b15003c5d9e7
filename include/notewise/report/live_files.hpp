#pragma once
// The files of a live run (the CLI's `live`, issue #36): one stem per group and the practice
// mixes, growing in DIR/NAME.wav.part while the blocks come (float32 WAV, the header rewritten
// after every block so a player can follow), renamed to DIR/NAME.wav at the end, then
// DIR/aligned.csv (written last: its presence marks a complete run). On an error the .part
// files are removed (AudioWriter's cleanup).
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "notewise/io/audio.hpp"
#include "notewise/io/audio_stream.hpp"
#include "notewise/live/live.hpp"

namespace notewise::report {

// A practice mix: the file's stem and which groups it sums.
struct LiveMix {
  std::string file;
  std::vector<bool> include;
};

// minus-LABEL (every group but LABEL's) for each of `minus`, then only-LABEL (LABEL's group
// alone) for each of `only`. InvalidArgument "no group 'X' (groups: A, B)" for a label that
// names no group.
std::vector<LiveMix> live_mixes(const Grouping& groups, const std::vector<std::string>& minus,
                                const std::vector<std::string>& only);

// What a live run did, for its last line.
struct LiveRunSummary {
  Index input_samples = 0;
  double cpu_seconds = 0;       // of the loop (blocks in, stems out)
  std::size_t notes = 0;        // in the score
  std::size_t notes_passed = 0; // onsets the follower passed
  double mean_confidence = 0;
  bool lost = false;            // the follower was lost at the end
  std::size_t files = 0;        // audio files written (stems and mixes)
};

class LiveFiles {
 public:
  // Makes DIR and checks every output (aligned.csv, then NAME.wav per group and mix, opened as
  // .part files) before any work: IoError (or InvalidArgument) as io's writers.
  LiveFiles(const std::string& dir, const Grouping& groups, std::vector<LiveMix> mixes, int channels, int rate,
            bool overwrite);
  ~LiveFiles();
  LiveFiles(const LiveFiles&) = delete;
  LiveFiles& operator=(const LiveFiles&) = delete;

  // Feeds `input` through `live` in hop-sized blocks (paced at the recording's speed if
  // `realtime`), writes each block (write), then finishes (finish). `on_status`, if given, gets
  // the follower's state about once a second of audio.
  LiveRunSummary run(io::AudioBlocks& input, LiveSeparator& live, const std::string& input_name,
                     const std::string& score_path, bool realtime,
                     const std::function<void(const FollowerState&)>& on_status = {});

  // The same in steps, for a front end that pushes the blocks itself (the Python module, the
  // JACK client): write() each block `live` gave back (less the latency's first samples, so
  // that the files start at input sample 0), then finish() once: the rest of the stems
  // (live.finish()), the files renamed, aligned.csv from the followed score (`score_path`
  // names its source, as align's). IoError naming `input_name` if no samples were pushed
  // (nothing renamed then). cpu_seconds is left 0; `last`, if given, receives live.finish()'s block.
  void write(const LiveBlock& block, const LiveSeparator& live);
  LiveRunSummary finish(LiveSeparator& live, const std::string& input_name, const std::string& score_path,
                        LiveBlock* last = nullptr);

 private:
  std::string dir_, aligned_;
  std::size_t groups_ = 0;
  std::vector<LiveMix> mixes_;
  std::vector<std::unique_ptr<io::AudioWriter>> writers_;
  bool overwrite_ = false;
  Index skipped_ = 0;  // of the delayed timeline's first latency samples
};

}  // namespace notewise::report
