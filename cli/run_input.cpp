#include "run_input.hpp"

#include "help.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>

#include "notewise/core/error.hpp"
#include "notewise/io/model_io.hpp"
#include "notewise/pipeline/memory.hpp"
#include "progress.hpp"
#include "run_groups.hpp"

namespace notewise::cli {

void set_divergence(const std::string& s, nmf::Options& o) {
  try {
    nmf::parse_divergence(s, o);
  } catch (const InvalidArgument& e) {
    throw InvalidArgument(std::string("--") + e.what());
  }
}

void ModelArgs::add_spectrogram_option(CLI::App& cmd) {
  cmd.add_option("--spectrogram", spectrogram,
                 "Where the spectrogram V lives during the NMF: memory; disk (a temporary file without a name in\n"
                 "the output folder, read back a segment at a time, so that memory does not grow with V: 1.27 GB\n"
                 "an hour at the defaults); auto: disk when V exceeds 512 MB (about 24 minutes) or the run would\n"
                 "not fit in memory otherwise. Needs --loss kl (the default) and NMF")
      ->capture_default_str()->check(CLI::IsMember({"auto", "memory", "disk"}))->group("Advanced");
}

void ModelArgs::add_to(CLI::App& cmd, bool with_groups, bool with_model, bool with_score) {
  auto& c = options.decompose.constraints;
  this->cmd = &cmd;
  const std::size_t first = cmd.get_options().size();
  cmd.add_option("--preset", preset,
                 "Starting values of the model options: tuned (measured best, docs/RESULTS.md) or libfmp\n"
                 "(the FMP notebooks' values: partial weights 1/m, onset window -0.3..+0.1 s, 0.5 s after offsets);\n"
                 "options given explicitly override the preset")
      ->capture_default_str()->check(CLI::IsMember({"tuned", "libfmp"}));
  if (with_score) {
    cmd.add_option("-s,--score", score, "Score of the recording: a table (.csv .tsv .txt: start, duration or end, pitch, [velocity],\n"
                   "[label]; header optional), MIDI (.mid) or MusicXML (.musicxml .xml .mxl; aligned unless --align=no)")
        ->required();
    cmd.add_flag("--align{yes}", align_mode,
                 "Synchronise the score with the recording first (as 'notewise align'; a recording of an\n"
                 "excerpt is matched to its stretch of the score, the notes outside it left out).\n"
                 "--align=auto (the default; MusicXML: --align): only a score that does not fit the recording\n"
                 "as given (the check every run makes); one that matches the recording neither as given nor\n"
                 "aligned is refused (exit 1). --align=no: use the score as given, even one that does not fit")
        ->check(CLI::IsMember({"yes", "auto", "no"}));
  }
  if (with_groups)
    cmd.add_option("-g,--group", groups,
                   "A group NAME=SELECTION (repeatable), e.g. melody='label==right && pitch>=72', rest=others.\n"
                   "Fields: label pitch velocity start end duration index; && || ! ( ). Notes no group takes go to\n"
                   "'rest'. Default: one group per label, named as the label is written");
  cmd.add_option("--timbre", timbre,
                 "Templates per label or shared: per-label (each instrument its own timbre, e.g. a quartet),\n"
                 "shared (one template per pitch for all labels, e.g. the hands of a piano), or auto (per-label\n"
                 "unless every label is one keyboard or plucked instrument; the report says what it chose)")
      ->capture_default_str()->check(CLI::IsMember({"auto", "shared", "per-label"}));
  cmd.add_option("--instrument", instruments,
                 "LABEL=FAMILY (repeatable): the instrument of a label, for its model defaults (onset templates\n"
                 "for struck and plucked ones; bands in cents for bowed, blown and sung ones). Families: " +
                     family_names() + ".\nDefault: from the MIDI program, else the label's name, else piano");
  cmd.add_option("--label-by", label_by,
                 "Labels of MIDI and MusicXML notes: track (MIDI track or MusicXML part names; equal names made\n"
                 "distinct: Piano, Piano 2), channel, program (GM instrument names), staff (MusicXML staves: a\n"
                 "piano's hands), or auto (track, but by channel where one MIDI track holds several, by staff\n"
                 "where one MusicXML part has several)")
      ->capture_default_str()->check(CLI::IsMember({"auto", "track", "channel", "program", "staff"}));
  if (with_model)
    cmd.add_option("--model", model,
                   "A piano model trained by 'notewise nae train': its encoder gives the activations in one pass,\n"
                   "then --iterations NMF iterations refine them (default here 10; 0: the encoder alone). The\n"
                   "model's sample rate, FFT, hop and template/window options are used")
        ->check(CLI::ExistingDirectory);
  cmd.add_option("--max-memory", max_memory,
                 "Refuse a run whose estimated peak memory exceeds SIZE (e.g. 8G, 500M), before any work;\n"
                 "default: the memory the system has available (MemAvailable)")
      ->group("Advanced");
  cmd.add_flag("--pedal", pedal, "MIDI: extend notes held by the sustain pedal (CC64)");
  cmd.add_option("--sr", rate, "Analysis sample rate in Hz")->capture_default_str()->check(CLI::Range(4000, 192000));
  cmd.add_option("--n-fft", options.stft.n_fft, "FFT size at the analysis rate")->capture_default_str()->check(CLI::Range(16, 65536));
  cmd.add_option("--hop", options.stft.hop, "Hop size at the analysis rate")->capture_default_str()->check(CLI::Range(1, 32768));
  cmd.add_option("-n,--iterations", options.decompose.nmf.max_iterations, "NMF iterations (autoencoders: epochs)")->capture_default_str();
  cmd.add_option("--loss", loss, "NMF divergence: kl | euclidean | is | beta=B")->capture_default_str();
  cmd.add_option("--template-iterations", options.decompose.template_iterations,
                 "NMF: learn the templates in the first N iterations, then hold them while the activations\n"
                 "go on (0: learn them in every iteration)")
      ->capture_default_str();
  cmd.add_option("--rel-loss-tol", options.decompose.nmf.rel_loss_tol,
                 "Stop early when an iteration lowers the loss by less than this fraction (0: never)")
      ->capture_default_str()->group("Advanced");
  cmd.add_option("--method", method,
                 "nmf | nae-mu | nae-pgd | nae-relu: NMF, or a nonnegative autoencoder trained by multiplicative\n"
                 "updates, projected gradients, or free-sign gradients (nonnegative through the ReLUs only);\n"
                 "the autoencoders minimise --loss (euclidean or kl; nae-pgd and nae-relu default to euclidean)\n"
                 "for --iterations epochs (default for them: " + std::to_string(nae_epochs) + ")")
      ->capture_default_str()->check(CLI::IsMember({"nmf", "nae-mu", "nae-pgd", "nae-relu"}));
  cmd.add_option("--nae-optimizer", nae_optimizer,
                 "Gradient steps of nae-pgd and nae-relu: lipschitz (step 1.9/L; squared error only), adam,\n"
                 "or auto (lipschitz for euclidean, adam for kl)")
      ->capture_default_str()->check(CLI::IsMember({"auto", "lipschitz", "adam"}))->group("Advanced");
  cmd.add_option("--nae-start", nae_start,
                 "Autoencoder start: templates (decoder = the harmonic templates, encoder their scaled transpose),\n"
                 "nmf (decoder from 50 NMF iterations), pinv (encoder a clipped pseudo-inverse), random (seeded)")
      ->capture_default_str()->check(CLI::IsMember({"templates", "nmf", "pinv", "random"}))->group("Advanced");
  cmd.add_option("--nae-seed", options.decompose.nae_seed, "Seed of --nae-start random")->capture_default_str()->group("Advanced");
  cmd.add_option("--adam-rate", options.decompose.nae.adam_rate,
                 "Adam's learning rate, relative to the RMS of the nonzero starting weights of each matrix")
      ->capture_default_str()->group("Advanced");
  cmd.add_option("--tolerance", c.tolerance, "Template band around each partial, relative (+-)")->capture_default_str();
  cmd.add_option("--tolerance-cents", c.tolerance_cents, "Template band in cents (overrides --tolerance)");
  cmd.add_option("--partials", c.partials, "Partials per template (0: up to Nyquist)")->capture_default_str();
  cmd.add_option("--inharmonicity", c.inharmonicity, "Piano inharmonicity B: f_m = m f0 sqrt(1 + B m^2)")->capture_default_str();
  cmd.add_option("--partial-power", c.partial_power, "Initial partial weights 1/m^p")->capture_default_str();
  cmd.add_option("--before", c.before, "Activation allowed this long before each onset (s)")->capture_default_str();
  cmd.add_option("--after", c.after, "... and this long after each offset (s)")->capture_default_str();
  cmd.add_flag("--no-onsets", no_onsets, "No onset templates");
  cmd.add_option("--onset-before", c.onset_before, "Onset template window before each onset (s)")->capture_default_str();
  cmd.add_option("--onset-after", c.onset_after, "... and after it (s)")->capture_default_str();
  cmd.add_flag("--velocity-start,!--no-velocity-start", c.velocity_start, "Start activations at velocity/127 instead of 1");
  cmd.add_option("--nmf-path", path, "NMF implementation: auto | dense | sparse (same result; speed differs)")
      ->capture_default_str()->check(CLI::IsMember({"auto", "dense", "sparse"}))->group("Advanced");
  cmd.add_flag("!--no-template-constraints", c.constrain_templates, "Ablation: templates start random and unconstrained")
      ->group("Ablation");
  cmd.add_flag("!--no-activation-constraints", c.constrain_activations, "Ablation: activations allowed in every frame")
      ->group("Ablation");
  cmd.add_option("--alpha", options.alpha,
                 "Mask exponent: 1 magnitude ratio, 2 Wiener-like; 0 by instrument: 1 if a label is bowed,\n"
                 "blown or sung, else 2 (measured, docs/RESULTS.md)")->capture_default_str();
  // Help: the options most runs touch in one group; the many model details only with --help-all.
  static const std::vector<std::string> common{"--score", "--align", "--group", "--method", "--timbre", "--instrument",
                                               "--iterations", "--model", "--label-by", "--preset"};
  const std::vector<CLI::Option*> all = cmd.get_options();
  for (std::size_t i = first; i < all.size(); ++i) {
    const bool is_common = std::any_of(common.begin(), common.end(), [&](const std::string& n) { return all[i]->check_lname(n.substr(2)); });
    const std::string g = all[i]->get_group();  // "Options", or a group of its own (Advanced, Ablation)
    all[i]->group(is_common ? std::string(kCommonModelGroup) : g == "Options" ? std::string(kModelGroup) : g);
  }
}

void ModelArgs::finish() {
  if (!align_mode.empty()) {
    align = align_mode == "yes";
    align_auto = align_mode == "auto";
    as_given = align_mode == "no";
  } else if (io::is_musicxml_path(score)) {
    // A notation program's score has the score's times, not the recording's: align it unless
    // told otherwise (--align=no).
    align = true;
    align_by_default = true;
  }
  if (preset == "libfmp" && cmd != nullptr) {
    // Only the options the user did not give take the libfmp values (the ones tuned() changes).
    const SeparationOptions plain = PipelineOptions::libfmp().model;
    const ConstraintOptions& pc = plain.decompose.constraints;
    auto& c = options.decompose.constraints;
    if (cmd->count("--partial-power") == 0) c.partial_power = pc.partial_power;
    if (cmd->count("--onset-before") == 0) c.onset_before = pc.onset_before;
    if (cmd->count("--after") == 0) c.after = pc.after;
    if (cmd->count("--template-iterations") == 0) options.decompose.template_iterations = plain.decompose.template_iterations;
  }
  // The autoencoders approach their best separation more slowly than NMF: 200 epochs unless
  // --iterations is given (measured, docs/RESULTS.md).
  if (method != "nmf" && cmd != nullptr && cmd->count("--iterations") == 0) options.decompose.nmf.max_iterations = nae_epochs;
  // The gradient-trained autoencoders take Lipschitz steps, which need the squared error; with
  // KL they need Adam and separated far worse (docs/RESULTS.md). So they default to euclidean.
  if ((method == "nae-pgd" || method == "nae-relu") && cmd != nullptr && cmd->count("--loss") == 0) loss = "euclidean";
  if (preset == "libfmp" && cmd != nullptr && cmd->count("--timbre") == 0) timbre = "shared";
  if (cmd != nullptr) {
    explicit_band = cmd->count("--tolerance") > 0 || cmd->count("--tolerance-cents") > 0;
    explicit_partials = cmd->count("--partials") > 0;
  }
  for (const auto& spec : instruments) {
    const auto eq = spec.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == spec.size())
      throw InvalidArgument("--instrument " + spec + ": expected LABEL=FAMILY, e.g. violin=strings");
    parse_family(spec.substr(eq + 1));
  }
  auto& o = options.decompose.nmf;
  set_divergence(loss, o);
  options.decompose.constraints.onset_templates = !no_onsets;
  o.path = path == "dense" ? nmf::Path::Dense : path == "sparse" ? nmf::Path::Sparse : nmf::Path::Auto;
  options.decompose.method = method == "nae-mu"     ? Method::NaeMultiplicative
                             : method == "nae-pgd"  ? Method::NaeProjectedGradient
                             : method == "nae-relu" ? Method::NaeFreeGradient
                                                    : Method::Nmf;
  options.decompose.nae_start = nae_start == "nmf"      ? NaeStart::Nmf
                                : nae_start == "pinv"   ? NaeStart::PseudoInverse
                                : nae_start == "random" ? NaeStart::Random
                                                        : NaeStart::Templates;
  const bool kl = o.divergence == nmf::Divergence::KullbackLeibler;
  options.decompose.nae.optimizer = nae_optimizer == "adam" || (nae_optimizer == "auto" && kl) ? nae::Optimizer::Adam
                                                                                                 : nae::Optimizer::Lipschitz;
  options.validate();
  for (const auto& g : groups) {
    try {
      const GroupSpec spec = parse_group_spec(g);
      if (spec.selection != "others") parse_selection(spec.selection);
    } catch (const InvalidArgument& e) {
      throw InvalidArgument(std::string("--group: ") + e.what());
    }
  }
}

