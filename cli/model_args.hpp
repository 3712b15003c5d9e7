#pragma once
// The model options of separate, decompose and edit (and nae, compare, plot) on the command
// line: registered, checked, resolved and recorded from the library's settings table
// (pipeline/settings.hpp); nothing here names a setting's default, range or help.
#include <CLI/CLI.hpp>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "notewise/io/score_io.hpp"
#include "notewise/pipeline/settings.hpp"

namespace notewise::cli {

// A setting's command-line spelling: its flag ("--n-fft", "--align"), with a value where one is
// given ("--drums ignore", "--align=auto").
std::string setting_flag(const Setting& s, const std::string& value = "");
// A library message with its "{setting:...}" names spelt as flags.
std::string flag_text(const std::string& library_text);

// report.json's "decisions": {name: {value, reason}}.
nlohmann::json decisions_json(const Decisions& d);

struct ModelArgs {
  std::string score;
  CLI::App* cmd = nullptr;
  // What a command starts from where the table's default does not suit it (nae: method nae-mu
  // and 100 epochs; compare: loss euclidean; a re-run: every value of its report.json).
  SettingValues defaults;
  // After finish(): the values (defaults and what was given), resolved by the library.
  SettingValues values;
  PipelineOptions resolved;
  // The resolved options, which prepare() and the commands adjust (a trained model's geometry;
  // views for the report).
  SeparationOptions options = SeparationOptions::tuned();
  int rate = 22050;
  bool align = false, align_auto = true, as_given = false;
  bool align_by_default = false;  // a MusicXML score without --align: aligned (and said so)
  // Text of settings the commands act on themselves (after finish()).
  std::string drums = "ignore", model, spectrogram = "auto", max_memory, method = "nmf", loss = "kl", preset = "tuned";
  std::vector<std::string> groups;

  // Starts `name` at `text` on this command (help shows it as the default).
  void set_default(const std::string& name, const std::string& text);
  // Registers the table's settings that `command` (kSeparate, kDecompose, kEdit) takes, with
  // --score (with_score; a command with several scores registers its own).
  // leave_out: settings of that command this one does not take.
  void add_to(CLI::App& cmd, unsigned command, bool with_score = true, const std::vector<std::string>& leave_out = {});
  // Collects what was given, resolves it (InvalidArgument for bad values).
  void finish();
  // validate_options(finish), then reads --model if given (IoError/ParseError naming the file)
  // and takes its geometry and constraints (a usage error if explicit options contradict them).
  void prepare();
  // report.json's "parameters"; alpha_used from the run's decisions where given.
  nlohmann::json to_json(const Decisions* decisions = nullptr) const;
  io::MidiOptions midi_options() const;
  // The library pipeline's options (after finish/prepare); names for messages.
  PipelineOptions pipeline_options(const std::string& audio_name) const;
  // The inverse of to_json (for re-running a recorded run); then call prepare().
  static ModelArgs from_json(const nlohmann::json& j);

 private:
  std::map<std::string, std::string> text_;
  std::map<std::string, std::vector<std::string>> lists_;
  std::map<std::string, bool> flags_;
  std::map<std::string, long long> ints_;
  std::map<std::string, double> reals_;
  std::map<std::string, CLI::Option*> options_;
};

}  // namespace notewise::cli
