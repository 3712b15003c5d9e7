#pragma once
// The settings of a run (separate, decompose, edit) and of a synchronisation (align), each declared once: its name, type,
// default, unit, range or choices, help text, group, the commands that take it, and how it maps
// onto PipelineOptions. Every front end derives from this table: the notewise program registers
// its options by iterating it (flag: "--" + name with '_' as '-', unless `flag` says otherwise;
// a boolean whose default is true is turned off by "--no-" + name), the Python module its
// keyword arguments (the same names and defaults), report.json its "parameters" (written from
// the options a run resolved, read back to re-run it). Essentia's declareParameter(name,
// description, range, default) is the model.
//
//   SettingValues v;
//   v.set("n_fft", "2048");                 // checked: InvalidArgument "n_fft = ...: must be ..."
//   v.set("method", "nae-mu");
//   PipelineOptions o = resolve_settings(v); // presets and method-dependent defaults applied
//
// Library messages name a setting as "{setting:NAME}" or "{setting:NAME=VALUE}" (e.g.
// "{setting:drums=ignore}"); each front end spells it its own way (render_setting_names):
// "--drums ignore" on the command line, "drums='ignore'" in Python.
//
// Thread safety: the table is built once (thread-safe static) and read only.
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "notewise/pipeline/pipeline.hpp"

namespace notewise {

enum class SettingType {
  Int,     // a whole number (text: decimal)
  Real,    // a finite number
  Bool,    // "true" | "false"
  Choice,  // one of `choices`
  Text,    // free text (a path, a size "8G", a loss "beta=1.5")
  List,    // several texts (groups NAME=SELECTION, instruments LABEL=FAMILY)
};

// Where a setting is shown: Common (the short --help), Model (the model's details, --help-all),
// Advanced (rarely changed: implementation, memory), Research (ablations).
enum class SettingGroup { Common, Model, Advanced, Research };

// The commands that take a setting (a bit mask).
enum SettingCommand : unsigned { kSeparate = 1, kDecompose = 2, kEdit = 4, kAlign = 8 };

struct Setting {
  std::string name;  // the setting's one name: Python keyword, report.json key (unless report_key)
  SettingType type = SettingType::Text;
  std::string default_text;  // the default as text ("" where there is none: no model, no limit)
  std::string unit;          // "Hz", "s", "samples", ... ("" for none)
  bool has_range = false;    // Int and Real: min .. max inclusive (max infinite: no upper bound)
  double min = 0, max = 0;
  std::vector<std::string> choices;  // Choice
  // Text: a fixed count of numbers, written "1,1,1" (the command line also takes them as
  // separate words); 0: free text.
  int numbers = 0;
  std::string help;
  SettingGroup group = SettingGroup::Model;
  unsigned commands = kSeparate | kDecompose | kEdit;
  // The command line's spelling where it is not derived from the name (CLI11 syntax, e.g.
  // "-n,--iterations"): kept from before the table, so that no command line breaks.
  std::string flag;
  // The key in report.json's "parameters" where older reports named it otherwise.
  std::string report_key;
  // The value in PipelineOptions (null for the settings the front ends act on: reading the
  // score, the trained model's folder): set from checked text, get back as text.
  std::function<void(PipelineOptions&, const std::string&)> set;
  std::function<std::string(const PipelineOptions&)> get;

  const std::string& key() const { return report_key.empty() ? name : report_key; }
  // "n_fft = 1 Hz: must be in 16 .. 65536" without the value: the range (or choices) as text.
  std::string rule() const;
};

// Every setting, in the order the help lists them.
const std::vector<Setting>& settings();
// The front ends' own options that library messages name (out, force, no_report, no_mix_copy,
// mute): not settings of a run (commands 0, no default), only names for render_setting_names.
const std::vector<Setting>& front_end_options();
// The setting of that name; InvalidArgument "unknown setting NAME" if none.
const Setting& setting(std::string_view name);
const Setting* find_setting(std::string_view name);

// The single check of a setting's value: parses `text` as the setting's type and checks its
// range or choices. Throws InvalidArgument "NAME = TEXT: must be ..." (the setting's name).
void check_setting(const Setting& s, const std::string& text);

// A number as text, shortest form that reads back to the same double (whole numbers in full).
std::string setting_number(double v);

// The values a caller gave (text, as typed on a command line; lists one text per entry), and
// which of them were given explicitly (a preset's or a method's defaults apply to the others;
// a re-run from report.json holds every value, explicit or not).
struct SettingValues {
  std::map<std::string, std::vector<std::string>> values;
  std::set<std::string> given;

  // Checks the value (check_setting) and records it; explicit: counts as given.
  void set(const std::string& name, const std::string& text, bool explicit_ = true);
  void set_list(const std::string& name, std::vector<std::string> texts, bool explicit_ = true);
  bool has(const std::string& name) const { return values.count(name) > 0; }
  bool was_given(const std::string& name) const { return given.count(name) > 0; }
  // The value (the first text), or the setting's default when absent.
  std::string text(const std::string& name) const;
  std::vector<std::string> list(const std::string& name) const;
};

// The options of a run from its settings: the preset's options, every value present applied in
// table order, then the defaults that depend on other settings (the autoencoders' 200 epochs
// and euclidean loss, nae_optimizer auto, which sources take the uniform band, partials,
// onsets and time after offsets). Throws InvalidArgument naming the setting.
PipelineOptions resolve_settings(const SettingValues& values);

// A trained piano model (setting "model", read by the front end: io::read_piano_model) into
// `options`: its sample rate, FFT, hop and constraints; NMF refines its encoder's activations
// for 10 iterations unless iterations is given. InvalidArgument if a value given explicitly
// (sr, n_fft, hop) contradicts the model's, or the method is not NMF.
void use_piano_model(PipelineOptions& options, std::shared_ptr<const PianoModel> model, const SettingValues& values);

// The values the options hold, as text, for every setting with a `get` (report.json); the
// others (read by the front ends) from `values` or their default.
SettingValues settings_of(const PipelineOptions& options, const SettingValues& values);

// "{setting:NAME}" and "{setting:NAME=VALUE}" in a library message, spelt by `spell(setting,
// value)` (value "" when none); NAME a setting or one of front_end_options(). Text without
// placeholders is returned as it is.
std::string render_setting_names(const std::string& text,
                                 const std::function<std::string(const Setting&, const std::string&)>& spell);

}  // namespace notewise
