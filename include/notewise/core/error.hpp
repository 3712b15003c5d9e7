#pragma once
// The one exception root of notewise. The library throws, never exits or prints; the CLI
// catches, prints one line and maps the kind to an exit code (see cli/main.cpp).
// Error kinds and exit codes are stable API; message text is not.
#include <cstddef>
#include <stdexcept>
#include <string>

namespace notewise {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A parameter outside its valid range, or shapes that do not fit together.
class InvalidArgument : public Error {
 public:
  using Error::Error;
};

// A file that cannot be opened, read or written.
class IoError : public Error {
 public:
  IoError(const std::string& path, const std::string& problem);
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// A file whose content is malformed; line (1-based) or byte offset where known.
class ParseError : public Error {
 public:
  ParseError(const std::string& path, std::size_t line, const std::string& problem);
  const std::string& path() const { return path_; }
  std::size_t line() const { return line_; }

 private:
  std::string path_;
  std::size_t line_;
};

// Checks a parameter range with one message format: "<name> = <value>: must be <rule>".
void require(bool ok, const std::string& name, double value, const std::string& rule);

}  // namespace notewise
