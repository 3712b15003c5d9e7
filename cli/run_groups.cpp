#include "run_groups.hpp"

#include "progress.hpp"

namespace notewise::cli {

void warn_single_group(const Input& in, const ModelArgs& m) {
  const Grouping& groups = in.groups;
  const std::size_t internal = !groups.names.empty() && groups.names[0] == "(muted)" ? 1 : 0;
  if (groups.names.size() - internal != 1 || !in.drums.empty()) return;  // drum classes: more stems
  const io::ScoreFile& f = in.score_file;
  std::string parts, fix;
  const auto add = [&](int count, const std::string& what, const std::string& option) {
    if (count < 2) return;
    parts += (parts.empty() ? "" : ", ") + std::to_string(count) + " " + what;
    fix += (fix.empty() ? "" : " or ") + option;
  };
  const bool xml = f.format == "MusicXML";
  add(f.tracks, xml ? "parts" : "tracks", "--label-by track");
  add(f.channels, "channels", "--label-by channel");
  add(f.staves, "staves", "--label-by staff");
  if (!parts.empty())
    warn("one group ('" + groups.names[internal] + "') is the whole score, so its stem is the whole mix, although " + m.score +
         " has " + parts + "; " + fix + " (or --group) gives a stem each");
}

}  // namespace notewise::cli
