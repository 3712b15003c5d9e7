// notewise drums: score-informed drum decomposition (Dittmar & Mueller 2016). The work is
// separate_drums (separation/drums.hpp); this file reads, writes and reports.
#include <filesystem>
#include <nlohmann/json.hpp>

#include "notewise/core/error.hpp"
#include "notewise/io/atomic_file.hpp"
#include "notewise/io/audio.hpp"
#include "notewise/io/npy.hpp"
#include "notewise/io/output_run.hpp"
#include "notewise/plot/figure.hpp"
#include "notewise/separation/drums.hpp"
#include "notewise/version.hpp"
#include "audio_out.hpp"
#include "run_input.hpp"
#include "progress.hpp"

namespace notewise::cli {
namespace {

// A class's start template from a one-shot recording: its first T frames' magnitudes.
MatrixXf template_from(const std::string& path, int rate, const DrumOptions& o, int T) {
  const MatrixXf S = stft(io::read_mono(path, rate), o.stft).cwiseAbs();
  MatrixXf t = MatrixXf::Zero(S.rows(), T);
  const Index n = std::min<Index>(T, S.cols());
  t.leftCols(n) = S.leftCols(n);
  if (!(t.sum() > 0)) throw ParseError(path, 0, "is silent in its first " + std::to_string(T) + " frames");
  return t;
}

struct DrumsArgs {
  std::string audio, score, out, format = "pcm16", reference, templates;
  std::vector<std::string> classes;
  bool fix_templates = false, drums_only = false;
  int rate = 22050;
  DrumOptions o;
  StemNameArgs names;
};

// The score's drum notes grouped by class (--class, else the GM classes) and, in a band's score,
// its pitched tracks (by label).
struct DrumScore {
  Score drums, pitched;
  std::vector<GroupSpec> specs;  // of the classes
  Grouping groups, pitched_groups;
};

DrumScore read_drum_score(const DrumsArgs& a, std::vector<GroupSpec> specs, bool quiet) {
  DrumScore ds;
  Score score = io::read_score(a.score);
  // Drum notes as 'separate' tells them (is_drum: GM channel 10, MusicXML unpitched notes, CSV
  // rows labelled drums); every other note is pitched.
  Score pitched = score.select([](const Note& n) { return !is_drum(n); });
  score = score.select(is_drum);
  if (score.empty())
    throw ParseError(a.score, 0, "holds no drum notes (MIDI channel 10, MusicXML unpitched notes, or CSV rows labelled "
                                  "drums): 'notewise separate' separates pitched notes");
  if (a.drums_only && !pitched.empty()) {
    info(quiet, a.score + ": " + std::to_string(pitched.size()) + " pitched note(s) ignored (--drums-only)");
    pitched = Score();
  }
  Grouping pitched_groups;
  if (!pitched.empty()) {
    if (!a.templates.empty()) throw InvalidArgument("--templates: not with a band's score (use --drums-only)");
    try {
      pitched_groups = group_notes(pitched, label_group_specs(pitched));
    } catch (const InvalidArgument& e) {
      throw ParseError(a.score, 0, e.what());
    }
    for (const auto& n : pitched_groups.names)
      if (std::find_if(specs.begin(), specs.end(), [&](const GroupSpec& g) { return g.name == n; }) != specs.end() ||
          (specs.empty() && (n == "kick" || n == "snare" || n == "hihat" || n == "toms" || n == "cymbals" || n == "percussion")))
        throw InvalidArgument(a.score + ": the track '" + n + "' has the name of a drum class");
  }
  if (specs.empty()) specs = gm_drum_classes(score);
  Grouping groups;
  try {
    groups = group_notes(score, specs);
  } catch (const InvalidArgument& e) {
    throw InvalidArgument(a.score + ": " + e.what());
  }
  ds.drums = std::move(score);
  ds.pitched = std::move(pitched);
  ds.specs = std::move(specs);
  ds.groups = std::move(groups);
  ds.pitched_groups = std::move(pitched_groups);
  return ds;
}

// --templates DIR: the start templates of the classes that have DIR/<class>.wav (named as
// file_stems makes them, without --filename); the others are learnt from a flat start.
std::vector<std::pair<std::string, MatrixXf>> template_starts(DrumsArgs& a, const Grouping& groups, const std::vector<std::string>& template_stems,
                                                              std::size_t first) {
  std::vector<std::pair<std::string, MatrixXf>> starts;
  if (!a.templates.empty()) {
    for (std::size_t k = 0; k < groups.names.size(); ++k) {
      const std::string& n = groups.names[k];
      const int T = a.o.template_frames(a.rate, n);
      const auto f = std::filesystem::path(a.templates) / (template_stems[first + k] + ".wav");
      if (!std::filesystem::exists(f)) continue;  // that class is learnt from a flat start
      starts.push_back({n, template_from(f.string(), a.rate, a.o, T)});
      if (a.fix_templates) a.o.fixed_templates.push_back(n);
    }
    if (starts.empty()) throw IoError(a.templates, "holds no <class>.wav for any class (" + template_stems[first] + ".wav, ...)");
  }
  return starts;
}

// DIR/<stem>.wav per track and class, W.npy (frame t of class c in column t * classes + c),
// H.npy, H0.npy, loss.csv, the figures and report.json (with the scores against a reference).
void write_drum_outputs(const DrumsArgs& a, const Globals& globals, const std::string& staging, const DrumScore& ds,
                        const DrumSeparation& d, const io::Audio& audio, const std::vector<std::string>& stems,
                        const std::vector<std::pair<std::string, MatrixXf>>& starts, std::chrono::steady_clock::time_point t0) {
  const Grouping &groups = ds.groups, &pitched_groups = ds.pitched_groups;
  const std::size_t first = pitched_groups.names.size();
  const auto stem_of = [&](std::size_t k) { return stems[k] + ".wav"; };  // k over the tracks, then the classes
  const auto dir = std::filesystem::path(staging);
  const auto fmt = io::parse_sample_format(a.format);
  nlohmann::json jc = nlohmann::json::array();
  for (std::size_t k = 0; k < pitched_groups.names.size(); ++k) {
    io::write_wav((dir / stem_of(k)).string(), d.stems[k], audio.sample_rate, fmt, globals.force);
    jc.push_back({{"name", pitched_groups.names[k]}, {"notes", pitched_groups.notes[k].size()},
                  {"file", stem_of(k)}, {"template", "harmonic (pitched track)"}});
  }
  for (std::size_t k = 0; k < groups.names.size(); ++k) {
    io::write_wav((dir / stem_of(first + k)).string(), d.stems[first + k], audio.sample_rate, fmt, globals.force);
    jc.push_back({{"name", groups.names[k]}, {"selection", ds.specs[k].selection}, {"notes", groups.notes[k].size()},
                  {"file", stem_of(first + k)},
                  {"template", std::any_of(starts.begin(), starts.end(), [&](const auto& s) { return s.first == groups.names[k]; })
                                   ? (a.fix_templates ? "given, fixed" : "given") : "learnt"}});
  }
  const Index C = d.W[0].cols(), T = static_cast<Index>(d.W.size());
  MatrixXf W(d.V.rows(), C * T);
  for (Index t = 0; t < T; ++t) W.middleCols(t * C, C) = d.W[static_cast<std::size_t>(t)];
  io::write_npy((dir / "W.npy").string(), W, globals.force);
  io::write_npy((dir / "H.npy").string(), d.H, globals.force);
  io::write_npy((dir / "H0.npy").string(), d.H0, globals.force);
  io::write_text((dir / "loss.csv").string(), loss_csv(d.initial_loss, d.loss), globals.force);
  report::draw_drum_figures(d, a.o, a.rate, dir.string());
  nlohmann::json report = {
      {"version", kVersion},
      {"command", "drums"},
      {"input", {{"audio", a.audio}, {"score", a.score}, {"sample_rate", audio.sample_rate}, {"channels", audio.channels()},
                 {"seconds", audio.seconds()}, {"notes", ds.drums.size()}}},
      {"parameters", {{"rate", a.rate}, {"n_fft", a.o.stft.n_fft}, {"hop", a.o.stft.hop},
                      {"template_seconds", a.o.template_seconds}, {"cymbal_seconds", a.o.class_template_seconds[0].second}, {"template_frames", T},
                      {"pre_onset", a.o.pre_onset}, {"post_onset", a.o.post_onset}, {"decay", a.o.decay},
                      {"template_iterations", a.o.template_iterations}, {"iterations", a.o.iterations},
                      {"alpha", a.o.alpha}, {"divergence", "kl"}}},
      {"classes", jc},
      {"nmfd", {{"initial_loss", d.initial_loss}, {"loss", d.loss}}},
  };
  if (!a.reference.empty()) {
    const nlohmann::json scores = evaluate_stems(a.reference, staging, stems);
    report["scores"] = scores;
    const auto& m = scores["mean_SDR"];
    info(globals.quiet, "against " + a.reference + ": mean SDR " + (m.is_null() ? std::string("-inf") : std::to_string(m.get<double>())) + " dB");
  }
  report["seconds"] = seconds_since(t0);
  io::write_text((dir / "report.json").string(), report.dump(1) + "\n", globals.force);
}

}  // namespace

void add_drums_command(CLI::App& app, Globals& globals) {
  auto a = std::make_shared<DrumsArgs>();
  CLI::App* cmd = app.add_subcommand("drums", "Split a drum recording into its drums (kick, snare, hi-hat, ...) by its score");
  cmd->footer(
      "Score-informed drum decomposition (Dittmar & Mueller, IEEE/ACM TASLP 2016): one NMFD template\n"
      "per class, a spectrogram of --template-seconds (the stroke and its decay; the cymbals'\n"
      "--cymbal-seconds, 2 s: they ring), active only from\n"
      "--pre-onset before to --post-onset after the class's score onsets (the start decays with\n"
      "--decay after each onset). The templates are learnt from the recording (--template-iterations\n"
      "with the activations held at the start, then --iterations of both), or start from one-shot\n"
      "recordings (--templates DIR: DIR/<class>.wav, e.g. rendered with FluidSynth; --fix-templates\n"
      "keeps them). Stems through alpha-Wiener masks (--alpha): they sum to the input.\n"
      "Classes: the General MIDI drum map (kick 35-36, snare 37-40, hihat 42/44/46, toms 41/43/45/\n"
      "47/48/50, cymbals 49/51-53/55/57/59, percussion: the rest), or --class NAME=SELECTION\n"
      "(e.g. --class kick='pitch==36' --class rest=others).\n"
      "A band (a MIDI file with pitched tracks beside the percussion channel 10): the pitched notes\n"
      "get harmonic templates as in 'separate' (one stem per track label) and the drums the NMFD\n"
      "templates, in one decomposition (--drums-only: the pitched notes are ignored).\n"
      "Writes DIR/<class>.wav, W.npy (bins x R*T: frame t of row c in column t*R + c; a band's\n"
      "pitched rows first), H.npy, H0.npy, loss.csv, activations.png, templates.png, report.json.\n"
      "Example: notewise drums beat.wav --score beat.mid --out stems/ --reference truth/");
  cmd->add_option("audio", a->audio, "The drum recording (WAV, FLAC, ...)")->required();
  cmd->add_option("--score", a->score, "Its drum score (.mid or .csv; pitches by the GM drum map)")->required();
  cmd->add_option("-o,--out", a->out, "Output folder")->required();
  cmd->add_option("--class", a->classes, "NAME=SELECTION: a class of your own (repeatable; replaces the GM classes)");
  cmd->add_option("--templates", a->templates, "Folder of one-shot recordings <class>.wav to start the templates from");
  cmd->add_flag("--fix-templates", a->fix_templates, "Keep the --templates classes' templates fixed");
  cmd->add_flag("--drums-only", a->drums_only, "In a band's score, ignore the pitched notes");
  cmd->add_option("--template-seconds", a->o.template_seconds, "Length of a template (s); cymbals: --cymbal-seconds")
      ->capture_default_str()->check(CLI::Range(0.01, 10.0));
  cmd->add_option("--cymbal-seconds", a->o.class_template_seconds[0].second, "Length of the cymbals' template (s)")
      ->capture_default_str()->check(CLI::Range(0.01, 10.0));
  cmd->add_option("--pre-onset", a->o.pre_onset, "Activation window before an onset (s)")->capture_default_str()->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--post-onset", a->o.post_onset, "Activation window after an onset (s)")->capture_default_str()->check(CLI::Range(0.0, 2.0));
  cmd->add_option("--decay", a->o.decay, "Decay of the start activations after an onset (s)")->capture_default_str()->check(CLI::Range(0.001, 2.0));
  cmd->add_option("--template-iterations", a->o.template_iterations, "Iterations learning the templates with H held")
      ->capture_default_str()->check(CLI::Range(0, 10000));
  cmd->add_option("-n,--iterations", a->o.iterations, "Iterations learning templates and activations")
      ->capture_default_str()->check(CLI::Range(0, 10000));
  cmd->add_option("--alpha", a->o.alpha, "Mask exponent (2: Wiener-like, 1: magnitude ratio)")->capture_default_str()->check(CLI::Range(0.1, 10.0));
  cmd->add_option("--n-fft", a->o.stft.n_fft, "FFT size at the analysis rate")->capture_default_str()->check(CLI::Range(16, 65536));
  cmd->add_option("--hop", a->o.stft.hop, "Hop at the analysis rate")->capture_default_str()->check(CLI::Range(1, 32768));
  cmd->add_option("--rate", a->rate, "Analysis sample rate (Hz); the stems keep the input's")
      ->capture_default_str()->check(CLI::Range(8000, 192000));
  cmd->add_option("--reference", a->reference, "Folder of true stems <class>.wav: SDR etc. into report.json");
  cmd->add_option("--format", a->format, "Sample format: pcm16 | pcm24 | float32")
      ->capture_default_str()->check(CLI::IsMember({"pcm16", "pcm24", "float32"}));
  a->names.add_to(*cmd);
  cmd->callback([a, &globals] {
    std::vector<GroupSpec> specs;
    validate_options([&] {
      a->o.validate();
      for (const auto& c : a->classes) try {
          specs.push_back(parse_group_spec(c));
          // A malformed selection is a usage error, found before the score is read.
          if (specs.back().selection != "others") (void)parse_selection(specs.back().selection);
        } catch (const InvalidArgument& e) {
          throw InvalidArgument("--class " + c + ": " + e.what());
        }
      if (a->fix_templates && a->templates.empty()) throw InvalidArgument("--fix-templates needs --templates");
      a->names.validate();
    });
    const auto t0 = std::chrono::steady_clock::now();
    const DrumScore ds = read_drum_score(*a, std::move(specs), globals.quiet);
    const Grouping &groups = ds.groups, &pitched_groups = ds.pitched_groups;
    // Stem files: the pitched tracks' and the classes' names made file-safe and distinct together
    // (a track named '../../x' or '/abs/x' must not leave the output folder).
    std::vector<std::string> all_names = pitched_groups.names;
    all_names.insert(all_names.end(), groups.names.begin(), groups.names.end());
    const std::vector<std::string> stems = a->names.stems(all_names, true);
    const std::size_t first = pitched_groups.names.size();
    const auto stem_of = [&](std::size_t k) { return stems[k] + ".wav"; };  // k over all_names
    const std::vector<std::string> template_stems = file_stems(all_names);  // --templates DIR/<class>.wav, without --filename
    std::vector<std::string> files = {"W.npy", "H.npy", "H0.npy", "loss.csv", "activations.png", "templates.png", "report.json"};
    for (std::size_t k = 0; k < stems.size(); ++k) files.push_back(stem_of(k));
    const auto run = prepare_outputs(a->out, files, globals);
    const io::Audio audio = io::read_audio(a->audio);  // whole: the stems are made from its channels
    if (ds.drums.end() > audio.seconds() + 1.0)
      warn(a->score + ": the score runs to " + std::to_string(ds.drums.end()) + " s, the recording to " + std::to_string(audio.seconds()) + " s");
    const VectorXf x = io::mono_at(audio, a->rate);
    const auto starts = template_starts(*a, groups, template_stems, first);
    ProgressBar bar("drums", globals.quiet);
    const auto progress = nmf_progress(bar, a->o.template_iterations + a->o.iterations);
    const DrumSeparation d =
        ds.pitched.empty()
            ? separate_drums(x, a->rate, audio.samples, audio.sample_rate, ds.drums, groups, a->o, starts, progress)
            : separate_band(x, a->rate, audio.samples, audio.sample_rate, ds.pitched, pitched_groups,
                            SeparationOptions::tuned().decompose.constraints, ds.drums, groups, a->o, progress);
    bar.finish();
    write_drum_outputs(*a, globals, run->staging(), ds, d, audio, stems, starts, t0);
    run->commit("report.json");
    std::string names;
    for (std::size_t k = 0; k < stems.size(); ++k) names += (names.empty() ? "" : ", ") + stem_of(k);
    info(globals.quiet, "wrote " + a->out + ": " + names + ", W.npy, H.npy, loss.csv, figures, report.json");
  });
}

}  // namespace notewise::cli
