// notewise align: synchronise a score with a recording.
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "notewise/align/align.hpp"
#include "notewise/core/error.hpp"
#include "notewise/io/atomic_file.hpp"
#include "notewise/io/resample.hpp"
#include "pipeline.hpp"
#include "progress.hpp"

namespace notewise::cli {

void add_align_command(CLI::App& app, Globals& globals) {
  struct Args {
    std::string audio, score, out, warp, label_by = "track";
    std::vector<double> weights{1.0, 1.0, 1.0};
    bool no_onsets = false, strict = false, pedal = false;
    AlignOptions options;
  };
  auto a = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("align", "Synchronise a score (MIDI or CSV) with a recording of it");
  cmd->footer(
      "Chroma and onset features of the audio and of the score, multiscale DTW (3 levels), and a\n"
      "monotonic warp that moves every onset and offset to audio time.\n"
      "Writes OUT (the same rows in the same order; a CSV score keeps its columns, only start and\n"
      "duration change; a MIDI score is written as start,duration,pitch,velocity,label; an OUT\n"
      "ending in .mid gets a MIDI file, one track per label) and\n"
      "warp.csv beside it (score_s,audio_s). Prints the normalised path cost: 0.14-0.29 for the\n"
      "right piece, 0.64-0.72 for another (measured); above 0.45 it is flagged as poor (exit 1\n"
      "with --strict).\n"
      "Example: notewise align rec.wav --score downloaded.mid --out aligned.csv");
  cmd->add_option("audio", a->audio, "The recording")->required();
  cmd->add_option("-s,--score", a->score, "The score to synchronise (.csv or .mid)")->required();
  cmd->add_option("-o,--out", a->out, "Aligned score: .csv, or .mid for a Standard MIDI File")->required();
  cmd->add_option("--warp", a->warp, "Where to write the warp (default: warp.csv beside --out)");
  cmd->add_option("--step-weights", a->weights, "DTW weights of the steps (1,1),(1,0),(0,1)")
      ->delimiter(',')->expected(3)->capture_default_str();
  cmd->add_option("--feature-rate", a->options.feature_rate, "Feature frames per second")->capture_default_str()->check(CLI::Range(1.0, 1000.0));
  cmd->add_option("--levels", a->options.dtw.levels, "Multiscale DTW levels")->capture_default_str()->check(CLI::Range(1, 8));
  cmd->add_option("--radius", a->options.dtw.radius, "Band radius around the coarser path, in frames")->capture_default_str()->check(CLI::Range(1, 100000));
  cmd->add_flag("--no-onset-features", a->no_onsets, "Chroma features only");
  cmd->add_flag("--strict", a->strict, "Exit with 1 when the alignment is flagged as poor");
  cmd->add_option("--label-by", a->label_by, "MIDI labels from: track | channel | program")
      ->capture_default_str()->check(CLI::IsMember({"track", "channel", "program"}));
  cmd->add_flag("--pedal", a->pedal, "MIDI: extend notes held by the sustain pedal");
  cmd->callback([a, &globals] {
    validate_options([&] {
      a->options.dtw.weights = {a->weights.at(0), a->weights.at(1), a->weights.at(2)};
      a->options.onset_features = !a->no_onsets;
      a->options.validate();
    });
    const std::filesystem::path out(a->out);
    const std::string warp = a->warp.empty() ? (out.parent_path() / "warp.csv").string() : a->warp;
    io::ensure_output_dir(out.parent_path().empty() ? "." : out.parent_path().string());
    io::check_writable(a->out, globals.force);
    io::check_writable(warp, globals.force);
    io::MidiOptions mo;
    mo.label_by = a->label_by == "channel" ? io::LabelBy::Channel : a->label_by == "program" ? io::LabelBy::Program : io::LabelBy::Track;
    mo.sustain_pedal = a->pedal;
    const Score score = io::read_score(a->score, mo);
    const io::Audio audio = io::read_audio(a->audio);
    const VectorXf mono = io::resample(audio.mono(), audio.sample_rate, 22050).col(0);
    if (mono.cwiseAbs().maxCoeff() == 0.0f) throw IoError(a->audio, "the audio is silent: there is nothing to align to");
    const Alignment al = align_score(mono, 22050, score, a->options);

    std::ostringstream w;
    w.precision(6);
    w << std::fixed << "score_s,audio_s\n";
    for (const auto& [s, t] : al.warp) w << s << "," << t << "\n";
    const std::string ext = out.extension().string();
    std::string text;
    if (ext == ".mid" || ext == ".midi") {
      io::write_midi_score(a->out, al.aligned, globals.force);
    } else if (a->score.size() > 4 && (a->score.substr(a->score.size() - 4) == ".csv" || a->score.substr(a->score.size() - 4) == ".CSV")) {
      std::ifstream f(a->score, std::ios::binary);
      std::stringstream ss;
      ss << f.rdbuf();
      text = io::replace_csv_times(ss.str(), al.aligned, a->score);
      io::write_text(a->out, text, globals.force);
    } else {
      io::write_csv_score(a->out, al.aligned, globals.force);
    }
    io::write_text(warp, w.str(), globals.force);
    char line[256];
    std::snprintf(line, sizeof line, "aligned %zu notes; normalised path cost %.3f%s%s%s; wrote %s and %s", score.size(), al.cost,
                  al.poor ? " (POOR: " : "", al.problem.c_str(), al.poor ? "; is this the right score for this recording?)" : "",
                  a->out.c_str(), warp.c_str());
    if (al.poor) warn(line);
    else info(globals.quiet, line);
    if (al.poor && a->strict) throw Error(a->audio + ": the alignment is poor: " + al.problem);
  });
}

}  // namespace notewise::cli