void ModelArgs::prepare() {
  validate_options([&] { finish(); });
  if (model.empty()) return;
  auto m = std::make_shared<PianoModel>(io::read_piano_model(model));
  const Geometry& g = m->geometry;
  validate_options([&] {
    if (options.decompose.method != Method::Nmf)
      throw InvalidArgument("--model is refined by NMF; it cannot be combined with --method " + method);
    auto clash = [&](const char* flag, double given, double model_value) {
      if (cmd != nullptr && cmd->count(flag) > 0 && given != model_value)
        throw InvalidArgument(std::string(flag) + " " + std::to_string(given) + " contradicts the model's " +
                              std::to_string(model_value) + " (" + model + "/model.json)");
    };
    clash("--sr", rate, g.sample_rate);
    clash("--n-fft", options.stft.n_fft, g.n_fft);
    clash("--hop", options.stft.hop, g.hop);
  });
  rate = static_cast<int>(g.sample_rate);
  options.stft.n_fft = g.n_fft;
  options.stft.hop = g.hop;
  options.decompose.constraints = m->constraints;
  if (cmd != nullptr && cmd->count("--iterations") == 0) options.decompose.nmf.max_iterations = 10;
  options.decompose.pretrained = std::move(m);
}

nlohmann::json ModelArgs::to_json() const {
  const auto& c = options.decompose.constraints;
  return {{"preset", preset},
          {"score", score},
          {"label_by", label_by},
          {"pedal", pedal},
          {"analysis_sample_rate", rate},
          {"n_fft", options.stft.n_fft},
          {"hop", options.stft.hop},
          {"iterations", options.decompose.nmf.max_iterations},
          {"rel_loss_tol", options.decompose.nmf.rel_loss_tol},
          {"template_iterations", options.decompose.template_iterations},
          {"loss", loss},
          {"tolerance", c.tolerance},
          {"tolerance_cents", c.tolerance_cents},
          {"partials", c.partials},
          {"inharmonicity", c.inharmonicity},
          {"partial_power", c.partial_power},
          {"before", c.before},
          {"after", c.after},
          {"onset_templates", c.onset_templates},
          {"onset_before", c.onset_before},
          {"onset_after", c.onset_after},
          {"velocity_start", c.velocity_start},
          {"constrain_templates", c.constrain_templates},
          {"constrain_activations", c.constrain_activations},
          {"alpha", options.alpha},
          {"alpha_used", mask_alpha(options)},
          {"align", align},
          {"align_mode", align ? "yes" : as_given ? "no" : align_auto ? "auto" : "refuse"},
          {"nmf_path", path},
          {"method", method},
          {"nae_optimizer", nae_optimizer},
          {"nae_start", nae_start},
          {"nae_seed", options.decompose.nae_seed},
          {"model", model},
          {"adam_rate", options.decompose.nae.adam_rate},
          {"groups", groups},
          {"drums", drums},
          {"timbre", timbre},
          {"instruments", instruments},
          {"explicit_band", explicit_band},
          {"explicit_partials", explicit_partials}};
}

