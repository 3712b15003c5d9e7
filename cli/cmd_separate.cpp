// notewise separate: one audio stem per group of notes.
#include <filesystem>
#include <sstream>

#include "notewise/core/error.hpp"
#include "notewise/core/threads.hpp"
#include "notewise/io/atomic_file.hpp"
#include "notewise/io/column_file.hpp"
#include "notewise/io/npy.hpp"
#include "notewise/io/output_run.hpp"
#include "notewise/version.hpp"
#include "help.hpp"
#include "audio_out.hpp"
#include "run_input.hpp"
#include "progress.hpp"
#include "report_run.hpp"

namespace notewise::cli {

namespace {

struct SeparateArgs {
  std::string audio, out, reference, ext = "wav";
  AudioOutArgs audio_out;
  StemNameArgs names;
  bool no_report = false;
  ModelArgs model;
};

// The stems' file names as the score alone makes them (the groups as the run makes them: the
// pitched groups, then the drum classes), so that existing files are refused (without --force)
// and the reference stems checked before any work (reading the audio, aligning, decomposing).
std::vector<std::string> stems_of_score(const SeparateArgs& a) {
  const Score score = io::read_score(a.model.score, a.model.midi_options());
  return a.names.stems(stem_names_of_score(score, a.model.pipeline_options(a.audio)), false);
}

void expect_before_work(const io::OutputRun& run, const SeparateArgs& a, std::vector<std::string> files, const std::string& ext) {
  if (!a.reference.empty()) {
    const std::vector<std::string> stems = stems_of_score(a);
    check_reference_stems(a.reference, stems);
    for (const auto& n : stems) files.push_back(n + ext);
  } else {
    try {
      for (const auto& n : stems_of_score(a)) files.push_back(n + ext);
    } catch (const Error&) {
      // A score that cannot be read or grouped: load_input says so, in its turn.
    }
  }
  run.expect(files);
}

// Stages 2 and 3 with their progress bars: the decomposition, and the stems handed to `stems`
// as they are resynthesised; their timings into facts.
Separation decompose_and_resynthesise(const SeparateArgs& a, const Globals& globals, Input& in, io::StemFiles& stems,
                                      const std::string& staging, int stages, report::SeparationFacts& facts) {
  ProgressBar nmf_bar("decompose", globals.quiet);
  nmf_bar.stage(2, stages);
  ProgressBar synth_bar("resynthesise", globals.quiet);
  synth_bar.stage(3, stages);
  const auto t1 = std::chrono::steady_clock::now();
  const double c1 = cpu_seconds();
  double c_nmf = 0;
  // V in a temporary file beside the stems (--spectrogram): the NMF holds a segment of it.
  std::unique_ptr<io::ColumnFile> spectrogram;
  if (in.spectrogram_on_disk) spectrogram = std::make_unique<io::ColumnFile>(staging);
  double t_nmf = 0;
  const bool band = !in.drums.empty();
  Separation s = separate_prepared(
      in, in.frames, in.channels, in.audio.sample_rate, in.source(),
      [&](std::size_t k, const Eigen::Ref<const MatrixXf>& part) { stems.add(k, part); },
      nmf_progress(nmf_bar, band ? in.drum_model.template_iterations + in.drum_model.iterations
                                 : a.model.options.decompose.nmf.max_iterations),
      [&](double f) {
        if (t_nmf == 0) {
          t_nmf = seconds_since(t1);
          c_nmf = cpu_seconds() - c1;
          nmf_bar.finish();
          synth_bar.restart();
        }
        synth_bar.update(f);
      },
      spectrogram.get());
  spectrogram.reset();  // its disk space back before the outputs are written
  synth_bar.finish();
  facts.timings["decompose"] = t_nmf;
  facts.timings["resynthesise"] = seconds_since(t1) - t_nmf;
  facts.cpu_timings["decompose"] = c_nmf;
  facts.cpu_timings["resynthesise"] = cpu_seconds() - c1 - c_nmf;
  return s;
}

// report.json's "stems": what the files hold.
nlohmann::json stems_json(const SeparateArgs& a, const io::Encoding& encoding, int stem_rate) {
  const bool lossy = io::is_lossy(encoding.format);
  return {{"format", a.ext},
          {"sample_rate", stem_rate},
          {"sample_format", lossy ? nlohmann::json(nullptr) : nlohmann::json(a.audio_out.sample)},
          {"quality", lossy ? nlohmann::json(encoding.quality) : nlohmann::json(nullptr)}};
}

// What a separation leaves beside its stems and model files: report.json (with the alignment,
// the estimates, the scores against a reference and the verdict) and the page.
void write_run_files(const SeparateArgs& a, const Globals& globals, const io::OutputRun& run, const Input& in, const Separation& s,
                     report::SeparationFacts facts) {
  facts.audio = a.audio;
  facts.parameters = a.model.to_json(&in.decisions);
  facts.decisions = decisions_json(in.decisions);
  facts.spell = flag_text;  // the library's setting names, as the command line spells them
  facts.drums_mode = a.model.drums;
  facts.stem_ext = a.ext;
  nlohmann::json report = report::separation_json(in, in.frames, in.channels, in.audio.sample_rate, s, facts);
  write_align_outputs(run.staging(), a.model.score, in.alignment.get(), report, globals.force);  // aligned.csv, report["alignment"]
  // The reference-free estimates of the verdict, from V made again a chunk at a time from the
  // analysis signal (the NMF freed it): bounded as the listening copies are, so that a long
  // recording's run does not hold its analysis signal again (report/verdict.hpp).
  if (in.seconds() <= viewer_options().preview_max_seconds) {
    const auto t = std::chrono::steady_clock::now();
    const double c = cpu_seconds();
    const std::string why = report::add_quality(report, in, s, [&] {
      return analysis_signal(in.source(), in.frames, in.channels, in.audio.sample_rate, in.analysis_rate);
    });
    if (!why.empty()) warn("no quality estimate: " + why);
    report["timings_s"]["quality"] = seconds_since(t);
    report["timings_cpu_s"]["quality"] = cpu_seconds() - c;
  }
  nlohmann::json scores;  // null without a reference
  if (!a.reference.empty()) {
    scores = evaluate_stems(a.reference, run.staging(), s.groups.files);
    scores["baselines"] = evaluate_baselines(a.reference, s.groups.files, in.model.stft, in.analysis_rate);
    report["scores"] = scores;
    const auto& m = scores["mean_SDR"];
    info(globals.quiet, "against " + a.reference + ": mean SDR " + (m.is_null() ? std::string("-inf") : std::to_string(m.get<double>())) + " dB");
  }
  report["verdict"] = report::make_verdict(report);
  if (!a.no_report) {
    const auto t = std::chrono::steady_clock::now();
    const double c = cpu_seconds();
    const Score all_notes = stem_score(in);  // the notes the groups index
    ProgressBar report_bar("report 4/4", globals.quiet);
    RunView view = run_view(s, all_notes, &report_bar);
    view.warp = &in.warp;
    view.stem_ext = a.ext;
    view.stems_written = true;
    view.seconds = in.seconds();
    view.next = next_commands(report, a.out);
    report::write_report(run.staging(), view, report, a.audio, scores, globals.force);
    report_bar.finish();
    report["timings_s"]["report"] = seconds_since(t);
    report["timings_cpu_s"]["report"] = cpu_seconds() - c;
  }
  io::write_text((std::filesystem::path(run.staging()) / "report.json").string(), report.dump(1) + "\n", globals.force);
}

}  // namespace

void add_separate_command(CLI::App& app, Globals& globals) {
  auto a = std::make_shared<SeparateArgs>();
  CLI::App* cmd = app.add_subcommand("separate", "Split a recording into one audio file per group of notes");
  const char* examples =
      "Examples:\n"
      "  notewise separate mix.wav --score score.mid --out stems/            # one stem per label\n"
      "  notewise separate mix.wav --score score.csv --out stems/ \\\n"
      "      --group melody='label==right && pitch>=72'                     # melody.wav, rest.wav\n"
      "  notewise separate mix.wav --score score.mid --out stems/ --ext flac --format pcm24\n";
  // --help: what it writes and the examples; --help-all: the whole story.
  if (!show_all_options())
    cmd->footer(
        "Writes DIR/<group>.wav per group (file names made safe: --filename), report.json, W.npy, H.npy,\n"
        "index.json, loss.csv, and report.html with plots/ and report/ (open it in any browser).\n" +
        std::string(examples));
  else
  cmd->footer(
      "Score-informed NMF (Ewert & Mueller 2012) models every note; soft masks split the recording.\n"
      "Writes DIR/<group>.wav (or --ext: flac, ogg, opus, mp3, aiff) at the input's rate and channels\n"
      "(Opus and MP3 where they have it, else the next rate they have); lossless stems sum to the input.\n"
      "DIR/report.json (the verdict: good, doubtful or poor, and why; parameters, groups, loss per\n"
      "iteration, timings), DIR/W.npy, DIR/H.npy,\n"
      "DIR/index.json (what each row of W/H is, as 'decompose' writes it), DIR/loss.csv, and\n"
      "DIR/report.html with DIR/plots/ (spectrograms, templates, activations over the score,\n"
      "masks, loss) and report/ (its interactive views, the mix, listening copies): open it in any\n"
      "browser, from any place the folder is copied to.\n"
      "File names: <group> is the group's name (a label as written) made safe for any file system:\n"
      "/ \\ : , < > \" | ? * and control characters, spaces (unless --keep-spaces), a leading '.' and a\n"
      "trailing '.' become '_', Windows device names (CON, NUL, ...) get a '_'; names that are then the\n"
      "same get -2, -3, ... (said on stderr). report.json and index.json say which file holds which group.\n"
      "--filename '{index}-{label}.{ext}' numbers them (fields: {label}, {index}, {ext}).\n" +
      std::string(examples) +
      "Drums: drum notes (MIDI channel 10, MusicXML unpitched notes, CSV rows labelled drums) get\n"
      "NMFD drum templates by General MIDI class (as 'drums' does) in one model with the pitched\n"
      "notes' harmonic templates; --drums classes (default) writes kick.wav, snare.wav, hihat.wav,\n"
      "toms.wav, cymbals.wav, percussion.wav (the classes the score has) beside the pitched groups,\n"
      "--drums kit one drums.wav, --drums ignore leaves them out (their sound goes to the pitched\n"
      "stems). --group selects among the pitched notes. Also DIR/drums_W.npy, DIR/drums_H.npy.\n"
      "With --force into a folder of an earlier run, that run's outputs this one does not write again\n"
      "(stems of other groups, a report left out) are removed; other files stay.");
  cmd->add_option("audio", a->audio, "The recording (WAV, FLAC, OGG, MP3, ...)")->required();
  cmd->add_option("-o,--out", a->out, "Output folder (created if needed)")->required();
  cmd->add_option("--ext", a->ext, "File format of the stems: wav | flac | ogg | opus | mp3 | aiff")
      ->capture_default_str()->check(CLI::IsMember({"wav", "flac", "ogg", "opus", "mp3", "aiff"}));
  a->audio_out.add_to(*cmd);
  a->names.add_to(*cmd);
  cmd->add_option("--reference", a->reference,
                  "Folder with the true stems (<group>.wav, .flac, ... any format): scores the result (SDR, SIR,\n"
                  "SAR, SI-SDR) beside the mix's and the ideal ratio mask's; checked before the work")
      ->check(CLI::ExistingDirectory);
  cmd->add_flag("--no-report", a->no_report, "Do not draw plots/ and report.html");
  cmd->add_flag("--no-mix-copy{false}", viewer_options().copy_mix,
                "The report plays the input from where it is (no copy in report/; the folder is then not portable)");
  a->model.add_to(*cmd, kSeparate);
  shorten_help(*cmd, {"ext", "group", "iterations", "no-report"});  // --align (auto by default) with --help-all
  cmd->callback([a, &globals] {
    a->model.prepare();
    io::Encoding encoding;
    validate_options([&] {
      encoding = a->audio_out.encoding(io::parse_file_format(a->ext));
      a->names.validate();
    });
    const std::string ext = "." + io::extension_of(encoding.format);
    check_output_channels(a->audio, a->out, encoding);
    const auto t0 = std::chrono::steady_clock::now();
    const double c0 = cpu_seconds();
    auto run = std::make_unique<io::OutputRun>(a->out, globals.force);  // locked; staged, committed last
    std::vector<std::string> files{"report.json", "W.npy", "H.npy", "index.json", "loss.csv"};
    if (!a->no_report) files.push_back("report.html");
    expect_before_work(*run, *a, files, ext);
    const int stages = a->no_report ? 3 : 4;  // load, decompose, resynthesise, report
    ProgressBar load_bar("load", globals.quiet);
    load_bar.stage(1, stages);
    // Nothing needs the whole recording, the spectrogram or the masks at once: the recording is
    // read block by block, the report draws from compact views built while V is at hand, and
    // the stems are written block by block (unless the page's listening copies need them).
    a->model.options.keep_views = false;
    if (!a->no_report) a->model.options.view_columns = kViewColumns;
    Input in = load_input(a->audio, a->model, globals, "", true, true);
    load_bar.finish();
    Grouping groups = stem_groups(in);  // the pitched groups, then the drum classes
    groups.files = a->names.stems(groups.names, true);
    const bool band = !in.drums.empty();
    if (band) files.insert(files.end(), {"drums_W.npy", "drums_H.npy"});
    std::vector<std::string> stem_paths;
    for (const auto& n : groups.files) files.push_back(n + ext), stem_paths.push_back(run->staging() + "/" + n + ext);
    if (a->model.align || a->model.align_auto) files.push_back("aligned.csv");  // auto: only if it aligns
    run->expect(files);
    report::SeparationFacts facts;
    facts.timings["load"] = seconds_since(t0);
    facts.cpu_timings["load"] = cpu_seconds() - c0;

    const int rate = in.audio.sample_rate;
    // The report's listening copies need the stems whole (short runs only), and so do formats
    // that store another rate; else each stem goes to its file as it comes.
    io::StemFiles stems(stem_paths, in.frames, in.channels, rate, encoding,
                        !a->no_report && keeps_listening_copies(in.seconds(), in.channels, groups.names.size()), globals.force);
    Separation s = decompose_and_resynthesise(*a, globals, in, stems, run->staging(), stages, facts);
    s.groups.files = groups.files;  // the report links the files as named here

    const auto t2 = std::chrono::steady_clock::now();
    const double c2 = cpu_seconds();
    const int stem_rate = stems.finish();
    s.stems = std::move(stems.whole());
    if (stem_rate != rate)
      notice(globals.quiet, "the stems are at " + std::to_string(stem_rate) + " Hz: " + a->ext + " does not store " + std::to_string(rate) + " Hz");
    report::write_model_files(run->staging(), in, s, a->ext, globals.force);  // W, H, index.json, loss.csv, drums_W/H
    facts.rms = stems.rms();
    facts.stems = stems_json(*a, encoding, stem_rate);
    facts.timings.update({{"fit", s.decomposition.fit_seconds}, {"write", seconds_since(t2)}, {"total", seconds_since(t0)}});
    facts.cpu_timings.update({{"write", cpu_seconds() - c2}, {"total", cpu_seconds() - c0}});
    write_run_files(*a, globals, *run, in, s, facts);
    run->commit("report.json");
    std::string names;
    for (const auto& n : groups.files) names += n + ext + ", ";
    info(globals.quiet, "wrote " + a->out + ": " + names + "report.json, W.npy, H.npy, index.json, loss.csv" +
                            (band ? ", drums_W.npy, drums_H.npy" : "") + (a->no_report ? "" : ", report.html") + " (" +
                            format_seconds(seconds_since(t0)) + ")");
  });
}

}  // namespace notewise::cli
