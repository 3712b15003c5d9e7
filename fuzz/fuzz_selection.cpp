// libFuzzer target: the selection language (--group, --mute, report.json's groups) parses any
// text into a predicate or an InvalidArgument; evaluating and destroying the predicate never
// recurses (deep nesting, long chains), never crashes.
#include <cstddef>
#include <cstdint>
#include <string>

#include "notewise/core/error.hpp"
#include "notewise/separation/groups.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  static const notewise::Score score(std::vector<notewise::Note>{
      {0.0, 1.0, 60, 90, "left", 0}, {0.5, 0.25, 72, 40, "right", 1}, {2.0, 3.0, 21, 127, "", 2}});
  try {
    const notewise::NotePredicate p = notewise::parse_selection(text);
    for (const auto& n : score.notes()) (void)p(n);
  } catch (const notewise::Error&) {
  }
  try {
    const notewise::GroupSpec g = notewise::parse_group_spec(text);
    if (g.name.empty()) __builtin_trap();
    (void)notewise::group_notes(score, {g, {"rest", "others"}});
  } catch (const notewise::Error&) {
  }
  return 0;
}
