#include "notewise/separation/groups.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <memory>

#include "notewise/core/error.hpp"

namespace notewise {
namespace {

// A small recursive-descent parser:  or := and ('||' and)* ; and := unary ('&&' unary)* ;
// unary := '!' unary | '(' or ')' | field op value
class Parser {
 public:
  explicit Parser(const std::string& s) : s_(s) {}

  NotePredicate parse() {
    NotePredicate p = parse_or();
    skip();
    if (i_ != s_.size()) fail("unexpected '" + s_.substr(i_) + "'");
    return p;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw InvalidArgument("selection '" + s_ + "', at character " + std::to_string(i_ + 1) + ": " + what);
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
  NotePredicate parse_or() {
    NotePredicate left = parse_and();
    while (eat("||")) {
      NotePredicate right = parse_and();
      left = [left, right](const Note& n) { return left(n) || right(n); };
    }
    return left;
  }
  NotePredicate parse_and() {
    NotePredicate left = parse_unary();
    while (eat("&&")) {
      NotePredicate right = parse_unary();
      left = [left, right](const Note& n) { return left(n) && right(n); };
    }
    return left;
  }
  NotePredicate parse_unary() {
    if (eat("!")) {
      if (s_.compare(i_, 1, "=") == 0) fail("'!' must be followed by a condition");
      NotePredicate inner = parse_unary();
      return [inner](const Note& n) { return !inner(n); };
    }
    if (eat("(")) {
      NotePredicate inner = parse_or();
      if (!eat(")")) fail("missing ')'");
      return inner;
    }
    return parse_comparison();
  }
  std::string word() {
    skip();
    const std::size_t start = i_;
    while (i_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[i_])) || s_[i_] == '_' || s_[i_] == '.' ||
                              s_[i_] == '-' || s_[i_] == '+'))
      ++i_;
    return s_.substr(start, i_ - start);
  }
  NotePredicate parse_comparison() {
    const std::size_t at = i_;
    const std::string field = word();
    if (field.empty()) fail("expected a field (label, pitch, velocity, start, end, duration, index)");
    std::string op;
    for (const char* o : {"==", "!=", "<=", ">=", "<", ">", "="})
      if (eat(o)) {
        op = o;
        break;
      }
    if (op.empty()) fail("expected a comparison (== != < <= > >=) after '" + field + "'");
    if (op == "=") op = "==";
    skip();
    std::string value;
    if (i_ < s_.size() && (s_[i_] == '\'' || s_[i_] == '"')) {
      const char q = s_[i_++];
      const std::size_t end = s_.find(q, i_);
      if (end == std::string::npos) fail("unterminated quote");
      value = s_.substr(i_, end - i_);
      i_ = end + 1;
    } else {
      value = word();
    }
    if (value.empty()) fail("expected a value after '" + field + op + "'");
    if (field == "label") {
      if (op != "==" && op != "!=") fail("labels compare with == or != only");
      const bool eq = op == "==";
      return [value, eq](const Note& n) { return (n.label == value) == eq; };
    }
    double v = 0;
    const auto [p, ec] = std::from_chars(value.data() + (value[0] == '+' ? 1 : 0), value.data() + value.size(), v);
    if (ec != std::errc() || p != value.data() + value.size()) fail("'" + value + "' is not a number");
    std::function<double(const Note&)> get;
    if (field == "pitch") get = [](const Note& n) { return static_cast<double>(n.pitch); };
    else if (field == "velocity") get = [](const Note& n) { return n.velocity; };
    else if (field == "start" || field == "onset") get = [](const Note& n) { return n.onset; };
    else if (field == "end" || field == "offset") get = [](const Note& n) { return n.offset(); };
    else if (field == "duration") get = [](const Note& n) { return n.duration; };
    else if (field == "index") get = [](const Note& n) { return static_cast<double>(n.index); };
    else {
      i_ = at;
      fail("unknown field '" + field + "'");
    }
    if (op == "==") return [get, v](const Note& n) { return get(n) == v; };
    if (op == "!=") return [get, v](const Note& n) { return get(n) != v; };
    if (op == "<") return [get, v](const Note& n) { return get(n) < v; };
    if (op == "<=") return [get, v](const Note& n) { return get(n) <= v; };
    if (op == ">") return [get, v](const Note& n) { return get(n) > v; };
    return [get, v](const Note& n) { return get(n) >= v; };
  }

  const std::string& s_;
  std::size_t i_ = 0;
};

}  // namespace

NotePredicate parse_selection(const std::string& selection) { return Parser(selection).parse(); }

GroupSpec parse_group_spec(const std::string& text) {
  const std::size_t eq = text.find('=');
  if (eq == std::string::npos || eq == 0) throw InvalidArgument("group '" + text + "': expected NAME=SELECTION");
  GroupSpec g{text.substr(0, eq), text.substr(eq + 1)};
  for (char c : g.name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.')
      throw InvalidArgument("group name '" + g.name + "': use letters, digits, '-', '_' and '.' only (it names a file)");
  if (g.name == "." || g.name == "..") throw InvalidArgument("group name '" + g.name + "' is not allowed");
  return g;
}

std::vector<GroupSpec> label_group_specs(const Score& score) {
  std::vector<GroupSpec> specs;
  for (const std::string& label : score.labels()) {
    std::string name = label.empty() ? std::string("unlabelled") : label;
    for (char& c : name)
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') c = '_';
    if (name == "." || name == "..") name = "label_" + name;
    specs.push_back({name, "label=='" + label + "'"});
  }
  return specs;
}

Grouping group_notes(const Score& score, const std::vector<GroupSpec>& specs_in) {
  const std::vector<GroupSpec> specs = specs_in.empty() ? label_group_specs(score) : specs_in;
  Grouping g;
  const std::size_t count = score.size();
  std::vector<int> taken(count, -1);
  int others = -1;
  for (std::size_t k = 0; k < specs.size(); ++k) {
    if (std::find(g.names.begin(), g.names.end(), specs[k].name) != g.names.end())
      throw InvalidArgument("group '" + specs[k].name + "' is given twice");
    g.names.push_back(specs[k].name);
    g.notes.emplace_back();
    if (specs[k].selection == "others") {
      if (others >= 0) throw InvalidArgument("only one group can take the others");
      others = static_cast<int>(k);
      continue;
    }
    const NotePredicate pick = parse_selection(specs[k].selection);
    std::size_t matched = 0;
    for (std::size_t i = 0; i < count; ++i)
      if (pick(score.notes()[i])) {
        ++matched;
        if (taken[i] < 0) {
          taken[i] = static_cast<int>(k);
          g.notes[k].push_back(i);
        }
      }
    if (matched == 0) throw InvalidArgument("group '" + specs[k].name + "': selection '" + specs[k].selection + "' matches no note");
  }
  std::size_t left = 0;
  for (std::size_t i = 0; i < count; ++i)
    if (taken[i] < 0) {
      if (others >= 0) g.notes[static_cast<std::size_t>(others)].push_back(i);
      else ++left;
    }
  if (left > 0)
    throw InvalidArgument(std::to_string(left) + " note(s) match no group; add a group that takes them, e.g. rest=others");
  return g;
}

}  // namespace notewise
