#include "notewise/separation/groups.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <memory>
#include <string_view>

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

// The length of the valid UTF-8 sequence at s[i] (1..4), or 0 if it is not one (a stray
// continuation byte, an overlong form, a surrogate, beyond U+10FFFF, or cut short).
std::size_t utf8_length(const std::string& s, std::size_t i) {
  const auto byte = [&](std::size_t k) { return k < s.size() ? static_cast<unsigned char>(s[k]) : 0u; };
  const unsigned c = byte(i);
  if (c < 0x80) return 1;
  std::size_t n = 0;
  unsigned lo = 0x80, hi = 0xbf;  // the allowed range of the second byte
  if (c >= 0xc2 && c <= 0xdf) n = 2;
  else if (c >= 0xe0 && c <= 0xef) {
    n = 3;
    if (c == 0xe0) lo = 0xa0;       // overlong
    if (c == 0xed) hi = 0x9f;       // surrogates
  } else if (c >= 0xf0 && c <= 0xf4) {
    n = 4;
    if (c == 0xf0) lo = 0x90;       // overlong
    if (c == 0xf4) hi = 0x8f;       // beyond U+10FFFF
  } else {
    return 0;
  }
  if (byte(i + 1) < lo || byte(i + 1) > hi) return 0;
  for (std::size_t k = 2; k < n; ++k)
    if ((byte(i + k) & 0xc0) != 0x80) return 0;
  return n;
}

bool reserved_device_name(std::string base) {
  while (!base.empty() && base.back() == ' ') base.pop_back();
  base = folded(base);
  if (base == "con" || base == "prn" || base == "aux" || base == "nul") return true;
  return base.size() == 4 && (base.rfind("com", 0) == 0 || base.rfind("lpt", 0) == 0) && base[3] >= '0' && base[3] <= '9';
}

// A stem that is a reserved device name before its first '.' gets a '_' there ("CON" ->
// "CON_", "nul.x" -> "nul_.x").
std::string unreserved(std::string s) {
  const std::size_t dot = s.find('.');
  if (reserved_device_name(s.substr(0, dot))) s.insert(dot == std::string::npos ? s.size() : dot, "_");
  return s;
}

// Cut to at most n bytes, at a character boundary (s is valid UTF-8 here).
void cut_utf8(std::string& s, std::size_t n) {
  if (s.size() <= n) return;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xc0) == 0x80) --n;
  s.resize(n);
}

bool forbidden_ascii(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u < 0x20 || u == 0x7f || std::string_view("/\\:,<>\"|?*").find(c) != std::string_view::npos;
}

// "{index}" as text: from 1, zero-padded to the width of `count`.
std::string index_text(std::size_t k, std::size_t count) {
  const std::string n = std::to_string(k + 1), width = std::to_string(count);
  return std::string(width.size() > n.size() ? width.size() - n.size() : 0, '0') + n;
}

}  // namespace

std::string safe_file_name(const std::string& label, bool keep_spaces, std::size_t max_bytes) {
  max_bytes = std::max<std::size_t>(max_bytes, 12);  // room for "unlabelled" and a reserved name's '_'
  const std::string& in = label.empty() ? std::string("unlabelled") : label;
  std::string s;
  s.reserve(in.size());
  for (std::size_t i = 0; i < in.size();) {
    const std::size_t n = utf8_length(in, i);
    if (n == 0) {  // not UTF-8 (APFS refuses such names; others show them garbled)
      s += '_';
      ++i;
      continue;
    }
    const bool c1 = n == 2 && static_cast<unsigned char>(in[i]) == 0xc2 && static_cast<unsigned char>(in[i + 1]) < 0xa0;
    if (c1 || (n == 1 && (forbidden_ascii(in[i]) || (in[i] == ' ' && !keep_spaces)))) s += '_';
    else s.append(in, i, n);
    i += n;
  }
  if (s[0] == '.') s[0] = '_';  // hidden files, "." and ".."
  cut_utf8(s, max_bytes - 1);    // a byte spare for a reserved name's '_'
  if (s.back() == '.' || s.back() == ' ') s.back() = '_';  // Windows drops them
  return unreserved(s);
}

