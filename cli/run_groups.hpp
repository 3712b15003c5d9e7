#pragma once
// What the user must be told about a run's groups that the library cannot know: the file's
// structure (tracks, channels, parts, staves) behind a single group.
#include "run_input.hpp"

namespace notewise::cli {

// A warning when a single group (the whole mix; edit's "(muted)" group not counted) is all the
// run makes of a score with several tracks, channels, parts or staves.
void warn_single_group(const Input& in, const ModelArgs& m);

}  // namespace notewise::cli
