#include "notewise/separation/groups.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <memory>

#include "notewise/core/error.hpp"

namespace notewise {
namespace {

// A selection compiles to a flat program in postfix order (comparisons push a truth value,
// !, && and || combine the top of the stack), evaluated with a small stack. Nothing about it is
// recursive: neither its evaluation nor its destruction (nested closures were destroyed
// recursively and overflowed the stack on long && chains). The parser recurses only into
// parentheses, at most kMaxSelectionDepth deep; a run of '!' is read in a loop.
enum class Field { Label, Pitch, Velocity, Onset, Offset, Duration, Index };
enum class Op { Eq, Ne, Lt, Le, Gt, Ge };
struct Instr {
  enum Kind { Compare, Not, And, Or } kind = Compare;
  Field field = Field::Pitch;
  Op op = Op::Eq;
  double number = 0;
  std::string label;
};

class Program {
 public:
  explicit Program(std::vector<Instr> code) : code_(std::move(code)) {}
  bool operator()(const Note& n) const {
    std::vector<char> stack;
    stack.reserve(8);
    for (const Instr& c : code_) {
      switch (c.kind) {
        case Instr::Compare: stack.push_back(compare(c, n)); break;
        case Instr::Not: stack.back() = !stack.back(); break;
        case Instr::And: {
          const char b = stack.back();
          stack.pop_back();
          stack.back() = stack.back() && b;
          break;
        }
        case Instr::Or: {
          const char b = stack.back();
          stack.pop_back();
          stack.back() = stack.back() || b;
          break;
        }
      }
    }
    return stack.back() != 0;
  }

 private:
  static bool compare(const Instr& c, const Note& n) {
    if (c.field == Field::Label) return (n.label == c.label) == (c.op == Op::Eq);
    double v = 0;
    switch (c.field) {
      case Field::Pitch: v = n.pitch; break;
      case Field::Velocity: v = n.velocity; break;
      case Field::Onset: v = n.onset; break;
      case Field::Offset: v = n.offset(); break;
      case Field::Duration: v = n.duration; break;
      case Field::Index: v = static_cast<double>(n.index); break;
      case Field::Label: break;
    }
    switch (c.op) {
      case Op::Eq: return v == c.number;
      case Op::Ne: return v != c.number;
      case Op::Lt: return v < c.number;
      case Op::Le: return v <= c.number;
      case Op::Gt: return v > c.number;
      case Op::Ge: return v >= c.number;
    }
    return false;
  }
  std::vector<Instr> code_;
};

// A recursive-descent parser:  or := and ('||' and)* ; and := unary ('&&' unary)* ;
// unary := '!'* ( '(' or ')' | field op value )
class Parser {
 public:
  explicit Parser(const std::string& s) : s_(s) {}

  std::vector<Instr> parse() {
    if (s_.size() > kMaxSelectionLength)
      fail("selection is " + std::to_string(s_.size()) + " characters long (at most " +
           std::to_string(kMaxSelectionLength) + ")");
    parse_or();
    skip();
    if (i_ != s_.size()) fail("unexpected '" + shorten(s_.substr(i_)) + "'");
    return std::move(code_);
  }

