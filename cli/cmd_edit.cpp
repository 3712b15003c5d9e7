// notewise edit: re-mix the note groups of a recording with new gains; mute notes.
#include <algorithm>
#include <cmath>
#include <filesystem>

#include "notewise/core/error.hpp"
#include "notewise/io/atomic_file.hpp"
#include "audio_out.hpp"
#include "pipeline.hpp"
#include "run_groups.hpp"
#include "progress.hpp"

namespace notewise::cli {
namespace {

// "NAME=-6dB", "NAME=+3 dB" or "NAME=0.5" (linear factor) -> (name, linear gain).
std::pair<std::string, double> parse_gain(const std::string& text) {
  // The last '=': a group named after a label may hold one, a gain never does.
  const std::size_t eq = text.rfind('=');
  if (eq == std::string::npos || eq == 0) throw InvalidArgument("--gain " + text + ": expected GROUP=GAIN, e.g. left=-6dB");
  const std::string name = text.substr(0, eq);
  std::string value = text.substr(eq + 1);
  bool db = false;
  for (const char* suffix : {"dB", "db", "DB"})
    if (value.size() > 2 && value.compare(value.size() - 2, 2, suffix) == 0) {
      db = true;
      value = value.substr(0, value.size() - 2);
    }
  while (!value.empty() && value.back() == ' ') value.pop_back();
  double v = 0;
  try {
    std::size_t used = 0;
    v = std::stod(value, &used);
    if (used != value.size()) throw std::invalid_argument(value);
  } catch (const std::exception&) {
    throw InvalidArgument("--gain " + text + ": '" + value + "' is not a number");
  }
  const double gain = db ? std::pow(10.0, v / 20.0) : v;
  if (!std::isfinite(gain) || gain < 0 || gain > 1000) throw InvalidArgument("--gain " + text + ": gain must be in 0 .. 1000 (60 dB)");
  return {name, gain};
}

}  // namespace

void add_edit_command(CLI::App& app, Globals& globals) {
  struct Args {
    std::string audio, out;
    AudioOutArgs audio_out;
    std::vector<std::string> gains;
    std::string mute;
    ModelArgs model;
  };
  auto a = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("edit", "Re-mix a recording's note groups with new gains; mute notes");
  cmd->footer(
      "The recording is separated into groups (as 'separate'), each group is scaled by its gain and\n"
      "the groups are summed again: with every gain at 0 dB the output equals the input.\n"
      "Examples:\n"
      "  notewise edit mix.wav --score score.mid --gain left=-6dB --out quieter_left.wav\n"
      "  notewise edit mix.wav --score score.csv --mute 'pitch==60 && start<5' --out edited.flac\n"
      "  notewise edit mix.wav --score score.csv --group melody='label==right && pitch>=72' \\\n"
      "      --group rest=others --gain melody=+4dB --out melody_up.wav");
  cmd->add_option("audio", a->audio, "The recording (WAV, FLAC, OGG, MP3, ...)")->required();
  cmd->add_option("-o,--out", a->out, "Output audio file; its extension gives the format: .wav .flac .ogg .opus .mp3 .aiff")
      ->required();
  cmd->add_option("--gain", a->gains, "GROUP=GAIN, in dB ('-6dB') or as a factor ('0.5'); repeatable");
  cmd->add_option("--mute", a->mute, "Selection of notes to remove, e.g. 'pitch==60 && start<5'");
  a->audio_out.add_to(*cmd);
  a->model.add_to(*cmd, true);
  cmd->callback([a, &globals] {
    std::vector<std::pair<std::string, double>> gains;
    io::Encoding encoding;
    validate_options([&] {
      encoding = a->audio_out.encoding(io::file_format_of(a->out));
      a->model.finish();
      for (const auto& g : a->gains) gains.push_back(parse_gain(g));
      if (gains.empty() && a->mute.empty()) throw InvalidArgument("nothing to do: give --gain and/or --mute");
      try {
        if (!a->mute.empty()) parse_selection(a->mute);
      } catch (const InvalidArgument& e) {
        throw InvalidArgument(std::string("--mute: ") + e.what());
      }
    });
    const auto out_dir = std::filesystem::path(a->out).parent_path();
    io::ensure_output_dir(out_dir.empty() ? "." : out_dir.string());
    io::check_writable(a->out, globals.force);
    Input in = load_input(a->audio, a->model, globals);
    std::vector<GroupSpec> muted;
    if (!a->mute.empty()) {
      const NotePredicate pick = parse_selection(a->mute);
      if (std::none_of(in.score.notes().begin(), in.score.notes().end(), pick))
        throw InvalidArgument("--mute '" + a->mute + "' matches no note of " + a->model.score);
      muted.push_back({"(muted)", a->mute});
    }
    const Grouping groups = make_groups(in, a->model, globals, muted);
    std::vector<double> gain(groups.names.size(), 1.0);
    if (!a->mute.empty()) gain[0] = 0.0;
    for (const auto& [name, g] : gains) {
      // The group as written (a label's own characters), or the file name its stem would get.
      auto it = std::find(groups.names.begin() + static_cast<long>(muted.size()), groups.names.end(), name);
      if (it == groups.names.end()) {
        const auto f = std::find(groups.files.begin() + static_cast<long>(muted.size()), groups.files.end(), name);
        if (f != groups.files.end()) it = groups.names.begin() + (f - groups.files.begin());
      }
      if (it == groups.names.end()) {
        std::string known;
        for (std::size_t k = muted.size(); k < groups.names.size(); ++k) known += (known.empty() ? "" : ", ") + groups.names[k];
        throw InvalidArgument("--gain " + name + ": no such group (groups: " + known + ")");
      }
      gain[static_cast<std::size_t>(it - groups.names.begin())] = g;
    }
    ProgressBar nmf_bar("decompose", globals.quiet);
    ProgressBar synth_bar("resynthesise", globals.quiet);
    const Separation s = separate(in.analysis, a->model.rate, in.audio.samples, in.audio.sample_rate, in.score, groups,
                                  a->model.options, nmf_progress(nmf_bar, a->model.options.decompose.nmf.max_iterations),
                                  [&](double f) { synth_bar.update(f); });
    synth_bar.finish();
    MatrixXf out = MatrixXf::Zero(in.audio.frames(), in.audio.channels());
    for (std::size_t k = 0; k < s.stems.size(); ++k) out += static_cast<float>(gain[k]) * s.stems[k];
    const float peak = out.cwiseAbs().maxCoeff();
    if (peak > 1.0f && encoding.sample != io::SampleFormat::Float32)
      warn(a->out + ": the edit peaks at " + std::to_string(20 * std::log10(peak)) +
           " dBFS and is clipped; lower the gains or write float32 WAV/AIFF");
    const int rate = io::write_audio(a->out, out, in.audio.sample_rate, encoding, globals.force);
    if (rate != in.audio.sample_rate)
      notice(globals.quiet, a->out + ": " + io::extension_of(encoding.format) + " stores " + std::to_string(rate) +
                                " Hz; resampled from " + std::to_string(in.audio.sample_rate) + " Hz");
    info(globals.quiet, "wrote " + a->out);
  });
}

}  // namespace notewise::cli