ModelArgs ModelArgs::from_json(const nlohmann::json& j) {
  ModelArgs m;
  auto& c = m.options.decompose.constraints;
  m.preset = "custom";  // every value below is explicit
  m.score = j.at("score").get<std::string>();
  m.label_by = j.value("label_by", m.label_by);
  m.pedal = j.value("pedal", m.pedal);
  m.rate = j.value("analysis_sample_rate", m.rate);
  m.options.stft.n_fft = j.value("n_fft", m.options.stft.n_fft);
  m.options.stft.hop = j.value("hop", m.options.stft.hop);
  m.options.decompose.nmf.max_iterations = j.value("iterations", m.options.decompose.nmf.max_iterations);
  m.options.decompose.nmf.rel_loss_tol = j.value("rel_loss_tol", m.options.decompose.nmf.rel_loss_tol);
  m.options.decompose.template_iterations = j.value("template_iterations", 0);
  m.loss = j.value("loss", m.loss);
  c.tolerance = j.value("tolerance", c.tolerance);
  c.tolerance_cents = j.value("tolerance_cents", c.tolerance_cents);
  c.partials = j.value("partials", c.partials);
  c.inharmonicity = j.value("inharmonicity", c.inharmonicity);
  c.partial_power = j.value("partial_power", c.partial_power);
  c.before = j.value("before", c.before);
  c.after = j.value("after", c.after);
  m.no_onsets = !j.value("onset_templates", true);
  c.onset_before = j.value("onset_before", c.onset_before);
  c.onset_after = j.value("onset_after", c.onset_after);
  c.velocity_start = j.value("velocity_start", c.velocity_start);
  c.constrain_templates = j.value("constrain_templates", true);
  c.constrain_activations = j.value("constrain_activations", true);
  m.options.alpha = j.value("alpha", 2.0);  // runs before the choice by instrument used 2
  m.path = j.value("nmf_path", m.path);
  m.align = j.value("align", false);
  // A run is replayed as it ran: one without align_mode (before --align=auto) used its score as given.
  m.align_auto = j.value("align_mode", std::string()) == "auto";
  m.as_given = !m.align && !m.align_auto;
  m.method = j.value("method", m.method);
  m.nae_optimizer = j.value("nae_optimizer", m.nae_optimizer);
  m.nae_start = j.value("nae_start", m.nae_start);
  m.options.decompose.nae_seed = j.value("nae_seed", m.options.decompose.nae_seed);
  m.model = j.value("model", m.model);
  m.options.decompose.nae.adam_rate = j.value("adam_rate", m.options.decompose.nae.adam_rate);
  m.groups = j.value("groups", std::vector<std::string>{});
  m.drums = j.value("drums", std::string("ignore"));  // runs before drums were modelled left them out
  m.timbre = j.value("timbre", std::string("shared"));  // runs before per-label timbre were shared
  m.instruments = j.value("instruments", std::vector<std::string>{});
  m.explicit_band = j.value("explicit_band", false);
  m.explicit_partials = j.value("explicit_partials", false);
  return m;
}