 private:
  static std::string shorten(const std::string& s) { return s.size() <= 60 ? s : s.substr(0, 57) + "..."; }
  [[noreturn]] void fail(const std::string& what) const {
    throw InvalidArgument("selection '" + shorten(s_) + "', at character " + std::to_string(i_ + 1) + ": " + what);
  }
  void skip() {
    while (i_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[i_]))) ++i_;
  }
  bool eat(const std::string& tok) {
    skip();
    if (s_.compare(i_, tok.size(), tok) == 0) {
      i_ += tok.size();
      return true;
    }
    return false;
  }
  void emit(Instr::Kind k) {
    Instr in;
    in.kind = k;
    code_.push_back(std::move(in));
  }
  void parse_or() {
    parse_and();
    while (eat("||")) {
      parse_and();
      emit(Instr::Or);
    }
  }
  void parse_and() {
    parse_unary();
    while (eat("&&")) {
      parse_unary();
      emit(Instr::And);
    }
  }
  void parse_unary() {
    bool negate = false;
    while (eat("!")) {
      if (s_.compare(i_, 1, "=") == 0) fail("'!' must be followed by a condition");
      negate = !negate;
    }
    if (eat("(")) {
      if (++depth_ > kMaxSelectionDepth)
        fail("parentheses nested more than " + std::to_string(kMaxSelectionDepth) + " deep");
      parse_or();
      if (!eat(")")) fail("missing ')'");
      --depth_;
    } else {
      parse_comparison();
    }
    if (negate) emit(Instr::Not);
  }
  std::string word() {
    skip();
    const std::size_t start = i_;
    while (i_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[i_])) || s_[i_] == '_' || s_[i_] == '.' ||
                              s_[i_] == '-' || s_[i_] == '+'))
      ++i_;
    return s_.substr(start, i_ - start);
  }
  // A value without quotes: anything up to a space, an operator or a parenthesis, so that a
  // label such as lh: or Piano#2 can be written as it is.
  std::string bare_value() {
    skip();
    const std::size_t start = i_;
    while (i_ < s_.size() && !std::isspace(static_cast<unsigned char>(s_[i_])) && s_[i_] != '&' && s_[i_] != '|' &&
           s_[i_] != '(' && s_[i_] != ')' && s_[i_] != '\'' && s_[i_] != '"')
      ++i_;
    return s_.substr(start, i_ - start);
  }
  void parse_comparison() {
    skip();
    const std::size_t at = i_;
    const std::string field = word();
    if (field.empty()) fail("expected a field (label, pitch, velocity, start, end, duration, index)");
    Instr c;
    if (field == "label") c.field = Field::Label;
    else if (field == "pitch") c.field = Field::Pitch;
    else if (field == "velocity") c.field = Field::Velocity;
    else if (field == "start" || field == "onset") c.field = Field::Onset;
    else if (field == "end" || field == "offset") c.field = Field::Offset;
    else if (field == "duration") c.field = Field::Duration;
    else if (field == "index") c.field = Field::Index;
    else {
      i_ = at;
      fail("unknown field '" + shorten(field) + "' (fields: label, pitch, velocity, start, end, duration, index)");
    }
    std::string op;
    for (const char* o : {"==", "!=", "<=", ">=", "<", ">", "="})
      if (eat(o)) {
        op = o;
        break;
      }
    if (op.empty()) fail("expected a comparison (== != < <= > >=) after '" + field + "'");
    if (op == "=") op = "==";
    c.op = op == "==" ? Op::Eq : op == "!=" ? Op::Ne : op == "<" ? Op::Lt : op == "<=" ? Op::Le : op == ">" ? Op::Gt : Op::Ge;
    skip();
    std::string value;
    if (i_ < s_.size() && (s_[i_] == '\'' || s_[i_] == '"')) {
      const char q = s_[i_++];
      const std::size_t end = s_.find(q, i_);
      if (end == std::string::npos) fail("unterminated quote");
      value = s_.substr(i_, end - i_);
      i_ = end + 1;
    } else {
      value = bare_value();
    }
    if (value.empty()) fail("expected a value after '" + field + op + "'");
    if (c.field == Field::Label) {
      if (c.op != Op::Eq && c.op != Op::Ne) fail("labels compare with == or != only");
      c.label = value;
    } else {
      const auto [p, ec] =
          std::from_chars(value.data() + (value[0] == '+' ? 1 : 0), value.data() + value.size(), c.number);
      if (ec != std::errc() || p != value.data() + value.size()) fail("'" + shorten(value) + "' is not a number");
    }
    code_.push_back(std::move(c));
  }

  const std::string& s_;
  std::size_t i_ = 0;
  int depth_ = 0;
  std::vector<Instr> code_;
};

}  // namespace

NotePredicate parse_selection(const std::string& selection) {
  auto program = std::make_shared<const Program>(Parser(selection).parse());
  return [program](const Note& n) { return (*program)(n); };
}

