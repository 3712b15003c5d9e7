#include "notewise/core/error.hpp"

#include <sstream>

namespace notewise {

IoError::IoError(const std::string& path, const std::string& problem)
    : Error(path + ": " + problem), path_(path) {}

namespace {
std::string where(const std::string& path, std::size_t line) {
  std::string s = path;
  if (line > 0) s.append(":").append(std::to_string(line));
  return s;
}
}  // namespace

ParseError::ParseError(const std::string& path, std::size_t line, const std::string& problem)
    : Error(where(path, line) + ": " + problem), path_(path), line_(line) {}

void require(bool ok, const std::string& name, double value, const std::string& rule) {
  if (ok) return;
  std::ostringstream s;
  s << name << " = " << value << ": must be " << rule;
  throw InvalidArgument(s.str());
}

}  // namespace notewise
