// notewise decompose: the score-informed NMF alone, with note-wise results.
#include <filesystem>
#include <memory>
#include <sstream>

#include "notewise/core/error.hpp"
#include "notewise/io/atomic_file.hpp"
#include "notewise/io/column_file.hpp"
#include "notewise/io/npy.hpp"
#include "notewise/io/output_run.hpp"
#include "notewise/version.hpp"
#include "run_input.hpp"
#include "progress.hpp"
#include "report_run.hpp"

namespace notewise::cli {

void add_decompose_command(CLI::App& app, Globals& globals) {
  struct Args {
    std::string audio, out;
    ModelArgs model;
  };
  auto a = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("decompose", "Score-informed NMF of a recording, with every note's share");
  cmd->footer(
      "Writes to DIR:\n"
      "  W.npy       templates, bins x rows (rows: one pitch template per pitch, then one onset template per pitch)\n"
      "  H.npy       activations, rows x frames\n"
      "  H_notes.npy each note's activation in its pitch row, notes x frames (rows in score order)\n"
      "  index.json  what each row is: kind (pitch|onset), pitch, the notes and labels it serves;\n"
      "              and the geometry: bin k at k*bin_hz Hz, frame n at n*frame_seconds s\n"
      "  notes.csv   per note: index,onset,offset,pitch,label,energy (sum of its model spectrogram)\n"
      "  loss.csv    iteration,loss;   report.json  every parameter (to repeat the run), timings\n"
      "  report.html with plots/: spectrogram, templates, activations over the score, label masks\n"
      "Example: notewise decompose mix.wav --score score.mid --out run/");
  cmd->add_option("audio", a->audio, "The recording (WAV, FLAC, OGG, MP3, ...)")->required();
  cmd->add_option("-o,--out", a->out, "Output folder (created if needed)")->required();
  a->model.add_to(*cmd, kDecompose);
  cmd->callback([a, &globals] {
    a->model.prepare();
    const auto t0 = std::chrono::steady_clock::now();
    std::vector<std::string> files{"W.npy", "H.npy", "H_notes.npy", "index.json", "notes.csv", "loss.csv", "report.json", "report.html"};
    if (a->model.align || a->model.align_auto) files.push_back("aligned.csv");  // auto: only if it aligns
    const auto run = prepare_outputs(a->out, files, globals);
    ProgressBar load_bar("load", globals.quiet);
    load_bar.stage(1, 3);  // load, decompose, report
    // No stems, so no samples held; the report draws from views, so neither V nor masks are kept.
    a->model.options.keep_views = false;
    a->model.options.view_columns = kViewColumns;
    const Input in = load_input(a->audio, a->model, globals, "", false, true);
    load_bar.finish();
    const auto& so = a->model.options;
    ProgressBar bar("decompose", globals.quiet);
    bar.stage(2, 3);
    // The decomposition with its label groups and masks: what the report shows (no stems). V
    // in a temporary file in the staging folder with --spectrogram disk (or auto, when large).
    std::unique_ptr<io::ColumnFile> spectrogram;
    if (in.spectrogram_on_disk) spectrogram = std::make_unique<io::ColumnFile>(run->staging());
    const Separation view_data = separate_prepared(in, in.audio.samples, in.audio.sample_rate, false,
                                                   nmf_progress(bar, so.decompose.nmf.max_iterations), {}, spectrogram.get());
    spectrogram.reset();
    bar.finish();
    const Decomposition& d = view_data.decomposition;

    const auto dir = std::filesystem::path(run->staging());
    const MatrixXf Hn = note_activations(d);
    const nlohmann::json index = index_json(d, in.score);
    io::write_npy((dir / "W.npy").string(), d.W, globals.force);
    io::write_npy((dir / "H.npy").string(), d.H, globals.force);
    io::write_npy((dir / "H_notes.npy").string(), Hn, globals.force);
    io::write_text((dir / "index.json").string(), index.dump(1) + "\n", globals.force);
    io::write_text((dir / "notes.csv").string(), report::notes_csv(in.score, note_energies(d)), globals.force);
    io::write_text((dir / "loss.csv").string(), loss_csv(d.run.initial_loss, d.run.loss), globals.force);
    ProgressBar report_bar("report 3/3", globals.quiet);
    const RunView view = run_view(view_data, in.score, &report_bar);
    nlohmann::json report = {{"version", kVersion},
                                   {"parameters", a->model.to_json(&in.decisions)},
        {"decisions", decisions_json(in.decisions)},
                                   {"timbre", timbre_json(in.timbre, flag_text)},
                                   {"input", {{"audio", a->audio}, {"notes", in.score.size()}}},
                                   {"timings_s", {{"total", seconds_since(t0)}}},
                                   {"nmf", {{"iterations", d.run.iterations}}}};
    write_align_outputs(run->staging(), a->model.score, in.alignment.get(), report, globals.force);  // aligned.csv, report["alignment"]
    report::write_report(run->staging(), view, report, a->audio, nullptr, globals.force);
    report_bar.finish();
    report["timings_s"]["total"] = seconds_since(t0);
    // The same name and layout as separate's run file (plot reads either).
    io::write_text((dir / "report.json").string(), report.dump(1) + "\n", globals.force);
    run->commit("report.json");
    info(globals.quiet, "wrote " + a->out + ": W.npy (" + std::to_string(d.W.rows()) + "x" + std::to_string(d.W.cols()) +
                            "), H.npy, H_notes.npy, index.json, notes.csv, loss.csv, report.json, report.html");
  });
}

}  // namespace notewise::cli
