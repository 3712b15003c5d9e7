#include "model_args.hpp"

#include <algorithm>
#include <cmath>
#include <memory>

#include "commands.hpp"
#include "help.hpp"
#include "notewise/core/error.hpp"
#include "notewise/io/model_io.hpp"
#include "run_input.hpp"

namespace notewise::cli {

namespace {

std::string dashed(std::string name) {
  for (auto& c : name)
    if (c == '_') c = '-';
  return name;
}

// The flag names CLI11 registers for a setting.
std::string flag_names(const Setting& s) {
  if (!s.flag.empty()) return s.flag;
  if (s.type == SettingType::Bool && s.default_text == "true") return "!--no-" + dashed(s.name);
  return "--" + dashed(s.name);
}

const char* group_name(SettingGroup g) {
  switch (g) {
    case SettingGroup::Common: return kCommonModelGroup;
    case SettingGroup::Advanced: return "Advanced";
    case SettingGroup::Research: return "Ablation";
    default: return kModelGroup;
  }
}

}  // namespace

std::string setting_flag(const Setting& s, const std::string& value) {
  // The long name CLI11 takes ("-n,--iterations" -> "--iterations", "--align{yes}" -> "--align").
  std::string names = flag_names(s), flag;
  for (std::size_t start = 0; start <= names.size();) {
    const std::size_t comma = std::min(names.find(',', start), names.size());
    std::string n = names.substr(start, comma - start);
    if (!n.empty() && n[0] == '!') n.erase(0, 1);
    if (n.rfind("--", 0) == 0) {
      flag = n.substr(0, n.find('{'));
      break;
    }
    start = comma + 1;
  }
  if (value.empty()) return flag;
  return flag + (s.flag.find('{') != std::string::npos ? "=" : " ") + value;
}

std::string flag_text(const std::string& text) {
  return render_setting_names(text, [](const Setting& s, const std::string& v) { return setting_flag(s, v); });
}

void ModelArgs::set_default(const std::string& name, const std::string& text) {
  defaults.set(name, text, false);
}

void ModelArgs::add_to(CLI::App& c, unsigned command, bool with_score, const std::vector<std::string>& leave_out) {
  cmd = &c;
  for (const Setting& s : settings()) {
    if ((s.commands & command) == 0 || std::find(leave_out.begin(), leave_out.end(), s.name) != leave_out.end()) continue;
    CLI::Option* o = nullptr;
    const std::string start = defaults.text(s.name);
    const std::string names = flag_names(s);
    if (s.type == SettingType::Bool) {
      bool& b = flags_[s.name] = start == "true";
      o = c.add_flag(names, b, flag_text(s.help));
    } else if (s.type == SettingType::List) {
      o = c.add_option(names, lists_[s.name], flag_text(s.help));
    } else if (s.numbers > 0) {  // "1,1,1" or three words
      o = c.add_option(names, lists_[s.name], flag_text(s.help))->delimiter(',')->expected(s.numbers)->default_str(start);
    } else if (names.find('{') != std::string::npos) {
      o = c.add_flag(names, text_[s.name], flag_text(s.help));  // a flag that may take a value (--align, --align=no)
    } else if (s.type == SettingType::Int) {
      long long& v = ints_[s.name] = std::stoll(start);  // CLI11 converts (and words its errors) as for any number
      o = c.add_option(names, v, flag_text(s.help))->capture_default_str();
    } else if (s.type == SettingType::Real) {
      double& v = reals_[s.name] = std::stod(start);
      o = c.add_option(names, v, flag_text(s.help))->capture_default_str();
    } else {
      text_[s.name] = start;
      o = c.add_option(names, text_[s.name], flag_text(s.help));
      if (!start.empty()) o->capture_default_str();
    }
    if (s.type == SettingType::Choice) o->check(CLI::IsMember(s.choices));
    if (s.type == SettingType::Int) {
      o->type_name("INT");
      if (s.has_range && std::isinf(s.max)) o->check(CLI::NonNegativeNumber);
      else if (s.has_range) o->check(CLI::Range(static_cast<long long>(s.min), static_cast<long long>(s.max)));
    }
    if (s.type == SettingType::Real) {
      o->type_name("FLOAT");
      if (s.has_range) o->check(CLI::Range(s.min, s.max));
    }
    o->group(group_name(s.group));
    options_[s.name] = o;
    if (with_score && s.name == "preset")
      c.add_option("-s,--score", score, "Score of the recording: a table (.csv .tsv .txt: start, duration or end, pitch, [velocity],\n"
                                        "[label]; header optional), MIDI (.mid) or MusicXML (.musicxml .xml .mxl; aligned unless --align=no)")
          ->required()->group(kCommonModelGroup);
  }
  if (options_.count("model")) options_["model"]->check(CLI::ExistingDirectory);
}

void ModelArgs::finish() {
  values = defaults;
  for (const auto& [name, o] : options_) {
    if (o->count() == 0) continue;
    const Setting& s = setting(name);
    if (s.type == SettingType::Bool) values.set(name, flags_[name] ? "true" : "false");
    else if (s.type == SettingType::Int) values.set(name, std::to_string(ints_[name]));
    else if (s.type == SettingType::Real) values.set(name, setting_number(reals_[name]));
    else if (s.type == SettingType::List) values.set_list(name, lists_[name]);
    else if (s.numbers > 0) {
      std::string joined;
      for (const auto& n : lists_[name]) joined += (joined.empty() ? "" : ",") + n;
      values.set(name, joined);
    }
    else values.set(name, text_[name]);
  }
  if (cmd != nullptr && !options_.count("drums")) values.set("drums", "ignore", false);  // only separate models drums
  if (!values.has("align") && io::is_musicxml_path(score)) {
    // A notation program's score has the score's times, not the recording's: align it unless
    // told otherwise (--align=no).
    values.set("align", "yes", false);
    align_by_default = true;
  }
  // Checked here for the command line's own words (the library would say "group NAME: ...").
  nmf::Options divergence;
  set_divergence(values.text("loss"), divergence);
  for (const auto& g : values.list("groups")) {
    try {
      const GroupSpec spec = parse_group_spec(g);
      if (spec.selection != "others") parse_selection(spec.selection);
    } catch (const InvalidArgument& e) {
      throw InvalidArgument(std::string("--group: ") + e.what());
    }
  }
  try {
    resolved = resolve_settings(values);
  } catch (const InvalidArgument& e) {
    throw InvalidArgument(flag_text(e.what()));
  }
  options = resolved.model;
  rate = resolved.analysis_rate;
  align = resolved.align;
  align_auto = resolved.align_auto;
  as_given = resolved.as_given;
  drums = values.text("drums");
  model = values.text("model");
  spectrogram = values.text("spectrogram");
  max_memory = values.text("max_memory");
  method = values.text("method");
  loss = nmf::to_string(options.decompose.nmf.divergence, options.decompose.nmf.beta);
  preset = values.text("preset");
  groups = values.list("groups");
}

void ModelArgs::prepare() {
  validate_options([&] { finish(); });
  if (model.empty()) return;
  auto m = std::make_shared<PianoModel>(io::read_piano_model(model));
  PipelineOptions p = pipeline_options("");
  validate_options([&] {
    try {
      use_piano_model(p, std::move(m), values);
    } catch (const InvalidArgument& e) {
      throw InvalidArgument(flag_text(e.what()));
    }
  });
  options = p.model;
  rate = p.analysis_rate;
}

PipelineOptions ModelArgs::pipeline_options(const std::string& audio_name) const {
  PipelineOptions p = resolved;
  p.model = options;
  p.analysis_rate = rate;
  p.drums = drums == "kit" ? PipelineOptions::Drums::Kit : drums == "ignore" ? PipelineOptions::Drums::Ignore : PipelineOptions::Drums::Classes;
  p.audio_name = audio_name;
  p.score_name = score;
  return p;
}

io::MidiOptions ModelArgs::midi_options() const {
  io::MidiOptions mo;
  mo.label_by = io::parse_label_by(values.text("label_by"));
  mo.sustain_pedal = values.text("pedal") == "true";
  return mo;
}

nlohmann::json decisions_json(const Decisions& d) {
  nlohmann::json j = nlohmann::json::object();
  const std::pair<const char*, const Decision*> all[] = {
      {"alpha", &d.alpha}, {"align", &d.align}, {"drums", &d.drums}, {"timbre", &d.timbre}, {"spectrogram", &d.spectrogram}};
  for (const auto& [name, x] : all)
    if (!x->value.empty()) j[name] = {{"value", x->value}, {"reason", flag_text(x->reason)}};
  return j;
}

nlohmann::json ModelArgs::to_json(const Decisions* decisions) const {
  const SettingValues all = settings_of(pipeline_options(""), values);
  nlohmann::json j = {{"score", score}};
  for (const Setting& s : settings()) {
    if ((s.commands & (kSeparate | kDecompose | kEdit)) == 0) continue;  // align's own: not a separation's
    const std::vector<std::string> v = all.list(s.name);
    const std::string t = v.empty() ? std::string() : v.front();
    switch (s.type) {
      case SettingType::Int: j[s.key()] = s.name == "nae_seed" ? nlohmann::json(std::stoull(t)) : nlohmann::json(std::stoll(t)); break;
      case SettingType::Real: j[s.key()] = std::stod(t); break;
      case SettingType::Bool: j[s.key()] = t == "true"; break;
      case SettingType::List: j[s.key()] = v; break;
      default: j[s.key()] = t;
    }
  }
  j["align"] = align;  // before align_mode, reports said only this
  j["alpha_used"] = decisions != nullptr && !decisions->alpha.value.empty() ? std::stod(decisions->alpha.value) : mask_alpha(options);
  j["given"] = std::vector<std::string>(values.given.begin(), values.given.end());
  // Older readers: whether the band and the partials were given (every source takes them).
  j["explicit_band"] = values.was_given("tolerance") || values.was_given("tolerance_cents");
  j["explicit_partials"] = values.was_given("partials");
  return j;
}

ModelArgs ModelArgs::from_json(const nlohmann::json& j) {
  ModelArgs m;
  m.score = j.at("score").get<std::string>();
  SettingValues& v = m.defaults;
  for (const Setting& s : settings()) {
    if (!j.contains(s.key())) continue;
    const nlohmann::json& x = j.at(s.key());
    if (s.type == SettingType::List) {
      v.values[s.name] = x.get<std::vector<std::string>>();
      continue;
    }
    std::string t = x.is_boolean() ? (x.get<bool>() ? "true" : "false")
                    : x.is_number_integer() ? x.dump()
                    : x.is_number() ? setting_number(x.get<double>())
                                    : x.get<std::string>();
    if (s.name == "align" && t == "refuse") t = "no";  // a run that refused a mismatch: its score fitted
    v.values[s.name] = {t};
  }
  // Reports from before a setting existed: the values those runs used.
  auto old = [&](const char* name, const char* text) {
    if (!v.has(name)) v.values[name] = {text};
  };
  if (!j.contains("align_mode")) v.values["align"] = {j.value("align", false) ? "yes" : "no"};
  old("template_iterations", "0");
  old("alpha", "2");       // runs before the choice by instrument used 2
  old("drums", "ignore");  // runs before drums were modelled left them out
  old("timbre", "shared"); // runs before per-label timbre were shared
  if (j.contains("given")) {
    for (const auto& n : j.at("given").get<std::vector<std::string>>())
      if (find_setting(n) != nullptr) v.given.insert(n);
  } else {
    if (j.value("explicit_band", false)) v.given.insert("tolerance");
    if (j.value("explicit_partials", false)) v.given.insert("partials");
    v.values["preset"] = {"tuned"};  // older re-runs took every value as given, without the preset
  }
  return m;
}

}  // namespace notewise::cli