GroupSpec parse_group_spec(const std::string& text) {
  const std::size_t eq = text.find('=');
  if (eq == std::string::npos || eq == 0) throw InvalidArgument("group '" + text + "': expected NAME=SELECTION");
  GroupSpec g{text.substr(0, eq), text.substr(eq + 1)};
  for (char c : g.name)
    if (c == '/' || static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
      throw InvalidArgument("group name '" + g.name + "': no '/' or control characters (it names a file)");
  if (g.name == "." || g.name == "..") throw InvalidArgument("group name '" + g.name + "' is not allowed (it names a file)");
  if (g.name.size() > kMaxGroupName)
    throw InvalidArgument("group name '" + g.name.substr(0, 40) + "...' is longer than " + std::to_string(kMaxGroupName) +
                          " bytes (it names a file)");
  return g;
}

namespace {

std::string folded(const std::string& s) {
  std::string o = s;
  for (char& c : o) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return o;
}

// The name as a file-name stem: '/' and control characters (which no file system takes, or
// which break terminals) become '_'; everything else, spaces and ':' included, is kept.
std::string file_safe(const std::string& name) {
  std::string s = name.empty() ? std::string("unlabelled") : name;
  for (char& c : s)
    if (c == '/' || static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '_';
  if (s == "." || s == "..") s = "label" + s;
  if (s.size() > kMaxGroupName) {
    std::size_t n = kMaxGroupName;
    // Not inside a UTF-8 character: back over at most 3 continuation bytes (a longer run is not
    // UTF-8, and backing over all of it could leave nothing).
    for (int k = 0; k < 3 && (static_cast<unsigned char>(s[n]) & 0xc0) == 0x80; ++k) --n;
    s.resize(n);
  }
  return s;
}

}  // namespace

std::vector<std::string> file_stems(const std::vector<std::string>& names) {
  std::vector<std::string> out;
  std::vector<std::string> taken;  // case-folded
  for (const auto& name : names) {
    const std::string base = file_safe(name);
    std::string s = base;
    for (int k = 2; std::find(taken.begin(), taken.end(), folded(s)) != taken.end(); ++k) s = base + " " + std::to_string(k);
    taken.push_back(folded(s));
    out.push_back(s);
  }
  return out;
}

std::vector<GroupSpec> label_group_specs(const Score& score) {
  std::vector<GroupSpec> specs;
  for (const std::string& label : score.labels())
    specs.push_back({label.empty() ? std::string("unlabelled") : label, label, true});
  return specs;
}

Grouping group_notes(const Score& score, const std::vector<GroupSpec>& specs_in) {
  const std::vector<GroupSpec> specs = specs_in.empty() ? label_group_specs(score) : specs_in;
  if (specs.size() > kMaxGroups)
    throw InvalidArgument(std::to_string(specs.size()) + (specs_in.empty() ? " labels" : " groups") + ": at most " +
                          std::to_string(kMaxGroups) + " groups (stems) in one run" +
                          (specs_in.empty() ? "; gather the labels into groups by selections" : ""));
  Grouping g;
  const std::size_t count = score.size();
  std::vector<int> taken(count, -1);
  int others = -1;
  for (std::size_t k = 0; k < specs.size(); ++k) {
    if (std::find(g.names.begin(), g.names.end(), specs[k].name) != g.names.end())
      throw InvalidArgument("group '" + specs[k].name + "' is given twice");
    g.names.push_back(specs[k].name);
    g.notes.emplace_back();
    if (!specs[k].exact_label && specs[k].selection == "others") {
      if (others >= 0) throw InvalidArgument("only one group can take the others");
      others = static_cast<int>(k);
      continue;
    }
    const std::string& label = specs[k].selection;
    const NotePredicate pick = specs[k].exact_label ? NotePredicate([&label](const Note& n) { return n.label == label; })
                                                    : parse_selection(specs[k].selection);
    std::size_t matched = 0;
    for (std::size_t i = 0; i < count; ++i)
      if (pick(score.notes()[i])) {
        ++matched;
        if (taken[i] < 0) {
          taken[i] = static_cast<int>(k);
          g.notes[k].push_back(i);
        }
      }
    if (matched == 0)
      throw InvalidArgument("group '" + specs[k].name + "': " +
                            (specs[k].exact_label ? "no note has label '" + label + "'"
                                                  : "selection '" + specs[k].selection + "' matches no note"));
  }
  std::vector<std::size_t> left;
  for (std::size_t i = 0; i < count; ++i)
    if (taken[i] < 0) {
      if (others >= 0) g.notes[static_cast<std::size_t>(others)].push_back(i);
      else left.push_back(i);
    }
  if (!left.empty()) {
    std::string name = "rest";
    for (int k = 2; std::find(g.names.begin(), g.names.end(), name) != g.names.end(); ++k) name = "rest " + std::to_string(k);
    g.automatic_rest = static_cast<int>(g.names.size());
    g.names.push_back(name);
    g.notes.push_back(std::move(left));
  }
  g.files = file_stems(g.names);
  return g;
}

}  // namespace notewise
