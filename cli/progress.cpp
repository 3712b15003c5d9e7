#include "progress.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdio>

namespace notewise::cli {

ProgressBar::ProgressBar(std::string label, bool quiet)
    : label_(std::move(label)), quiet_(quiet), tty_(::isatty(STDERR_FILENO) != 0) {}

ProgressBar::~ProgressBar() {
  if (tty_ && !quiet_ && !finished_ && last_percent_ >= 0) std::fputc('\n', stderr);
}

void ProgressBar::update(double fraction, const std::string& detail) {
  if (quiet_) return;
  const int percent = static_cast<int>(std::clamp(fraction, 0.0, 1.0) * 100.0);
  if (tty_) {
    if (percent == last_percent_) return;
    const int width = 30, filled = percent * width / 100;
    std::fprintf(stderr, "\r%s [%s%s] %3d%% %s\033[K", label_.c_str(), std::string(filled, '#').c_str(),
                 std::string(width - filled, ' ').c_str(), percent, detail.c_str());
    std::fflush(stderr);
  } else {
    if (percent / 10 == last_percent_ / 10 && last_percent_ >= 0) return;
    std::fprintf(stderr, "%s: %d%% %s\n", label_.c_str(), percent / 10 * 10, detail.c_str());
  }
  last_percent_ = percent;
}

void ProgressBar::finish(const std::string& detail) {
  if (quiet_ || finished_) return;
  finished_ = true;
  if (tty_) std::fprintf(stderr, "\r%s done %s\033[K\n", label_.c_str(), detail.c_str());
  else std::fprintf(stderr, "%s: done %s\n", label_.c_str(), detail.c_str());
}

void info(bool quiet, const std::string& line) {
  if (!quiet) std::fprintf(stderr, "%s\n", line.c_str());
}

void notice(bool quiet, const std::string& line) {
  if (!quiet) std::fprintf(stderr, "notewise: note: %s\n", line.c_str());
}

void warn(const std::string& line) { std::fprintf(stderr, "notewise: warning: %s\n", line.c_str()); }

}  // namespace notewise::cli
