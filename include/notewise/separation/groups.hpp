#pragma once
// Note groups: which notes go to which stem.
//
// A group is NAME=SELECTION. A selection is a condition over a note's fields,
//   label  pitch  velocity  start (= onset)  end (= offset)  duration  index
// compared with == != < <= > >= to a number or a word ('quoted' or bare), combined with
// && (and), || (or), ! (not) and parentheses, e.g.  label==right && pitch>=72
// The selection `others` takes every note no earlier group took. Groups are tried in order;
// a note goes to the first group whose selection it matches, so every note falls in exactly
// one group; notes that no group takes (and no `others` group) go to an automatic group `rest`
// (as demucs' --two-stems gives no_X). Without groups, each score label is its own group,
// named after the label as written.
#include <functional>
#include <string>
#include <vector>

#include "notewise/score/score.hpp"

namespace notewise {

using NotePredicate = std::function<bool(const Note&)>;

// Limits that keep parsing bounded for any input: parentheses nest at most this deep, and a
// selection is at most this long.
constexpr int kMaxSelectionDepth = 100;
constexpr std::size_t kMaxSelectionLength = 100000;

// Throws InvalidArgument naming the position and the problem for a malformed selection
// (including the limits above). The predicate is a flat program: evaluating, copying and
// destroying it never recurse.
NotePredicate parse_selection(const std::string& selection);

struct GroupSpec {
  std::string name;
  std::string selection;  // or "others"; with exact_label, a label matched exactly
  bool exact_label = false;  // the groups made from labels: any characters, no quoting needed
};

// Group names at most this long (in bytes; file names beside them stay within 255).
constexpr std::size_t kMaxGroupName = 200;

// "NAME=SELECTION" -> GroupSpec (split at the first '='); throws InvalidArgument if there is
// no '=', or the name is empty, "." or "..", holds '/' or a control character, or is longer
// than kMaxGroupName (it names a file).
GroupSpec parse_group_spec(const std::string& text);

struct Grouping {
  std::vector<std::string> names;                 // in the order given; labels as written
  std::vector<std::string> files;                 // per group: a distinct, file-safe stem (see file_stems)
  std::vector<std::vector<std::size_t>> notes;    // per group: indices into the score
  int automatic_rest = -1;                        // the group made for notes no group took, or -1
};

// File-name stems for group names: each name as written where a file system allows it ('/',
// control characters -> '_'; "", "." and ".." get a prefix; cut to kMaxGroupName bytes), made
// distinct without regard to case (macOS and Windows fold it) by " 2", " 3", ...
std::vector<std::string> file_stems(const std::vector<std::string>& names);

// One group per score label, named after the label as written ("unlabelled" for an empty one).
std::vector<GroupSpec> label_group_specs(const Score& score);

// At most this many groups (stems) in one run: an orchestral score has a few dozen parts, and
// the run's memory grows with the groups times the templates (a 30 KB score of 1,500 labels
// took 6 GB on a 4 s clip).
constexpr std::size_t kMaxGroups = 256;

// Throws InvalidArgument if a selection matches no note, for a second `others` group, for
// duplicate group names, or for more than kMaxGroups groups given (or labels, without groups). Notes left over go to an automatic group "rest" (or "rest 2", ... if
// a group of that name was given), recorded in automatic_rest.
Grouping group_notes(const Score& score, const std::vector<GroupSpec>& specs);

}  // namespace notewise
