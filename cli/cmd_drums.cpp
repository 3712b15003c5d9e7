// notewise drums: score-informed drum decomposition (Dittmar & Mueller 2016). The work is
// separate_drums (separation/drums.hpp); this file reads, writes and reports.
#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "notewise/core/error.hpp"
#include "notewise/io/atomic_file.hpp"
#include "notewise/io/audio.hpp"
#include "notewise/io/output_run.hpp"
#include "notewise/report/drum_files.hpp"
#include "notewise/separation/drums.hpp"
#include "audio_out.hpp"
#include "run_input.hpp"
#include "progress.hpp"

namespace notewise::cli {
namespace {

struct DrumsArgs {
  std::string audio, score, out, format = "pcm16", reference, templates;
  std::vector<std::string> classes;
  bool fix_templates = false, drums_only = false;
  int rate = 22050;
  DrumOptions o;
  StemNameArgs names;
};

// The score's drum notes grouped by class (--class, else the GM classes) and, in a band's score,
// its pitched tracks (by label): the library's drum_score, with this command's words.
DrumScore read_drum_score(const DrumsArgs& a, std::vector<GroupSpec> specs, bool quiet) {
  Score score = io::read_score(a.score);
  if (!a.templates.empty() && !a.drums_only && std::any_of(score.notes().begin(), score.notes().end(), is_drum) &&
      !std::all_of(score.notes().begin(), score.notes().end(), is_drum))
    throw InvalidArgument("--templates: not with a band's score (use --drums-only)");
  DrumScore ds = drum_score(std::move(score), std::move(specs), a.drums_only, a.score);
  if (ds.ignored_pitched > 0) info(quiet, a.score + ": " + std::to_string(ds.ignored_pitched) + " pitched note(s) ignored (--drums-only)");
  return ds;
}

// The run's files (report::write_drum_files) and report.json, with the scores against
// --reference and the run's time.
void write_drum_run(const DrumsArgs& a, const Globals& globals, const std::string& staging, report::DrumRun dr,
                    const std::vector<std::pair<std::string, MatrixXf>>& starts, std::chrono::steady_clock::time_point t0) {
  for (const auto& s : starts) dr.started.push_back(s.first);
  nlohmann::json report = report::write_drum_files(staging, dr, io::parse_sample_format(a.format), globals.force);
  if (!a.reference.empty()) {
    const nlohmann::json scores = evaluate_stems(a.reference, staging, dr.stems);
    report["scores"] = scores;
    const auto& m = scores["mean_SDR"];
    info(globals.quiet, "against " + a.reference + ": mean SDR " + (m.is_null() ? std::string("-inf") : std::to_string(m.get<double>())) + " dB");
  }
  report["seconds"] = seconds_since(t0);
  io::write_text((std::filesystem::path(staging) / "report.json").string(), report.dump(1) + "\n", globals.force);
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
    std::vector<std::pair<std::string, MatrixXf>> starts;
    if (!a->templates.empty()) {
      starts = report::drum_templates(a->templates, groups, {template_stems.begin() + static_cast<std::ptrdiff_t>(first), template_stems.end()},
                                      a->rate, a->o);
      if (a->fix_templates)
        for (const auto& s : starts) a->o.fixed_templates.push_back(s.first);
    }
    ProgressBar bar("drums", globals.quiet);
    const auto progress = nmf_progress(bar, a->o.template_iterations + a->o.iterations);
    const DrumSeparation d =
        ds.pitched.empty()
            ? separate_drums(x, a->rate, audio.samples, audio.sample_rate, ds.drums, groups, a->o, starts, progress)
            : separate_band(x, a->rate, audio.samples, audio.sample_rate, ds.pitched, pitched_groups,
                            SeparationOptions::tuned().decompose.constraints, ds.drums, groups, a->o, progress);
    bar.finish();
    write_drum_run(*a, globals, run->staging(), {a->audio, a->score, a->rate, a->o, &ds, &d, &audio, stems, {}, a->fix_templates},
                   starts, t0);
    run->commit("report.json");
    std::string names;
    for (std::size_t k = 0; k < stems.size(); ++k) names += (names.empty() ? "" : ", ") + stem_of(k);
    info(globals.quiet, "wrote " + a->out + ": " + names + ", W.npy, H.npy, loss.csv, figures, report.json");
  });
}

}  // namespace notewise::cli
