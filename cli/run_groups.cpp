#include "run_groups.hpp"

#include "progress.hpp"

namespace notewise::cli {

Grouping make_groups(const Input& in, const ModelArgs& m, const Globals& g, const std::vector<GroupSpec>& internal) {
  std::vector<GroupSpec> specs = internal;
  if (m.groups.empty()) {
    if (!specs.empty())
      for (auto& s : label_group_specs(in.score)) specs.push_back(std::move(s));
  } else {
    for (const auto& text : m.groups) specs.push_back(parse_group_spec(text));
  }
  Grouping groups = group_notes(in.score, specs);
  if (groups.automatic_rest >= 0) {
    const auto k = static_cast<std::size_t>(groups.automatic_rest);
    notice(g.quiet, std::to_string(groups.notes[k].size()) + " note(s) that no --group takes go to the group '" +
                        groups.names[k] + "'");
  }
  const std::size_t made = groups.names.size() - internal.size();
  const io::ScoreFile& f = in.score_file;
  if (made == 1) {
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
      warn("one group ('" + groups.names[internal.size()] + "') is the whole score, so its stem is the whole mix, although " +
           m.score + " has " + parts + "; " + fix + " (or --group) gives a stem each");
  }
  return groups;
}

}  // namespace notewise::cli
