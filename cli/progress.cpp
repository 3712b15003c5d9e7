#include "progress.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace notewise::cli {
namespace {

double since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

}  // namespace

ProgressBar::ProgressBar(std::string label, bool quiet)
    : label_(std::move(label)), quiet_(quiet), tty_(::isatty(STDERR_FILENO) != 0), start_(std::chrono::steady_clock::now()) {}

ProgressBar::~ProgressBar() {
  if (tty_ && !quiet_ && !finished_ && started_) std::fputc('\n', stderr);
}

ProgressBar& ProgressBar::stage(int k, int n) {
  label_ += " " + std::to_string(k) + "/" + std::to_string(n);
  return *this;
}

void ProgressBar::restart() { start_ = std::chrono::steady_clock::now(); }

void ProgressBar::update(double fraction, const std::string& detail) { draw(fraction, "", detail); }

void ProgressBar::update(long done, long total, const std::string& unit, const std::string& detail) {
  draw(total > 0 ? static_cast<double>(done) / static_cast<double>(total) : 0, format_rate(done, total, unit, since(start_)), detail);
}

void ProgressBar::draw(double fraction, const std::string& counts, const std::string& detail) {
  if (quiet_ || finished_) return;
  const auto now = std::chrono::steady_clock::now();
  fraction = std::clamp(fraction, 0.0, 1.0);
  const double elapsed = since(start_);
  const int percent = static_cast<int>(fraction * 100.0);
  std::string tail = counts;
  tail += (tail.empty() ? "" : " ") + format_clock(elapsed) + "<" + format_clock(seconds_left(elapsed, fraction));
  if (!detail.empty()) tail += " " + detail;
  if (tty_) {
    // At most 10 redraws a second: a terminal that redraws on every iteration slows the work.
    if (started_ && fraction < 1 && std::chrono::duration<double>(now - last_draw_).count() < 0.1) return;
    const int width = 30, filled = percent * width / 100;
    std::fprintf(stderr, "\r%s [%s%s] %3d%% %s\033[K", label_.c_str(), std::string(filled, '#').c_str(),
                 std::string(width - filled, '-').c_str(), percent, tail.c_str());
    std::fflush(stderr);
  } else {
    const int quarter = percent / 25;
    if (quarter == last_quarter_ || quarter >= 4) return;  // 0, 25, 50, 75 %; "done" closes it
    last_quarter_ = quarter;
    std::fprintf(stderr, "%s: %d%% %s\n", label_.c_str(), quarter * 25, tail.c_str());
  }
  started_ = true;
  last_draw_ = now;
}

void ProgressBar::finish(const std::string& detail) {
  if (quiet_ || finished_) return;
  finished_ = true;
  const std::string took = "done in " + format_seconds(since(start_)) + (detail.empty() ? "" : ", " + detail);
  if (tty_) std::fprintf(stderr, "\r%s %s\033[K\n", label_.c_str(), took.c_str());
  else std::fprintf(stderr, "%s: %s\n", label_.c_str(), took.c_str());
}

void info(bool quiet, const std::string& line) {
  if (!quiet) std::fprintf(stderr, "%s\n", line.c_str());
}

void notice(bool quiet, const std::string& line) {
  if (!quiet) std::fprintf(stderr, "notewise: note: %s\n", line.c_str());
}

void warn(const std::string& line) { std::fprintf(stderr, "notewise: warning: %s\n", line.c_str()); }

}  // namespace notewise::cli
