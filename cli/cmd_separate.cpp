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
#include "align_output.hpp"
#include "help.hpp"
#include "audio_out.hpp"
#include "pipeline.hpp"
#include "progress.hpp"
#include "report.hpp"
#include "report_page.hpp"
#include "report_verdict.hpp"

namespace notewise::cli {

void add_separate_command(CLI::App& app, Globals& globals) {
  struct Args {
    std::string audio, out, reference, ext = "wav";
    AudioOutArgs audio_out;
    StemNameArgs names;
    bool no_report = false;
    ModelArgs model;
  };
  auto a = std::make_shared<Args>();
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
    auto run = std::make_unique<io::OutputRun>(a->out, globals.force);  // locked; staged, committed last
    std::vector<std::string> files{"report.json", "W.npy", "H.npy", "index.json", "loss.csv"};
    if (!a->no_report) files.push_back("report.html");
    // The groups' names come from the score alone: the stems' files are refused (without
    // --force) and the reference stems checked before any work (reading the audio, aligning,
    // decomposing).
    const auto score_stems = [&] {
      const Score score = io::read_score(a->model.score, a->model.midi_options());
      std::vector<GroupSpec> specs;
      for (const auto& g : a->model.groups) specs.push_back(parse_group_spec(g));
      PreparedRecording names;  // the groups as the run makes them (drum classes after the pitched groups)
      names.score = score.select([](const Note& n) { return !is_drum(n); });
      try {
        names.groups = group_notes(names.score.empty() ? score : names.score, specs);
      } catch (const InvalidArgument& e) {
        if (!specs.empty()) throw;
        throw ParseError(a->model.score, 0, e.what());  // the score's labels
      }
      if (a->model.drums != "ignore" && !names.score.empty()) {
        names.drums = score.select(is_drum);
        if (!names.drums.empty()) names.drum_classes = group_notes(names.drums, gm_drum_classes(names.drums));
        names.drum_stems = a->model.drums == "kit" ? PipelineOptions::Drums::Kit : PipelineOptions::Drums::Classes;
      }
      return a->names.stems(stem_groups(names).names, false);
    };
    std::vector<std::string> early = files;
    if (!a->reference.empty()) {
      const std::vector<std::string> stems = score_stems();
      check_reference_stems(a->reference, stems);
      for (const auto& n : stems) early.push_back(n + ext);
    } else {
      try {
        for (const auto& n : score_stems()) early.push_back(n + ext);
      } catch (const Error&) {
        // A score that cannot be read or grouped: load_input says so, in its turn.
      }
    }
    run->expect(early);
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
    for (const auto& n : groups.files) files.push_back(n + ext);
    if (a->model.align || a->model.align_auto) files.push_back("aligned.csv");  // auto: only if it aligns
    run->expect(files);
    const double t_load = seconds_since(t0);

    ProgressBar nmf_bar("decompose", globals.quiet);
    nmf_bar.stage(2, stages);
    ProgressBar synth_bar("resynthesise", globals.quiet);
    synth_bar.stage(3, stages);
    const auto t1 = std::chrono::steady_clock::now();
    const auto dir = std::filesystem::path(run->staging());
    const std::size_t G = groups.names.size();
    const int rate = in.audio.sample_rate;
    // The report's listening copies need the stems whole (short runs only), and so do formats
    // that store another rate (write_audio resamples them); else each stem goes to its file as
    // it comes.
    const bool whole = (!a->no_report && keeps_listening_copies(in.seconds(), in.channels, G)) ||
                       !io::AudioWriter::streams(encoding, rate);
    std::vector<std::unique_ptr<io::AudioWriter>> writers;
    std::vector<MatrixXf> stems;
    std::vector<Index> filled(G, 0);
    std::vector<double> sum_squares(G, 0.0);
    for (std::size_t k = 0; k < G; ++k) {
      if (whole) stems.emplace_back(in.frames, in.channels);
      else writers.push_back(std::make_unique<io::AudioWriter>((dir / (groups.files[k] + ext)).string(), in.channels, rate,
                                                               encoding, globals.force));
    }
    // V in a temporary file beside the stems (--spectrogram): the NMF holds a segment of it.
    std::unique_ptr<io::ColumnFile> spectrogram;
    if (in.spectrogram_on_disk) spectrogram = std::make_unique<io::ColumnFile>(dir.string());
    double t_nmf = 0;
    Separation s = separate_prepared(
        in, in.frames, in.channels, rate, in.source(),
        [&](std::size_t k, const Eigen::Ref<const MatrixXf>& part) {
          sum_squares[k] += part.cast<double>().squaredNorm();
          if (whole) stems[k].middleRows(filled[k], part.rows()) = part;
          else writers[k]->write(part);
          filled[k] += part.rows();
        },
        nmf_progress(nmf_bar, band ? in.drum_model.template_iterations + in.drum_model.iterations
                                   : a->model.options.decompose.nmf.max_iterations),
        [&](double f) {
          if (t_nmf == 0) {
            t_nmf = seconds_since(t1);
            nmf_bar.finish();
            synth_bar.restart();
          }
          synth_bar.update(f);
        },
        spectrogram.get());
    s.groups.files = groups.files;  // the report links the files as named here
    spectrogram.reset();  // its disk space back before the outputs are written
    synth_bar.finish();
    const double t_sep = seconds_since(t1);

    const auto t2 = std::chrono::steady_clock::now();
    int stem_rate = rate;
    for (auto& w : writers) w->commit();
    for (std::size_t k = 0; k < stems.size(); ++k)
      stem_rate = io::write_audio((dir / (groups.files[k] + ext)).string(), stems[k], rate, encoding, globals.force);
    s.stems = std::move(stems);
    if (stem_rate != in.audio.sample_rate)
      notice(globals.quiet, "the stems are at " + std::to_string(stem_rate) + " Hz: " + a->ext + " does not store " +
                                std::to_string(in.audio.sample_rate) + " Hz");
    io::write_npy((dir / "W.npy").string(), s.decomposition.W, globals.force);
    io::write_npy((dir / "H.npy").string(), s.decomposition.H, globals.force);
    nlohmann::json index = index_json(s.decomposition, in.score);
    if (band) {
      // The drum rows of the joint model: frame t of class c's template in column t * C + c.
      const DrumSeparation& d = s.drums;
      const Index P = d.first_drum_row, C = d.H.rows() - P, T = static_cast<Index>(d.W.size());
      MatrixXf W(d.W[0].rows(), C * T);
      for (Index t = 0; t < T; ++t) W.middleCols(t * C, C) = d.W[static_cast<std::size_t>(t)].rightCols(C);
      io::write_npy((dir / "drums_W.npy").string(), W, globals.force);
      io::write_npy((dir / "drums_H.npy").string(), MatrixXf(d.H.bottomRows(C)), globals.force);
      nlohmann::json classes = nlohmann::json::array();
      for (Index c = 0; c < C; ++c)
        classes.push_back({{"row", c}, {"class", in.drum_classes.names[static_cast<std::size_t>(c)]},
                           {"notes", in.drum_classes.notes[static_cast<std::size_t>(c)].size()},
                           {"frames", in.drum_model.template_frames(in.analysis_rate, in.drum_classes.names[static_cast<std::size_t>(c)])}});
      index["drums"] = {{"W", "drums_W.npy: bins x (template frames * classes), frame t of class c in column t * classes + c"},
                        {"H", "drums_H.npy: classes x frames"},
                        {"template_frames", T},
                        {"classes", classes}};
    }
    nlohmann::json index_groups = nlohmann::json::array();  // which file holds which group
    for (std::size_t k = 0; k < groups.names.size(); ++k) index_groups.push_back({{"name", groups.names[k]}, {"file", groups.files[k] + ext}});
    index["groups"] = index_groups;
    io::write_text((dir / "index.json").string(), index.dump(1) + "\n", globals.force);
    io::write_text((dir / "loss.csv").string(), loss_csv(s.decomposition.run.initial_loss, s.decomposition.run.loss), globals.force);
    nlohmann::json jg = nlohmann::json::array();
    for (std::size_t k = 0; k < groups.names.size(); ++k)
      jg.push_back({{"name", groups.names[k]},
                    {"notes", groups.notes[k].size()},
                    {"file", groups.files[k] + ext},
                    {"automatic", static_cast<int>(k) == groups.automatic_rest},  // notes no --group took
                    {"model", k < in.groups.names.size() ? "harmonic" : "drum template (NMFD)"},
                    {"rms", std::sqrt(sum_squares[k] / std::max<double>(1, static_cast<double>(in.frames) * in.channels))}});
    nlohmann::json report = {
        {"version", kVersion},
        {"command", "separate"},
        {"input", {{"audio", a->audio}, {"sample_rate", in.audio.sample_rate}, {"channels", in.channels},
                   {"seconds", in.seconds()}, {"notes", in.score.size()}}},
        {"parameters", a->model.to_json(&in.decisions)},
        {"decisions", decisions_json(in.decisions)},
        {"timbre", timbre_json(in.timbre)},
        {"score_fit", fit_json(in.fit)},
        {"groups", jg},
        {"stems", {{"format", a->ext},
                   {"sample_rate", stem_rate},
                   {"sample_format", io::is_lossy(encoding.format) ? nlohmann::json(nullptr) : nlohmann::json(a->audio_out.sample)},
                   {"quality", io::is_lossy(encoding.format) ? nlohmann::json(encoding.quality) : nlohmann::json(nullptr)}}},
        {"nmf", {{"iterations", s.decomposition.run.iterations},
                 {"sparse_path", s.decomposition.run.sparse_path},
                 {"templates", s.decomposition.W.cols()},
                 {"initial_loss", s.decomposition.run.initial_loss},
                 {"loss", s.decomposition.run.loss}}},
        {"drums", band ? nlohmann::json{{"mode", a->model.drums}, {"notes", in.drums.size()}, {"classes", in.drum_classes.names},
                                        {"template_seconds", in.drum_model.template_seconds},
                                        {"template_iterations", in.drum_model.template_iterations},
                                        {"iterations", in.drum_model.iterations}, {"divergence", "kl"}}
                       : nlohmann::json(nullptr)},
        {"timings_s", {{"load", t_load}, {"decompose", t_nmf}, {"fit", s.decomposition.fit_seconds}, {"resynthesise", t_sep - t_nmf}, {"write", seconds_since(t2)},
                       {"total", seconds_since(t0)}}},
        {"threads", threads::limit()},  // the limit the timings ran under (small jobs ran on one)
    };
    write_align_outputs(run->staging(), a->model.score, in.alignment.get(), report, globals.force);  // aligned.csv, report["alignment"]
    // The reference-free estimates of the verdict, from V made again a chunk at a time from the
    // analysis signal (the NMF freed it): bounded as the listening copies are, so that a long
    // recording's run does not hold its analysis signal again (report_verdict.hpp).
    if (in.seconds() <= viewer_options().preview_max_seconds) {
      try {
        report["quality"] = estimate_quality(s, in.groups.names.size(),
                                             analysis_signal(in.source(), in.frames, in.channels, rate, in.analysis_rate),
                                             in.model.stft, mask_alpha(in.model));
      } catch (const InvalidArgument& e) {  // the stems are written: the verdict goes without the estimates
        warn(std::string("no quality estimate: ") + e.what());
      }
    }
    nlohmann::json scores;  // null without a reference
    if (!a->reference.empty()) {
      std::vector<std::string> stems = groups.files;
      scores = evaluate_stems(a->reference, run->staging(), stems);
      scores["baselines"] = evaluate_baselines(a->reference, stems, in.model.stft, in.analysis_rate);
      report["scores"] = scores;
      const auto& m = scores["mean_SDR"];
      info(globals.quiet, "against " + a->reference + ": mean SDR " + (m.is_null() ? std::string("-inf") : std::to_string(m.get<double>())) + " dB");
    }
    report["verdict"] = make_verdict(report);
    const Score all_notes = stem_score(in);  // the notes the groups index
    if (!a->no_report) {
      const auto t3 = std::chrono::steady_clock::now();
      RunView view;
      view.separation = &s;
      view.score = &all_notes;
      view.warp = &in.warp;
      view.stem_ext = a->ext;
      view.stems_written = true;
      view.seconds = in.seconds();
      view.out_dir = a->out;
      view.progress = "report 4/4";
      view.quiet = globals.quiet;
      write_report(run->staging(), view, report, a->audio, scores, globals.force);
      report["timings_s"]["report"] = seconds_since(t3);
    }
    io::write_text((dir / "report.json").string(), report.dump(1) + "\n", globals.force);
    run->commit("report.json");
    std::string names;
    for (const auto& n : groups.files) names += (names.empty() ? "" : ", ") + n + ext;
    info(globals.quiet, "wrote " + a->out + ": " + names + ", report.json, W.npy, H.npy, index.json, loss.csv" +
                            (band ? std::string(", drums_W.npy, drums_H.npy") : std::string()) +
                            (a->no_report ? std::string() : ", report.html") + " (" +
                            format_seconds(seconds_since(t0)) + ")");
  });
}

}  // namespace notewise::cli
