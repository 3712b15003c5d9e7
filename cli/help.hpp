#pragma once
// Help that teaches: the required arguments first, then the command's own options, then the
// few model options most runs touch; the other model options only with --help-all. Lines of at
// most 100 columns, no parser artefacts (a flag's "{false}").
#include <CLI/CLI.hpp>

namespace notewise::cli {

// --help-all was given (set by main before the commands are registered).
bool show_all_options();
void set_show_all_options(bool on);

// Group names the commands use.
inline constexpr const char* kCommonModelGroup = "Score and model";
inline constexpr const char* kModelGroup = "Model options";
// The options --help leaves out of a command given a short list (shorten_help).
inline constexpr const char* kMoreGroup = "More options";
// Groups shown only with --help-all (the model's details).
bool detail_group(const std::string& group);

class HelpFormatter : public CLI::Formatter {
 public:
  HelpFormatter();
  std::string make_help(const CLI::App* app, std::string name, CLI::AppFormatMode mode) const override;
  std::string ordered_groups(const CLI::App* app, CLI::AppFormatMode mode) const;
  std::string make_option_name(const CLI::Option* opt, bool positional) const override;
  std::string make_option_desc(const CLI::Option* opt) const override;
  std::string make_option_opts(const CLI::Option* opt) const override;
  std::string make_subcommand(const CLI::App* sub) const override;
  std::string make_footer(const CLI::App* app) const override;
};

// --help of `cmd` shows only the required options, the positionals and the options named in
// `shown` (long names without "--"); the others move to kMoreGroup, shown by --help-all, where
// every option keeps its own group. Call after the command's options are registered.
void shorten_help(CLI::App& cmd, const std::vector<std::string>& shown);

// Required options into "Required", the help flag last, and a footer line naming what
// --help-all adds; for every command and subcommand of app.
void organise_help(CLI::App& app);

}  // namespace notewise::cli
