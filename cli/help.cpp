#include "help.hpp"

#include <algorithm>
#include <regex>
#include <sstream>

namespace notewise::cli {
namespace {

bool g_show_all = false;
constexpr std::size_t kWidth = 100, kColumn = 30;

// Greedy word wrap of `text` to `width` columns, its lines joined into one paragraph (the
// descriptions' own line breaks were made for another width).
std::string reflow(const std::string& text, std::size_t width) {
  std::istringstream words(text);
  std::string word, out, cur;
  while (words >> word) {
    if (!cur.empty() && cur.size() + 1 + word.size() > width) {
      out += cur + '\n';
      cur.clear();
    }
    cur += (cur.empty() ? "" : " ") + word;
  }
  return out + cur;
}

// A footer's lines as written (examples keep their alignment); only lines wider than `width`
// are wrapped, their continuation indented as they are.
std::string wrap_lines(const std::string& text, std::size_t width) {
  std::istringstream lines(text);
  std::string line, out;
  while (std::getline(lines, line)) {
    if (!out.empty()) out += '\n';
    if (line.size() <= width) {
      out += line;
      continue;
    }
    const std::size_t indent = std::min<std::size_t>(line.find_first_not_of(' '), 8);
    const std::string body = reflow(line, width - indent - 2);
    std::istringstream parts(body);
    std::string part;
    bool first = true;
    while (std::getline(parts, part)) {
      out += (first ? std::string(indent, ' ') : "\n" + std::string(indent + 2, ' ')) + part;
      first = false;
    }
  }
  return out;
}

int rank(const std::string& group) {
  if (group == "Required") return 0;
  if (group == "Options") return 1;
  if (group == kCommonModelGroup) return 2;
  if (group == kModelGroup) return 4;
  if (group == kMoreGroup) return 5;
  if (group == "Help") return 6;
  return 3;
}

void organise(CLI::App* app) {
  std::size_t hidden = 0;
  for (CLI::Option* o : app->get_options([](const CLI::Option*) { return true; })) {
    if (!o->nonpositional()) continue;
    if (o == app->get_help_ptr()) o->group("Help");
    else if (o->get_required()) o->group("Required");
    else if (detail_group(o->get_group())) ++hidden;
  }
  std::string path = app->get_name();  // "nae train"
  for (const CLI::App* up = app->get_parent(); up != nullptr && up->get_parent() != nullptr; up = up->get_parent())
    path = up->get_name() + " " + path;
  if (hidden > 0 && !g_show_all)
    app->footer(app->get_footer() + "\n" + std::to_string(hidden) + " more options: notewise " + path + " --help-all");
  for (CLI::App* sub : app->get_subcommands([](CLI::App*) { return true; })) organise(sub);
}

}  // namespace

bool show_all_options() { return g_show_all; }
bool detail_group(const std::string& g) { return g == kModelGroup || g == kMoreGroup || g == "Advanced" || g == "Ablation"; }

void shorten_help(CLI::App& cmd, const std::vector<std::string>& shown) {
  if (g_show_all) return;
  for (CLI::Option* o : cmd.get_options([](const CLI::Option*) { return true; })) {
    if (!o->nonpositional() || o->get_required() || o == cmd.get_help_ptr() || detail_group(o->get_group())) continue;
    const auto& names = o->get_lnames();
    if (std::none_of(names.begin(), names.end(), [&](const std::string& n) { return std::find(shown.begin(), shown.end(), n) != shown.end(); }))
      o->group(kMoreGroup);
  }
}
void set_show_all_options(bool on) { g_show_all = on; }

HelpFormatter::HelpFormatter() { column_width(kColumn); }

// As CLI11's, with the option groups in the order a reader needs them (make_groups is not virtual).
std::string HelpFormatter::make_help(const CLI::App* app, std::string name, CLI::AppFormatMode mode) const {
  if (mode == CLI::AppFormatMode::Sub) return make_expanded(app);
  std::ostringstream out;
  out << make_description(app) << make_usage(app, name) << make_positionals(app) << ordered_groups(app, mode)
      << make_subcommands(app, mode) << '\n' << make_footer(app);
  return out.str();
}

std::string HelpFormatter::ordered_groups(const CLI::App* app, CLI::AppFormatMode mode) const {
  std::vector<std::string> groups = app->get_groups();
  std::stable_sort(groups.begin(), groups.end(), [](const std::string& a, const std::string& b) { return rank(a) < rank(b); });
  std::ostringstream out;
  for (const std::string& group : groups) {
    std::vector<const CLI::Option*> opts = app->get_options([app, mode, &group](const CLI::Option* opt) {
      return opt->get_group() == group && opt->nonpositional() &&
             (mode != CLI::AppFormatMode::Sub || (app->get_help_ptr() != opt && app->get_help_all_ptr() != opt));
    });
    if (!group.empty() && !opts.empty() && (g_show_all || !detail_group(group))) out << make_group(group, false, opts);  // ends in a blank line
  }
  return out.str();
}

std::string HelpFormatter::make_option_name(const CLI::Option* opt, bool positional) const {
  std::string n = CLI::Formatter::make_option_name(opt, positional);
  // A flag's value when given ("--no-mix-copy{false}") is the parser's business, not the reader's.
  for (std::size_t a = n.find('{'); a != std::string::npos; a = n.find('{')) {
    const std::size_t b = n.find('}', a);
    if (b == std::string::npos) break;
    n.erase(a, b - a + 1);
  }
  return n;
}

std::string HelpFormatter::make_option_desc(const CLI::Option* opt) const {
  return reflow(opt->get_description(), kWidth - kColumn - 2);
}

// The value's shape as a reader needs it: "{wav,flac}=wav", "FLOAT 0..10=8", "DIR", without
// the parser's type tags ("TEXT:{...}", "FLOAT:FLOAT in [0 - 10]", ":{yes,no}"); no REQUIRED
// where the group's title says so.
std::string HelpFormatter::make_option_opts(const CLI::Option* opt) const {
  std::string s = CLI::Formatter::make_option_opts(opt);
  s = std::regex_replace(s, std::regex(R"(\b[A-Z]+:[A-Z]+ in \[([^\] ]+) - ([^\] ]+)\])"), "NUMBER $1..$2");
  s = std::regex_replace(s, std::regex(R"((^| )[A-Z]*:(\{|[A-Z]+))"), "$1$2");
  if (opt->get_group() == "Required") s = std::regex_replace(s, std::regex(" REQUIRED"), "");
  return s;
}

// Descriptions wrapped to the help's width, as the options' are.
std::string HelpFormatter::make_subcommand(const CLI::App* sub) const {
  std::stringstream out;
  CLI::detail::format_help(out, sub->get_display_name(true), reflow(sub->get_description(), kWidth - kColumn - 2), column_width_);
  return out.str();
}

std::string HelpFormatter::make_footer(const CLI::App* app) const {
  const std::string f = app->get_footer();
  return f.empty() ? f : wrap_lines(f, kWidth) + "\n";
}

void organise_help(CLI::App& app) { organise(&app); }

}  // namespace notewise::cli
