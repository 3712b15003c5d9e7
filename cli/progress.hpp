#pragma once
// Progress of long work on stderr, as tqdm shows it:
//   decompose 2/4 [############------------------]  40% 20/50 it 7.9 it/s 00:02<00:03 loss 1.24e+03
// redrawn in place on a terminal (at most 10 times a second), a few plain lines (every 25 %)
// when stderr is a file or pipe, nothing with -q. The stage ("2/4": the second of a command's
// four stages) is optional; so are the counts (without them: percent, elapsed and ETA only).
#include <chrono>
#include <string>

#include "notewise/core/progress.hpp"

namespace notewise::cli {

class ProgressBar {
 public:
  ProgressBar(std::string label, bool quiet);
  ~ProgressBar();
  // This bar is stage `k` of `n` of its command (1-based).
  ProgressBar& stage(int k, int n);
  // The clock starts now (elapsed, rate and ETA count from here): for a bar made before its
  // stage begins, e.g. the resynthesis bar made beside the decomposition's.
  void restart();
  void update(double fraction, const std::string& detail = "");  // fraction in [0, 1]
  // done of total units (e.g. "it", "epoch"): percent, count and rate.
  void update(long done, long total, const std::string& unit, const std::string& detail = "");
  void finish(const std::string& detail = "");

 private:
  void draw(double fraction, const std::string& counts, const std::string& detail);
  std::string label_;
  bool quiet_, tty_, finished_ = false, started_ = false;
  int last_quarter_ = -1;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

using notewise::format_seconds;  // core/progress.hpp: "0.42 s", "1 min 05 s"

// One informational line on stderr unless quiet.
void info(bool quiet, const std::string& line);
// A notice on stderr unless quiet ("notewise: note: ..."): something decided for the user
// (labels made distinct, notes sent to an automatic group) that changes what is written.
void notice(bool quiet, const std::string& line);
// A warning line on stderr (shown even with -q: it tells of something the user must know).
void warn(const std::string& line);

}  // namespace notewise::cli
