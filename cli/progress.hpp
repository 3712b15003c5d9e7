#pragma once
// Progress of long work on stderr: a bar redrawn in place on a terminal, plain lines (every
// 10 %) when stderr is a file or pipe, nothing with -q.
#include <string>

namespace notewise::cli {

class ProgressBar {
 public:
  ProgressBar(std::string label, bool quiet);
  ~ProgressBar();
  void update(double fraction, const std::string& detail = "");  // fraction in [0, 1]
  void finish(const std::string& detail = "");

 private:
  std::string label_;
  bool quiet_, tty_, finished_ = false;
  int last_percent_ = -1;
};

// One informational line on stderr unless quiet.
void info(bool quiet, const std::string& line);
// A notice on stderr unless quiet ("notewise: note: ..."): something decided for the user
// (labels made distinct, notes sent to an automatic group) that changes what is written.
void notice(bool quiet, const std::string& line);
// A warning line on stderr (shown even with -q: it tells of something the user must know).
void warn(const std::string& line);

}  // namespace notewise::cli