void require_piano_range(const Score& score, const std::string& path, const std::string& what) {
  for (int p : score.pitches())
    if (p < PianoModel::kLowest || p > PianoModel::kHighest)
      throw ParseError(path, 0, "pitch " + std::to_string(p) + " is outside the range of " + what + " (" +
                                    std::to_string(PianoModel::kLowest) + " .. " + std::to_string(PianoModel::kHighest) + ")");
}

PipelineOptions ModelArgs::pipeline_options(const std::string& audio_name) const {
  PipelineOptions p;
  p.model = options;
  p.analysis_rate = rate;
  p.align = align;
  p.align_auto = align_auto;
  p.as_given = as_given;
  p.timbre = parse_timbre(timbre);
  for (const auto& spec : instruments) {
    const auto eq = spec.find('=');
    p.instruments[spec.substr(0, eq)] = parse_family(spec.substr(eq + 1));
  }
  // The libfmp preset is the FMP notebooks' model: the same band and onsets for every note.
  const bool libfmp = preset == "libfmp";
  p.overrides.band = libfmp || explicit_band;
  p.overrides.partials = libfmp || explicit_partials;
  p.overrides.onsets = libfmp;
  p.overrides.after = libfmp || (cmd != nullptr && cmd->count("--after") > 0);
  for (const auto& g : groups) p.groups.push_back(parse_group_spec(g));
  p.drums = drums == "classes" ? PipelineOptions::Drums::Classes : drums == "kit" ? PipelineOptions::Drums::Kit
                                                                                  : PipelineOptions::Drums::Ignore;
  p.audio_name = audio_name;
  p.score_name = score;
  return p;
}

