#pragma once
// Note groups: which notes go to which stem.
//
// A group is NAME=SELECTION. A selection is a condition over a note's fields,
//   label  pitch  velocity  start (= onset)  end (= offset)  duration  index
// compared with == != < <= > >= to a number or a word ('quoted' or bare), combined with
// && (and), || (or), ! (not) and parentheses, e.g.  label==right && pitch>=72
// The selection `others` takes every note no earlier group took. Groups are tried in order;
// a note goes to the first group whose selection it matches, so every note falls in exactly
// one group. Without groups, each score label is its own group.
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
  std::string selection;  // or "others"
};

// "NAME=SELECTION" -> GroupSpec; throws InvalidArgument if there is no '=' or the name is not a
// usable file name (letters, digits, '-', '_', '.').
GroupSpec parse_group_spec(const std::string& text);

struct Grouping {
  std::vector<std::string> names;                 // in the order given
  std::vector<std::vector<std::size_t>> notes;    // per group: indices into the score
};

// One group per score label (label characters unusable in file names become '_').
std::vector<GroupSpec> label_group_specs(const Score& score);

// Throws InvalidArgument if a selection matches no note, if notes are left over with no
// `others` group, or for duplicate group names.
Grouping group_notes(const Score& score, const std::vector<GroupSpec>& specs);

}  // namespace notewise
