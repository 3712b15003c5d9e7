#include "notewise/pipeline/settings.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>

#include "notewise/core/error.hpp"

namespace notewise {

namespace {

long long to_int(const std::string& t) {
  long long v = 0;
  const auto r = std::from_chars(t.data(), t.data() + t.size(), v);
  if (t.empty() || r.ec != std::errc() || r.ptr != t.data() + t.size()) throw InvalidArgument("not a whole number");
  return v;
}

double to_real(const std::string& t) {
  char* end = nullptr;
  const double v = std::strtod(t.c_str(), &end);
  if (t.empty() || end != t.c_str() + t.size() || !std::isfinite(v)) throw InvalidArgument("not a finite number");
  return v;
}

bool to_bool(const std::string& t) {
  if (t == "true" || t == "1") return true;
  if (t == "false" || t == "0") return false;
  throw InvalidArgument("not true or false");
}

std::string bool_text(bool b) { return b ? "true" : "false"; }

// "1,1,1" -> its numbers (each finite; InvalidArgument otherwise).
std::vector<double> setting_numbers(const std::string& t) {
  std::vector<double> v;
  for (std::size_t start = 0;;) {
    const std::size_t comma = t.find(',', start);
    v.push_back(to_real(t.substr(start, comma == std::string::npos ? std::string::npos : comma - start)));
    if (comma == std::string::npos) return v;
    start = comma + 1;
  }
}

// The divergence as parse_divergence reads it back (nmf::to_string rounds beta to 6 places).
std::string loss_text(const nmf::Options& n) {
  if (n.divergence == nmf::Divergence::Beta) return n.beta == 0 ? "is" : "beta=" + setting_number(n.beta);
  return nmf::to_string(n.divergence, n.beta);
}

// Builders for the table's entries.
Setting number(std::string name, SettingType type, std::string unit, std::string help) {
  Setting s;
  s.name = std::move(name);
  s.type = type;
  s.unit = std::move(unit);
  s.help = std::move(help);
  return s;
}
Setting& range(Setting& s, double lo, double hi) {
  s.has_range = true;
  s.min = lo;
  s.max = hi;
  return s;
}
Setting choice(std::string name, std::vector<std::string> choices, std::string help) {
  Setting s;
  s.name = std::move(name);
  s.type = SettingType::Choice;
  s.choices = std::move(choices);
  s.help = std::move(help);
  return s;
}

#define NW_GET(expr) [](const PipelineOptions& o) { return expr; }
#define NW_SET(stmt) [](PipelineOptions& o, const std::string& t) { stmt; }

// The synchronisation's own settings (the align command; PipelineOptions::alignment). Their
// ranges are AlignOptions::validate's.
template <class Add>
void add_align_settings(Add& add) {
  auto align_number = [](std::string name, SettingType type, std::string unit, std::string help, double lo, double hi) {
    Setting s = number(std::move(name), type, std::move(unit), std::move(help));
    range(s, lo, hi);
    s.group = SettingGroup::Common;
    s.commands = kAlign;
    return s;
  };
#define NW_ALIGN_REAL(NAME, FIELD, UNIT, HELP, LO, HI)                                \
  {                                                                                  \
    Setting s = align_number(NAME, SettingType::Real, UNIT, HELP, LO, HI);           \
    s.set = NW_SET(o.alignment.FIELD = to_real(t));                                  \
    s.get = NW_GET(setting_number(o.alignment.FIELD));                               \
    add(s);                                                                          \
  }
#define NW_ALIGN_INT(NAME, FIELD, HELP, LO, HI)                                       \
  {                                                                                  \
    Setting s = align_number(NAME, SettingType::Int, "", HELP, LO, HI);              \
    s.set = NW_SET(o.alignment.FIELD = static_cast<int>(to_int(t)));                 \
    s.get = NW_GET(std::to_string(o.alignment.FIELD));                               \
    add(s);                                                                          \
  }
#define NW_ALIGN_BOOL(NAME, FIELD, HELP)                                              \
  {                                                                                  \
    Setting s = align_number(NAME, SettingType::Bool, "", HELP, 0, 0);               \
    s.has_range = false;                                                             \
    s.set = NW_SET(o.alignment.FIELD = to_bool(t));                                  \
    s.get = NW_GET(bool_text(o.alignment.FIELD));                                    \
    add(s);                                                                          \
  }
  {
    Setting s = align_number("step_weights", SettingType::Text, "", "DTW weights of the steps (1,1),(1,0),(0,1)", 0, 0);
    s.has_range = false;
    s.numbers = 3;
    s.set = [](PipelineOptions& o, const std::string& t) {
      const std::vector<double> w = setting_numbers(t);
      o.alignment.dtw.weights = {w.at(0), w.at(1), w.at(2)};
    };
    s.get = NW_GET(setting_number(o.alignment.dtw.weights.diagonal) + "," + setting_number(o.alignment.dtw.weights.down) + "," +
                   setting_number(o.alignment.dtw.weights.right));
    add(s);
  }
  NW_ALIGN_REAL("feature_rate", feature_rate, "Hz", "Feature frames per second", 10, 400)
  NW_ALIGN_INT("levels", dtw.levels, "Multiscale DTW levels", 1, 8)
  NW_ALIGN_INT("radius", dtw.radius, "Band radius around the coarser path, in frames", 1, 100000)
  NW_ALIGN_BOOL("onset_features", onset_features, "Chroma features only")  // the flag turns them off
  NW_ALIGN_INT("low_pitch_doublings", low_pitch_doublings,
               "Chroma of low pitches from windows up to 2^N times the STFT size, each the shortest that resolves "
               "its semitone (0: one window for all)", 0, 3)
  NW_ALIGN_REAL("silence_db", silence_db, "dB", "Audio frames this far below the loud level are silent (dB)", -120, 0)
  NW_ALIGN_REAL("silence_cost", silence_cost, "", "DTW cost of a silent audio frame against a sounding score frame", 0, 2)
  NW_ALIGN_REAL("breath_db", breath_db, "dB", "Audio frames this far below the level of the second around them are breaths (dB, 0: off)",
                0, 60)
  NW_ALIGN_REAL("soft_passage_seconds", soft_passage_seconds, "s",
                "A quiet stretch this long, clearly above the noise floor, is a soft passage, not silence (s, 0: off)", 0, 60)
  NW_ALIGN_REAL("entry_cost", entry_cost, "",
                "DTW cost of sound resuming after a pause away from the score's onsets, per frame (0: off)", 0, 100)
  NW_ALIGN_BOOL("refine", refine, "Keep the DTW path's onsets (no note-level refinement)")  // the flag turns it off
  NW_ALIGN_REAL("refine_window", refine_window, "s", "Refinement: seconds either side of the DTW estimate", 0, 5)
  NW_ALIGN_REAL("refine_prior", refine_prior, "", "Refinement: cost per second away from the DTW estimate", 0, HUGE_VAL)
  NW_ALIGN_REAL("refine_weight", refine_weight, "", "Refinement: how far the onset moves from the DTW estimate to the attack (0..1)",
                0, 1)
  NW_ALIGN_REAL("refine_tempo", refine_tempo, "", "Refinement: cost per second of inter-onset change", 0, HUGE_VAL)
  {
    Setting s = choice("per_voice", {"yes", "no"},
                       "Per-voice refinement: each part's notes moved on their own to their pitches' rise (yes, no)");
    s.group = SettingGroup::Common;
    s.commands = kAlign;
    s.set = NW_SET(o.alignment.per_voice = t == "yes");
    s.get = NW_GET(std::string(o.alignment.per_voice ? "yes" : "no"));
    add(s);
  }
  NW_ALIGN_REAL("voice_window", voice_window, "s", "Per-voice refinement: seconds either side of the event's time", 0, 1)
  NW_ALIGN_REAL("voice_prior", voice_prior, "", "Per-voice refinement: cost per second away from the event's time", 0, HUGE_VAL)
  NW_ALIGN_REAL("voice_weight", voice_weight, "",
                "Per-voice refinement: how far the onset moves from the event's time to the part's rise (0..1)", 0, 1)
  NW_ALIGN_REAL("voice_lead", voice_lead, "s", "Per-voice refinement: seconds the onset is placed before the rise", -0.1, 0.1)
  {
    Setting s = choice("excerpt", {"auto", "yes", "no"},
                       "Subsequence alignment (the recording plays a stretch of the score): auto (when the audio\n"
                       "lasts under 0.6 times the score), yes, no");
    s.group = SettingGroup::Common;
    s.commands = kAlign;
    s.set = NW_SET(o.alignment.subsequence = t == "yes"  ? AlignOptions::Subsequence::On
                                             : t == "no" ? AlignOptions::Subsequence::Off
                                                         : AlignOptions::Subsequence::Auto);
    s.get = NW_GET(std::string(o.alignment.subsequence == AlignOptions::Subsequence::On    ? "yes"
                               : o.alignment.subsequence == AlignOptions::Subsequence::Off ? "no"
                                                                                           : "auto"));
    add(s);
  }
#undef NW_ALIGN_REAL
#undef NW_ALIGN_INT
#undef NW_ALIGN_BOOL
}

std::vector<Setting> build() {
  const PipelineOptions d;  // the defaults: the tuned preset
  std::vector<Setting> table;
  auto add = [&](Setting s) {
    if (s.default_text.empty() && s.get) s.default_text = s.get(d);
    table.push_back(std::move(s));
  };

  {
    Setting s = choice("preset", {"tuned", "libfmp"},
                       "Starting values of the model options: tuned (measured best, docs/RESULTS.md) or libfmp\n"
                       "(the FMP notebooks' values: partial weights 1/m, onset window -0.3..+0.1 s, 0.5 s after offsets);\n"
                       "options given explicitly override the preset");
    s.default_text = "tuned";
    s.group = SettingGroup::Common;
    add(s);
  }
  {
    Setting s = choice("align", {"yes", "auto", "no"},
                       "Synchronise the score with the recording first (as 'notewise align'; a recording of an\n"
                       "excerpt is matched to its stretch of the score, the notes outside it left out).\n"
                       "{setting:align=auto} (the default; MusicXML: {setting:align}): only a score that does not fit the recording\n"
                       "as given (the check every run makes); one that matches the recording neither as given nor\n"
                       "aligned is refused (exit 1). {setting:align=no}: use the score as given, even one that does not fit");
    s.default_text = "auto";
    s.group = SettingGroup::Common;
    s.flag = "--align{yes}";  // a flag (yes) that takes a value
    s.report_key = "align_mode";
    s.set = NW_SET(o.align = t == "yes"; o.align_auto = t == "auto"; o.as_given = t == "no");
    s.get = NW_GET(std::string(o.align ? "yes" : o.as_given ? "no" : o.align_auto ? "auto" : "no"));
    add(s);
  }
  {
    Setting s;
    s.name = "groups";
    s.type = SettingType::List;
    s.help = "A group NAME=SELECTION (repeatable), e.g. melody='label==right && pitch>=72', rest=others.\n"
             "Fields: label pitch velocity start end duration index; && || ! ( ). Notes no group takes go to\n"
             "'rest'. Default: one group per label, named as the label is written";
    s.group = SettingGroup::Common;
    s.commands = kSeparate | kEdit;
    s.flag = "-g,--group";
    s.set = [](PipelineOptions& o, const std::string& t) { o.groups.push_back(parse_group_spec(t)); };
    add(s);
  }
  {
    Setting s = choice("timbre", {"auto", "shared", "per-label"},
                       "Templates per label or shared: per-label (each instrument its own timbre, e.g. a quartet),\n"
                       "shared (one template per pitch for all labels, e.g. the hands of a piano), or auto (per-label\n"
                       "unless every label is one keyboard or plucked instrument; the report says what it chose)");
    s.group = SettingGroup::Common;
    s.set = NW_SET(o.timbre = parse_timbre(t));
    s.get = NW_GET(timbre_name(o.timbre));
    add(s);
  }
  {
    Setting s;
    s.name = "instruments";
    s.type = SettingType::List;
    s.help = "LABEL=FAMILY (repeatable): the instrument of a label, for its model defaults (onset templates\n"
             "for struck and plucked ones; bands in cents for bowed, blown and sung ones). Families: " +
             family_names() + ".\nDefault: from the MIDI program, else the label's name, else a neutral model (with a warning)";
    s.group = SettingGroup::Common;
    s.flag = "--instrument";
    s.set = [](PipelineOptions& o, const std::string& spec) {
      const auto eq = spec.find('=');
      if (eq == std::string::npos || eq == 0 || eq + 1 == spec.size())
        throw InvalidArgument("{setting:instruments} " + spec + ": expected LABEL=FAMILY, e.g. violin=strings");
      o.instruments[spec.substr(0, eq)] = parse_family(spec.substr(eq + 1));
    };
    add(s);
  }
  {
    Setting s = choice("label_by", {"auto", "track", "channel", "program", "staff"},
                       "Labels of MIDI and MusicXML notes: track (MIDI track or MusicXML part names; equal names made\n"
                       "distinct: Piano, Piano 2), channel, program (GM instrument names), staff (MusicXML staves: a\n"
                       "piano's hands), or auto (track, but by channel where one MIDI track holds several, by staff\n"
                       "where one MusicXML part has several)");
    s.default_text = "auto";
    s.group = SettingGroup::Common;
    s.commands |= kAlign;
    add(s);  // read by the front ends with the score
  }
  {
    Setting s;
    s.name = "model";
    s.help = "A piano model trained by 'notewise nae train': its encoder gives the activations in one pass,\n"
             "then {setting:iterations} NMF iterations refine them (default here 10; 0: the encoder alone). The\n"
             "model's sample rate, FFT, hop and template/window options are used";
    s.group = SettingGroup::Common;
    s.commands = kSeparate | kDecompose;
    add(s);  // a folder the front ends read (io::read_piano_model)
  }
  {
    Setting s;
    s.name = "max_memory";
    s.unit = "bytes";
    s.help = "Refuse a run whose estimated peak memory exceeds SIZE (e.g. 8G, 500M), before any work;\n"
             "default: the memory the system has available (MemAvailable)";
    s.group = SettingGroup::Advanced;
    add(s);
  }
  {
    Setting s = number("pedal", SettingType::Bool, "", "MIDI: extend notes held by the sustain pedal (CC64)");
    s.default_text = "false";
    s.commands |= kAlign;
    add(s);
  }
  {
    // The library's bounds for any rate (PipelineOptions::validate, the resampler, io's audio).
    Setting s = number("sr", SettingType::Int, "Hz", "Analysis sample rate in Hz");
    range(s, 1000, 768000);
    s.report_key = "analysis_sample_rate";
    s.set = NW_SET(o.analysis_rate = static_cast<int>(to_int(t)));
    s.get = NW_GET(std::to_string(o.analysis_rate));
    add(s);
  }
  {
    Setting s = number("n_fft", SettingType::Int, "samples", "FFT size at the analysis rate");
    range(s, 16, 65536);
    s.set = NW_SET(o.model.stft.n_fft = static_cast<int>(to_int(t)));
    s.get = NW_GET(std::to_string(o.model.stft.n_fft));
    add(s);
  }
  {
    Setting s = number("hop", SettingType::Int, "samples", "Hop size at the analysis rate");
    range(s, 1, 32768);
    s.set = NW_SET(o.model.stft.hop = static_cast<int>(to_int(t)));
    s.get = NW_GET(std::to_string(o.model.stft.hop));
    add(s);
  }
  {
    Setting s = number("iterations", SettingType::Int, "", "NMF iterations (autoencoders: epochs)");
    range(s, 0, HUGE_VAL);
    s.group = SettingGroup::Common;
    s.flag = "-n,--iterations";
    s.set = NW_SET(o.model.decompose.nmf.max_iterations = static_cast<int>(to_int(t)));
    s.get = NW_GET(std::to_string(o.model.decompose.nmf.max_iterations));
    add(s);
  }
  {
    Setting s = number("loss", SettingType::Text, "", "NMF divergence: kl | euclidean | is | beta=B");
    s.set = NW_SET(nmf::parse_divergence(t, o.model.decompose.nmf));
    s.get = NW_GET(loss_text(o.model.decompose.nmf));
    add(s);
  }
  {
    Setting s = number("template_iterations", SettingType::Int, "",
                       "NMF: learn the templates in the first N iterations, then hold them while the activations\n"
                       "go on (0: learn them in every iteration)");
    range(s, 0, HUGE_VAL);
    s.set = NW_SET(o.model.decompose.template_iterations = static_cast<int>(to_int(t)));
    s.get = NW_GET(std::to_string(o.model.decompose.template_iterations));
    add(s);
  }
  {
    Setting s = number("rel_loss_tol", SettingType::Real, "",
                       "Stop early when an iteration lowers the loss by less than this fraction (0: never)");
    s.group = SettingGroup::Advanced;
    s.set = NW_SET(o.model.decompose.nmf.rel_loss_tol = to_real(t));
    s.get = NW_GET(setting_number(o.model.decompose.nmf.rel_loss_tol));
    add(s);
  }
  {
    Setting s = choice("method", {"nmf", "nae-mu", "nae-pgd", "nae-relu"},
                       "nmf | nae-mu | nae-pgd | nae-relu: NMF, or a nonnegative autoencoder trained by multiplicative\n"
                       "updates, projected gradients, or free-sign gradients (nonnegative through the ReLUs only);\n"
                       "the autoencoders minimise {setting:loss} (euclidean or kl; nae-pgd and nae-relu default to euclidean)\n"
                       "for {setting:iterations} epochs (default for them: 200)");
    s.group = SettingGroup::Common;
    s.set = NW_SET(o.model.decompose.method = t == "nae-mu"     ? Method::NaeMultiplicative
                                              : t == "nae-pgd"  ? Method::NaeProjectedGradient
                                              : t == "nae-relu" ? Method::NaeFreeGradient
                                                                : Method::Nmf);
    s.get = NW_GET(std::string(o.model.decompose.method == Method::NaeMultiplicative      ? "nae-mu"
                               : o.model.decompose.method == Method::NaeProjectedGradient ? "nae-pgd"
                               : o.model.decompose.method == Method::NaeFreeGradient      ? "nae-relu"
                                                                                          : "nmf"));
    add(s);
  }
  {
    Setting s = choice("nae_optimizer", {"auto", "lipschitz", "adam"},
                       "Gradient steps of nae-pgd and nae-relu: lipschitz (step 1.9/L; squared error only), adam,\n"
                       "or auto (lipschitz for euclidean, adam for kl)");
    s.default_text = "auto";  // resolved from the loss (resolve_settings)
    s.group = SettingGroup::Advanced;
    s.set = NW_SET(if (t != "auto") o.model.decompose.nae.optimizer = t == "adam" ? nae::Optimizer::Adam : nae::Optimizer::Lipschitz);
    s.get = NW_GET(std::string(o.model.decompose.nae.optimizer == nae::Optimizer::Adam ? "adam" : "lipschitz"));
    add(s);
  }
  {
    Setting s = choice("nae_start", {"templates", "nmf", "pinv", "random"},
                       "Autoencoder start: templates (decoder = the harmonic templates, encoder their scaled transpose),\n"
                       "nmf (decoder from 50 NMF iterations), pinv (encoder a clipped pseudo-inverse), random (seeded)");
    s.group = SettingGroup::Advanced;
    s.set = NW_SET(o.model.decompose.nae_start = t == "nmf"      ? NaeStart::Nmf
                                                 : t == "pinv"   ? NaeStart::PseudoInverse
                                                 : t == "random" ? NaeStart::Random
                                                                 : NaeStart::Templates);
    s.get = NW_GET(std::string(o.model.decompose.nae_start == NaeStart::Nmf             ? "nmf"
                               : o.model.decompose.nae_start == NaeStart::PseudoInverse ? "pinv"
                               : o.model.decompose.nae_start == NaeStart::Random        ? "random"
                                                                                        : "templates"));
    add(s);
  }
  {
    Setting s = number("nae_seed", SettingType::Int, "", "Seed of {setting:nae_start=random}");
    range(s, 0, HUGE_VAL);
    s.group = SettingGroup::Advanced;
    s.set = NW_SET(o.model.decompose.nae_seed = static_cast<std::uint64_t>(to_int(t)));
    s.get = NW_GET(std::to_string(o.model.decompose.nae_seed));
    add(s);
  }
  {
    Setting s = number("adam_rate", SettingType::Real, "",
                       "Adam's learning rate, relative to the RMS of the nonzero starting weights of each matrix");
    s.group = SettingGroup::Advanced;
    s.set = NW_SET(o.model.decompose.nae.adam_rate = to_real(t));
    s.get = NW_GET(setting_number(o.model.decompose.nae.adam_rate));
    add(s);
  }
  {
    Setting s = number("tolerance", SettingType::Real, "", "Template band around each partial, relative (+-)");
    s.set = NW_SET(o.model.decompose.constraints.tolerance = to_real(t));
    s.get = NW_GET(setting_number(o.model.decompose.constraints.tolerance));
    add(s);
  }
  {
    Setting s = number("tolerance_cents", SettingType::Real, "cents", "Template band in cents (overrides {setting:tolerance})");
    s.set = NW_SET(o.model.decompose.constraints.tolerance_cents = to_real(t));
    s.get = NW_GET(setting_number(o.model.decompose.constraints.tolerance_cents));
    add(s);
  }
  {
    Setting s = number("partials", SettingType::Int, "", "Partials per template (0: up to Nyquist)");
    s.set = NW_SET(o.model.decompose.constraints.partials = static_cast<int>(to_int(t)));
    s.get = NW_GET(std::to_string(o.model.decompose.constraints.partials));
    add(s);
  }
  {
    Setting s = number("inharmonicity", SettingType::Real, "", "Piano inharmonicity B: f_m = m f0 sqrt(1 + B m^2)");
    s.set = NW_SET(o.model.decompose.constraints.inharmonicity = to_real(t));
    s.get = NW_GET(setting_number(o.model.decompose.constraints.inharmonicity));
    add(s);
  }
  {
    Setting s = number("partial_power", SettingType::Real, "", "Initial partial weights 1/m^p");
    s.set = NW_SET(o.model.decompose.constraints.partial_power = to_real(t));
    s.get = NW_GET(setting_number(o.model.decompose.constraints.partial_power));
    add(s);
  }
  {
    Setting s = number("before", SettingType::Real, "s", "Activation allowed this long before each onset (s)");
    s.set = NW_SET(o.model.decompose.constraints.before = to_real(t));
    s.get = NW_GET(setting_number(o.model.decompose.constraints.before));
    add(s);
  }
  {
    Setting s = number("after", SettingType::Real, "s", "... and this long after each offset (s)");
    s.set = NW_SET(o.model.decompose.constraints.after = to_real(t));
    s.get = NW_GET(setting_number(o.model.decompose.constraints.after));
    add(s);
  }
  {
    Setting s = number("onsets", SettingType::Bool, "", "No onset templates");  // the flag turns them off
    s.report_key = "onset_templates";
    s.set = NW_SET(o.model.decompose.constraints.onset_templates = to_bool(t));
    s.get = NW_GET(bool_text(o.model.decompose.constraints.onset_templates));
    add(s);
  }
  {
    Setting s = number("onset_before", SettingType::Real, "s", "Onset template window before each onset (s)");
    s.set = NW_SET(o.model.decompose.constraints.onset_before = to_real(t));
    s.get = NW_GET(setting_number(o.model.decompose.constraints.onset_before));
    add(s);
  }
  {
    Setting s = number("onset_after", SettingType::Real, "s", "... and after it (s)");
    s.set = NW_SET(o.model.decompose.constraints.onset_after = to_real(t));
    s.get = NW_GET(setting_number(o.model.decompose.constraints.onset_after));
    add(s);
  }
  {
    Setting s = number("velocity_start", SettingType::Bool, "", "Start activations at velocity/127 instead of 1");
    s.flag = "--velocity-start,!--no-velocity-start";
    s.set = NW_SET(o.model.decompose.constraints.velocity_start = to_bool(t));
    s.get = NW_GET(bool_text(o.model.decompose.constraints.velocity_start));
    add(s);
  }
  {
    Setting s = choice("nmf_path", {"auto", "dense", "sparse"}, "NMF implementation: auto | dense | sparse (same result; speed differs)");
    s.group = SettingGroup::Advanced;
    s.set = NW_SET(o.model.decompose.nmf.path = t == "dense" ? nmf::Path::Dense : t == "sparse" ? nmf::Path::Sparse : nmf::Path::Auto);
    s.get = NW_GET(std::string(o.model.decompose.nmf.path == nmf::Path::Dense    ? "dense"
                               : o.model.decompose.nmf.path == nmf::Path::Sparse ? "sparse"
                                                                                 : "auto"));
    add(s);
  }
  {
    Setting s = number("template_constraints", SettingType::Bool, "", "Ablation: templates start random and unconstrained");
    s.group = SettingGroup::Research;
    s.report_key = "constrain_templates";
    s.set = NW_SET(o.model.decompose.constraints.constrain_templates = to_bool(t));
    s.get = NW_GET(bool_text(o.model.decompose.constraints.constrain_templates));
    add(s);
  }
  {
    Setting s = number("activation_constraints", SettingType::Bool, "", "Ablation: activations allowed in every frame");
    s.group = SettingGroup::Research;
    s.report_key = "constrain_activations";
    s.set = NW_SET(o.model.decompose.constraints.constrain_activations = to_bool(t));
    s.get = NW_GET(bool_text(o.model.decompose.constraints.constrain_activations));
    add(s);
  }
  {
    Setting s = number("alpha", SettingType::Real, "",
                       "Mask exponent: 1 magnitude ratio, 2 Wiener-like; 0 by instrument: 1 if a label is bowed,\n"
                       "blown or sung, else 2 (measured, docs/RESULTS.md)");
    range(s, 0, 10);
    s.set = NW_SET(o.model.alpha = to_real(t));
    s.get = NW_GET(setting_number(o.model.alpha));
    add(s);
  }
  {
    Setting s = choice("drums", {"classes", "kit", "ignore"}, "Drum notes: classes (a stem per drum class) | kit (one stem 'drums') | ignore");
    s.commands = kSeparate;  // decompose and edit leave drum notes out (their rows and gains: pitched groups)
    s.set = NW_SET(o.drums = t == "kit" ? PipelineOptions::Drums::Kit : t == "ignore" ? PipelineOptions::Drums::Ignore
                                                                                     : PipelineOptions::Drums::Classes);
    s.get = NW_GET(std::string(o.drums == PipelineOptions::Drums::Kit      ? "kit"
                               : o.drums == PipelineOptions::Drums::Ignore ? "ignore"
                                                                           : "classes"));
    add(s);
  }
  {
    Setting s = choice("spectrogram", {"auto", "memory", "disk"},
                       "Where the spectrogram V lives during the NMF: memory; disk (a temporary file without a name in\n"
                       "the output folder, read back a segment at a time, so that memory does not grow with V: 1.27 GB\n"
                       "an hour at the defaults); auto: disk when V exceeds 512 MB (about 24 minutes) or the run would\n"
                       "not fit in memory otherwise. Needs {setting:loss=kl} (the default) and NMF");
    s.default_text = "auto";
    s.group = SettingGroup::Advanced;
    add(s);  // decided where the recording is read (a file's length and header)
  }
  add_align_settings(add);
  return table;
}

#undef NW_GET
#undef NW_SET

}  // namespace

std::string setting_number(double v) {
  // Whole numbers in full ("100000", where the shortest form is "1e+05"), as help texts show them.
  if (std::abs(v) < 1e15 && v == std::floor(v)) return std::to_string(static_cast<long long>(v));
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

namespace {
std::string s_numbers_rule(int numbers) {
  return numbers > 0 ? std::to_string(numbers) + " numbers separated by commas" : "text";
}
}  // namespace

std::string Setting::rule() const {
  switch (type) {
    case SettingType::Int:
    case SettingType::Real:
      if (!has_range) return type == SettingType::Int ? "a whole number" : "a finite number";
      if (std::isinf(max)) return (type == SettingType::Int ? "a whole number >= " : "a number >= ") + setting_number(min);
      return (type == SettingType::Int ? "a whole number in " : "a number in ") + setting_number(min) + " .. " +
             setting_number(max) + (unit.empty() ? "" : " " + unit);
    case SettingType::Bool:
      return "true or false";
    case SettingType::Text:
      return s_numbers_rule(numbers);
    case SettingType::Choice: {
      std::string r = "one of ";
      for (std::size_t i = 0; i < choices.size(); ++i) r += (i ? ", " : "") + choices[i];
      return r;
    }
    default:
      return "text";
  }
}

const std::vector<Setting>& settings() {
  static const std::vector<Setting> table = build();
  return table;
}

const std::vector<Setting>& front_end_options() {
  static const std::vector<Setting> options = [] {
    std::vector<Setting> v;
    for (const char* name : {"out", "force", "no_report", "no_mix_copy", "mute"}) {
      Setting s;
      s.name = name;
      s.commands = 0;
      v.push_back(s);
    }
    return v;
  }();
  return options;
}

const Setting* find_setting(std::string_view name) {
  for (const auto& s : settings())
    if (s.name == name) return &s;
  return nullptr;
}

const Setting& setting(std::string_view name) {
  const Setting* s = find_setting(name);
  if (s == nullptr) throw InvalidArgument("unknown setting " + std::string(name));
  return *s;
}

void check_setting(const Setting& s, const std::string& text) {
  auto fail = [&] { throw InvalidArgument(s.name + " = " + text + ": must be " + s.rule()); };
  try {
    switch (s.type) {
      case SettingType::Int: {
        const double v = static_cast<double>(to_int(text));
        if (s.has_range && (v < s.min || v > s.max)) fail();
        break;
      }
      case SettingType::Real: {
        const double v = to_real(text);
        if (s.has_range && (v < s.min || v > s.max)) fail();
        break;
      }
      case SettingType::Bool:
        to_bool(text);
        break;
      case SettingType::Choice:
        if (std::find(s.choices.begin(), s.choices.end(), text) == s.choices.end()) fail();
        break;
      case SettingType::Text:
        if (s.numbers > 0 && setting_numbers(text).size() != static_cast<std::size_t>(s.numbers)) fail();
        break;
      default:
        break;
    }
  } catch (const InvalidArgument&) {
    fail();
  }
}

void SettingValues::set(const std::string& name, const std::string& text, bool explicit_) {
  check_setting(setting(name), text);
  values[name] = {text};
  if (explicit_) given.insert(name);
}

void SettingValues::set_list(const std::string& name, std::vector<std::string> texts, bool explicit_) {
  setting(name);
  values[name] = std::move(texts);
  if (explicit_) given.insert(name);
}

std::string SettingValues::text(const std::string& name) const {
  const auto it = values.find(name);
  if (it != values.end() && !it->second.empty()) return it->second.front();
  return setting(name).default_text;
}

std::vector<std::string> SettingValues::list(const std::string& name) const {
  const auto it = values.find(name);
  return it == values.end() ? std::vector<std::string>{} : it->second;
}

PipelineOptions resolve_settings(const SettingValues& v) {
  const bool libfmp = v.text("preset") == "libfmp";
  PipelineOptions o = libfmp ? PipelineOptions::libfmp() : PipelineOptions{};
  for (const Setting& s : settings()) {
    if (!s.set || !v.has(s.name)) continue;
    for (const auto& text : v.list(s.name)) {
      if (s.type != SettingType::List) check_setting(s, text);
      s.set(o, text);
    }
  }
  const std::string method = v.text("method");
  // The autoencoders approach their best separation more slowly than NMF: 200 epochs unless
  // iterations is given (measured, docs/RESULTS.md).
  if (method != "nmf" && !v.has("iterations")) o.model.decompose.nmf.max_iterations = 200;
  // The gradient-trained autoencoders take Lipschitz steps, which need the squared error; with
  // KL they need Adam and separated far worse (docs/RESULTS.md). So they default to euclidean.
  if ((method == "nae-pgd" || method == "nae-relu") && !v.has("loss")) nmf::parse_divergence("euclidean", o.model.decompose.nmf);
  if (v.text("nae_optimizer") == "auto")
    o.model.decompose.nae.optimizer = o.model.decompose.nmf.divergence == nmf::Divergence::KullbackLeibler
                                          ? nae::Optimizer::Adam
                                          : nae::Optimizer::Lipschitz;
  // The libfmp preset is the FMP notebooks' model: the same band and onsets for every note; an
  // explicitly given option replaces the sources' own defaults too.
  o.overrides.band = libfmp || v.was_given("tolerance") || v.was_given("tolerance_cents");
  o.overrides.partials = libfmp || v.was_given("partials");
  o.overrides.onsets = libfmp;
  o.overrides.after = libfmp || v.was_given("after");
  o.validate();
  return o;
}

void use_piano_model(PipelineOptions& o, std::shared_ptr<const PianoModel> model, const SettingValues& v) {
  const Geometry& g = model->geometry;
  if (o.model.decompose.method != Method::Nmf)
    throw InvalidArgument("{setting:model} is refined by NMF; it cannot be combined with {setting:method=" + v.text("method") + "}");
  auto clash = [&](const char* name, double given, double model_value) {
    if (v.was_given(name) && given != model_value)
      throw InvalidArgument(std::string("{setting:") + name + "} " + std::to_string(given) + " contradicts the model's " +
                            std::to_string(model_value) + " (" + v.text("model") + "/model.json)");
  };
  clash("sr", o.analysis_rate, g.sample_rate);
  clash("n_fft", o.model.stft.n_fft, g.n_fft);
  clash("hop", o.model.stft.hop, g.hop);
  o.analysis_rate = static_cast<int>(g.sample_rate);
  o.model.stft.n_fft = g.n_fft;
  o.model.stft.hop = g.hop;
  o.model.decompose.constraints = model->constraints;
  if (!v.has("iterations")) o.model.decompose.nmf.max_iterations = 10;
  o.model.decompose.pretrained = std::move(model);
}

SettingValues settings_of(const PipelineOptions& o, const SettingValues& given) {
  SettingValues r;
  r.given = given.given;
  for (const Setting& s : settings()) {
    if (s.type == SettingType::List) r.values[s.name] = given.list(s.name);
    else if (s.get) r.values[s.name] = {s.get(o)};
    else r.values[s.name] = {given.text(s.name)};
  }
  return r;
}

std::string render_setting_names(const std::string& text,
                                 const std::function<std::string(const Setting&, const std::string&)>& spell) {
  static const std::string open = "{setting:";
  std::string out;
  std::size_t pos = 0;
  while (true) {
    const std::size_t at = text.find(open, pos);
    const std::size_t end = at == std::string::npos ? at : text.find('}', at);
    if (end == std::string::npos) return out + text.substr(pos);
    const std::string inner = text.substr(at + open.size(), end - at - open.size());
    const auto eq = inner.find('=');
    const Setting* s = find_setting(inner.substr(0, eq));
    if (s == nullptr)
      for (const Setting& f : front_end_options())
        if (f.name == inner.substr(0, eq)) s = &f;
    out += text.substr(pos, at - pos);
    out += s ? spell(*s, eq == std::string::npos ? std::string() : inner.substr(eq + 1)) : inner;
    pos = end + 1;
  }
}

}  // namespace notewise