std::string mismatch_advice(const ScoreMismatch& e) {
  const std::string head = e.score_name() + " does not fit " + e.audio_name();
  switch (e.kind()) {
    case ScoreMismatch::Kind::NotAlignable:
      return head + " and cannot be aligned to it (" + e.problem() + "): is it the score of this recording? --align=no uses it as given";
    case ScoreMismatch::Kind::NoMatch:
      return head + " as given (" + e.problem() + "), nor aligned (" + e.alignment_problem() +
             "): is it the score of this recording? --align aligns it all the same, --align=no uses it as given";
    case ScoreMismatch::Kind::NotSynchronised:
    default:
      return head + " (" + e.problem() + "): use --align to synchronise it, or --align=no to use it as given";
  }
}

io::MidiOptions ModelArgs::midi_options() const {
  io::MidiOptions mo;
  mo.label_by = io::parse_label_by(label_by);
  mo.sustain_pedal = pedal;
  return mo;
}

namespace {

// /proc/meminfo's MemAvailable in bytes; 0 where it cannot be read (then nothing is refused).
double memory_available() {
  std::ifstream in("/proc/meminfo");
  std::string key, unit;
  double kb = 0;
  while (in >> key >> kb >> unit)
    if (key == "MemAvailable:") return kb * 1024;
  return 0;
}

// Auto keeps V in memory up to this size (about 24 minutes at the defaults) and puts it on disk
// above, where memory would otherwise grow with the recording. On disk the NMF reads V through
// a mapping of the page cache, within a few per cent of its time in memory (docs/PERFORMANCE.md);
// short runs keep it in memory all the same, so that nothing touches the disk for them.
constexpr double kSpectrogramInMemory = 512e6;

// The honest limit: a run that cannot fit stops here, before the audio is decoded or any
// output is written, instead of being killed by the kernel half-way. Returns whether V goes to
// disk (can_spill: the command streams and its options allow it).
bool check_memory(const std::string& audio_path, const Score& score, const PipelineOptions& po, const ModelArgs& m,
                  bool resynthesise, bool streamed, bool can_spill) {
  double limit = 0;
  std::string source = "MemAvailable";
  if (!m.max_memory.empty()) {
    validate_options([&] {
      try {
        limit = parse_bytes(m.max_memory);
      } catch (const InvalidArgument& e) {
        throw InvalidArgument(std::string("--max-memory ") + e.what());
      }
    });
    source = "--max-memory";
  } else {
    limit = memory_available();
  }
  const io::AudioInfo info = io::read_audio_info(audio_path);
  // A header outside read_audio's bounds: read_audio says what is wrong.
  if (info.frames <= 0 || info.channels < 1 || info.channels > io::kMaxChannels || info.sample_rate < io::kMinSampleRate ||
      info.sample_rate > io::kMaxSampleRate || info.frames * info.channels > io::kMaxAudioSamples)
    return m.spectrogram == "disk" && can_spill;
  // A report's listening copies keep a short run's stems whole (report/viewer.hpp).
  const std::size_t groups = po.groups.empty() ? std::max<std::size_t>(1, score.labels().size()) : po.groups.size();
  const bool copies = streamed && resynthesise && po.model.view_columns > 0 &&
                      keeps_listening_copies(static_cast<double>(info.frames) / info.sample_rate, info.channels, groups);
  const auto estimate = [&](bool spilled) {
    return estimate_memory(info.frames, info.sample_rate, info.channels, score, po, resynthesise, streamed, copies, spilled);
  };
  bool spill = m.spectrogram == "disk" && can_spill;
  MemoryEstimate e = estimate(spill);
  if (m.spectrogram == "auto" && can_spill &&
      (spectrogram_bytes(info.frames, info.sample_rate, po) > kSpectrogramInMemory || (limit > 0 && e.bytes > limit))) {
    spill = true;
    e = estimate(true);
  }
  if (limit <= 0 || e.bytes <= limit) return spill;
  const MemoryPart& big = e.parts.front();
  throw Error(audio_path + ": this run needs about " + format_bytes(e.bytes) + " of memory, more than the " +
              format_bytes(limit) + " available (" + source + "); the largest part is " + big.what + " (" +
              format_bytes(big.bytes) + "): lower it with " + big.lower + ", or set --max-memory");
}

}  // namespace

