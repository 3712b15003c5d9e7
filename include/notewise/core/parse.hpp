#pragma once
// Numbers in text given by a user (a gain, a transposition): the whole text must be the number.
#include <optional>
#include <string>

namespace notewise {

// TEXT as a number with std::strtod's syntax (leading spaces allowed), all of it; nothing when
// any of it is not part of the number, when it is empty, or when it is out of double's range.
std::optional<double> parse_number(const std::string& text);

}  // namespace notewise
