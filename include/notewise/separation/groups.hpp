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
  std::vector<std::string> files;                 // per group: its file's stem, without extension (file_stems)
  std::vector<std::vector<std::size_t>> notes;    // per group: indices into the score
  int automatic_rest = -1;                        // the group made for notes no group took, or -1
};

// File names of the stems. The group *names* (labels) stay as written everywhere else
// (reports, --gain selectors); only the files are named by this.
//
// safe_file_name: a label made into a file-name stem that every common file system takes
// (ext4, APFS, NTFS, FAT, SMB shares): empty -> "unlabelled"; bytes that are not UTF-8, control
// characters (C0, DEL, C1) and / \ : , < > " | ? * -> '_'; spaces -> '_' unless keep_spaces; a
// leading '.' (hidden, "." and "..") and a trailing '.' or space -> '_'; a reserved Windows
// device name (CON, PRN, AUX, NUL, COM0-9, LPT0-9, any case, also before a '.') gets a '_'
// after it; cut to `max_bytes` (never inside a UTF-8 character). Idempotent: a safe stem comes
// back unchanged.
std::string safe_file_name(const std::string& label, bool keep_spaces = false, std::size_t max_bytes = kMaxGroupName);

// How stem files are named: a template of the fields {label} (the safe label), {index} (the
// group's number from 1, zero-padded to the width of the count) and {ext} (the file format's
// extension), e.g. "{label}.{ext}" (the default) or "{index}-{label}.{ext}".
struct FileNaming {
  std::string pattern = "{label}.{ext}";
  bool keep_spaces = false;
  // InvalidArgument naming the template unless it ends in ".{ext}", holds {label} or {index}
  // (a field that tells the groups apart; at most 4 fields), has no other {field} ({ext} only
  // at the end), no '{' or '}' of its own, no
  // character safe_file_name would replace (/ and \ would leave the output folder) outside its
  // fields, does not start with '.', and has at most 64 bytes of its own text.
  void validate() const;
};

// The stems (file names without ".ext") of groups `names` under `naming`, distinct without
// regard to case (macOS and Windows fold it): a name that another took already gets "-2",
// "-3", ... (first come, first served, so the result depends only on the names and their
// order). Each stem is at most kMaxGroupName bytes. `renamed`, if given, receives one entry
// "NAME -> STEM" per name made distinct that way.
std::vector<std::string> file_stems(const std::vector<std::string>& names, const FileNaming& naming = {},
                                    std::vector<std::string>* renamed = nullptr);

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