SampleSource Input::source() const {
  if (reader) {
    auto r = reader;
    return [r](Index start, Eigen::Ref<MatrixXf> out) { r->read(start, out); };
  }
  const MatrixXf* samples = &audio.samples;
  return [samples](Index start, Eigen::Ref<MatrixXf> out) { out = samples->middleRows(start, out.rows()); };
}

Input load_input(const std::string& audio_path, ModelArgs& m, const Globals& g, const std::string& mute, bool resynthesise,
                 bool stream) {
  Input in;
  in.score_file = io::read_score_file(m.score, m.midi_options());
  for (const auto& line : in.score_file.notices) notice(g.quiet, line);
  if (m.align_by_default)
    notice(g.quiet, m.score + " is MusicXML, timed as written rather than as played: aligning it to the recording "
                    "first (--align=no keeps its times)");
  for (const auto& line : in.score_file.warnings) warn(line);
  Score score = std::move(in.score_file.score);
  in.score_file.score = Score();
  if (m.options.decompose.pretrained) require_piano_range(score, m.score, "the piano model " + m.model);
  PipelineOptions po = m.pipeline_options(audio_path);
  po.mute = mute;
  if (stream) {
    in.reader = std::make_shared<io::AudioReader>(audio_path);
    if (!in.reader->seekable()) in.reader.reset();  // MP3, Ogg: only an estimated length
  }
  const bool can_spill = stream && spills_spectrogram(po.model, false);
  if (m.spectrogram == "disk" && !can_spill)
    throw CLI::ValidationError("--spectrogram disk: V is read from disk by NMF with --loss kl only (no --model, no autoencoder)");
  in.spectrogram_on_disk = check_memory(audio_path, score, po, m, resynthesise, in.reader != nullptr, can_spill);
  if (in.reader) {
    in.audio.sample_rate = in.reader->sample_rate();
    in.frames = in.reader->frames();
    in.channels = in.reader->channels();
  } else {
    in.audio = io::read_audio(audio_path);
    in.frames = in.audio.frames();
    in.channels = in.audio.channels();
  }
  info(g.quiet, "read " + audio_path + ": " + std::to_string(in.channels) + " channel(s), " +
                    std::to_string(in.audio.sample_rate) + " Hz, " + format_seconds(in.seconds()) + "; " +
                    m.score + ": " + std::to_string(score.size()) + " notes");
  try {
    if (in.reader)
      static_cast<PreparedRecording&>(in) =
          prepare_analysis(analysis_signal(in.source(), in.frames, in.channels, in.audio.sample_rate, po.analysis_rate),
                           in.frames, in.audio.sample_rate, std::move(score), po);
    else
      static_cast<PreparedRecording&>(in) = prepare_recording(in.audio.samples, in.audio.sample_rate, std::move(score), po);
  } catch (const ScoreMismatch& e) {
    throw Error(mismatch_advice(e));  // before any output is written
  }
  for (const auto& msg : in.messages) {
    if (msg.level == PipelineMessage::Level::Warning) warn(msg.text);
    else info(g.quiet, msg.text);
  }
  if (in.spectrogram_on_disk && !in.drums.empty()) {
    // A band's joint model (drum notes) reads V whole (separate_prepared ignores the store).
    in.spectrogram_on_disk = false;
    if (m.spectrogram == "disk") notice(g.quiet, "--spectrogram disk: the drum notes' joint model keeps V in memory");
  }
  if (in.spectrogram_on_disk)
    info(g.quiet, "the spectrogram V (" + format_bytes(spectrogram_bytes(in.frames, in.audio.sample_rate, po)) +
                      ") is kept in a temporary file beside the output and read a segment at a time "
                      "(--spectrogram memory keeps it in memory)");
  if (in.alignment) {
    in.warp = in.alignment->warp;
    in.align_cost = in.alignment->cost;
  }
  m.options.decompose.constraints.sources = in.model.decompose.constraints.sources;
  warn_single_group(in, m);
  return in;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

nmf::Callback nmf_progress(ProgressBar& bar, int iterations) {
  return [&bar, iterations](const nmf::Progress& p) {
    char loss[48];
    std::snprintf(loss, sizeof loss, "loss %.4g", p.loss);
    bar.update(p.iteration, std::max(1, iterations), "it", loss);
    return true;
  };
}

}  // namespace notewise::cli
