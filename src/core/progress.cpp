#include "notewise/core/progress.hpp"

#include <cmath>
#include <cstdio>

namespace notewise {

std::string format_seconds(double s) {
  char b[48];
  if (!std::isfinite(s) || s < 0) return "? s";
  if (s < 1) std::snprintf(b, sizeof b, "%.2f s", s);
  else if (s < 60) std::snprintf(b, sizeof b, "%.1f s", s);
  else if (s < 3600) std::snprintf(b, sizeof b, "%ld min %02ld s", std::lround(s) / 60, std::lround(s) % 60);
  else std::snprintf(b, sizeof b, "%ld h %02ld min", std::lround(s) / 3600, std::lround(s) / 60 % 60);
  return b;
}

std::string format_clock(double s) {
  if (!std::isfinite(s) || s < 0) return "--:--";
  const long t = std::lround(s);
  char b[32];
  if (t >= 3600) std::snprintf(b, sizeof b, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
  else std::snprintf(b, sizeof b, "%02ld:%02ld", t / 60, t % 60);
  return b;
}

double seconds_left(double elapsed, double fraction) { return fraction > 0 ? elapsed * (1 - fraction) / fraction : NAN; }

std::string format_rate(long done, long total, const std::string& unit, double elapsed) {
  char b[96];
  const double rate = elapsed > 0 ? static_cast<double>(done) / elapsed : 0;
  std::snprintf(b, sizeof b, "%ld/%ld %s %.*f %s/s", done, total, unit.c_str(), rate < 10 ? 1 : 0, rate, unit.c_str());
  return b;
}

}  // namespace notewise