void FileNaming::validate() const {
  const std::string what = "file-name template '" + pattern + "': ";
  const std::string tail = ".{ext}";
  if (pattern.size() < tail.size() || pattern.compare(pattern.size() - tail.size(), tail.size(), tail) != 0)
    throw InvalidArgument(what + "must end in .{ext}");
  bool distinct = false;
  std::size_t own = 0, fields = 0;
  const std::string body = pattern.substr(0, pattern.size() - tail.size());
  for (std::size_t i = 0; i < body.size();) {
    if (body[i] == '{') {
      const std::size_t close = body.find('}', i);
      const std::string field = body.substr(i, close == std::string::npos ? std::string::npos : close - i + 1);
      if (field == "{ext}") throw InvalidArgument(what + "{ext} only at the end");
      if (field != "{label}" && field != "{index}")
        throw InvalidArgument(what + "unknown field '" + field + "' (fields: {label}, {index}, {ext})");
      distinct = true;
      if (++fields > 4) throw InvalidArgument(what + "more than 4 fields");
      i += field.size();
      continue;
    }
    if (body[i] == '}') throw InvalidArgument(what + "a '}' without its '{'");
    if (body[i] == '/' || body[i] == '\\' || body.compare(i, 2, "..") == 0)
      throw InvalidArgument(what + "would write outside the output folder; it names a file, not a path");
    if (forbidden_ascii(body[i])) throw InvalidArgument(what + "holds a character that is not safe in a file name");
    ++own;
    ++i;
  }
  if (!distinct) throw InvalidArgument(what + "needs {label} or {index}, which tell the groups' files apart");
  if (!body.empty() && body[0] == '.') throw InvalidArgument(what + "would make hidden files (a leading '.')");
  if (own > 64) throw InvalidArgument(what + "more than 64 characters of its own");
}

std::vector<std::string> file_stems(const std::vector<std::string>& names, const FileNaming& naming,
                                    std::vector<std::string>* renamed) {
  naming.validate();
  const std::string body = naming.pattern.substr(0, naming.pattern.size() - std::string(".{ext}").size());
  std::vector<std::string> out;
  std::vector<std::string> taken;  // case-folded
  for (std::size_t k = 0; k < names.size(); ++k) {
    // The template's text and fields but {label}, then the label in the room left.
    std::string fixed;
    std::vector<std::size_t> label_at;
    for (std::size_t i = 0; i < body.size();) {
      if (body.compare(i, 7, "{label}") == 0) {
        label_at.push_back(fixed.size());
        i += 7;
      } else if (body.compare(i, 7, "{index}") == 0) {
        fixed += index_text(k, names.size());
        i += 7;
      } else {
        fixed += body[i++];
      }
    }
    std::string base = fixed;
    if (!label_at.empty()) {
      const std::size_t room = kMaxGroupName > fixed.size() + 12 ? (kMaxGroupName - fixed.size()) / label_at.size() : 12;
      const std::string label = safe_file_name(names[k], naming.keep_spaces, room);
      for (std::size_t j = label_at.size(); j-- > 0;) base.insert(label_at[j], label);
    }
    base = unreserved(base);
    std::string s = base;
    for (int n = 2; std::find(taken.begin(), taken.end(), folded(s)) != taken.end(); ++n) {
      // Within the bound (a byte spare, as safe_file_name leaves one, so the result is stable).
      const std::string suffix = "-" + std::to_string(n);
      s = base;
      cut_utf8(s, kMaxGroupName - 1 - suffix.size());
      s += suffix;
    }
    if (s != base && renamed != nullptr) renamed->push_back(names[k] + " -> " + s);
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
