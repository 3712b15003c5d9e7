#pragma once
// The groups of a run, from --group (or one per label), and what the user must be told about
// them: notes that went to an automatic group, one group where the score has several parts.
#include <string>
#include <vector>

#include "commands.hpp"
#include "notewise/separation/groups.hpp"
#include "pipeline.hpp"

namespace notewise::cli {

// Groups `internal` (e.g. edit's muted notes) first, then --group's, or one per label if none
// is given. A notice names an automatic `rest` group; a warning says when a single group (the
// whole mix) is all the run makes of a score with several tracks, channels, parts or staves.
// InvalidArgument for a bad --group (a usage error) is the caller's to map.
Grouping make_groups(const Input& in, const ModelArgs& m, const Globals& g, const std::vector<GroupSpec>& internal = {});

}  // namespace notewise::cli
