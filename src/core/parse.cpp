#include "notewise/core/parse.hpp"

#include <cerrno>
#include <cstdlib>

namespace notewise {

std::optional<double> parse_number(const std::string& text) {
  char* end = nullptr;
  errno = 0;
  const double v = std::strtod(text.c_str(), &end);
  if (end == text.c_str() || end != text.c_str() + text.size() || errno == ERANGE) return std::nullopt;
  return v;
}

}  // namespace notewise
