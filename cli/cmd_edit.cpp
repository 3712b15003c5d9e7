// notewise edit: re-mix the note groups of a recording with new gains; mute notes.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <memory>

#include "notewise/core/error.hpp"
#include "notewise/io/atomic_file.hpp"
#include "notewise/io/column_file.hpp"
#include "notewise/separation/pitch_edit.hpp"
#include "audio_out.hpp"
#include "run_input.hpp"
#include "progress.hpp"

namespace notewise::cli {
namespace {

// The library's parsers (parse_group_gain, parse_transposition), their messages headed by the option and its text.
std::pair<std::string, double> parse_gain(const std::string& text) {
  try {
    return parse_group_gain(text);
  } catch (const InvalidArgument& e) {
    throw InvalidArgument("--gain " + text + ": " + e.what());
  }
}

Transposition parse_transpose(const std::string& text, bool time = false) {
  try {
    return parse_transposition(text, time);
  } catch (const InvalidArgument& e) {
    throw InvalidArgument((time ? "--shift-time " : "--transpose ") + text + ": " + e.what());
  }
}

struct EditArgs {
  std::string audio, out;
  AudioOutArgs audio_out;
  std::vector<std::string> gains;
  std::string mute;
  std::vector<std::string> transpose, shift_time;
  ModelArgs model;
};

// --transpose / --shift-time: the notes moved in pitch or time (load, decompose and shift).
void transpose_edit(EditArgs& a, const Globals& globals, const std::vector<Transposition>& transpositions, const io::Encoding& encoding) {
  ProgressBar load_bar("load", globals.quiet);
  load_bar.stage(1, 2);  // load, decompose (and shift)
  const Input in = load_input(a.audio, a.model, globals);
  load_bar.finish();
  ProgressBar bar("decompose", globals.quiet);
  bar.stage(2, 2);
  const PitchEdit e = transpose_notes(in.analysis, in.analysis_rate, in.audio.samples, in.audio.sample_rate, in.score,
                                      transpositions, in.model, {},
                                      nmf_progress(bar, in.model.decompose.nmf.max_iterations));
  bar.finish();
  for (std::size_t k = 0; k < transpositions.size(); ++k)
    info(globals.quiet, (transpositions[k].seconds != 0 ? "moved " : "transposed ") +
                            std::to_string(e.separation.groups.notes[k].size()) + " notes (" + transpositions[k].selection +
                            ") by " + (transpositions[k].seconds != 0 ? std::to_string(transpositions[k].seconds) + " s"
                                                                      : std::to_string(transpositions[k].semitones) + " semitones"));
  const float peak = e.audio.cwiseAbs().maxCoeff();
  if (peak > 1.0f && encoding.sample != io::SampleFormat::Float32)
    warn(a.out + ": the edit peaks at " + std::to_string(20 * std::log10(peak)) +
         " dBFS and is clipped; write float32 WAV/AIFF");
  const int rate = io::write_audio(a.out, e.audio, in.audio.sample_rate, encoding, globals.force);
  if (rate != in.audio.sample_rate)
    notice(globals.quiet, a.out + ": " + io::extension_of(encoding.format) + " stores " + std::to_string(rate) +
                              " Hz; resampled from " + std::to_string(in.audio.sample_rate) + " Hz");
  info(globals.quiet, "wrote " + a.out);
}

// --gain / --mute: the groups' stems times their gains, summed (load, decompose, resynthesise).
void remix_edit(EditArgs& a, const Globals& globals, const std::vector<std::pair<std::string, double>>& gains, const io::Encoding& encoding) {
  ProgressBar load_bar("load", globals.quiet);
  load_bar.stage(1, 3);  // load, decompose, resynthesise
  // The remix is written block by block as the stems come (in the formats that store the
  // input's rate), from a recording read block by block: nothing of the length is held whole.
  a.model.options.keep_views = false;
  Input in = load_input(a.audio, a.model, globals, a.mute, true, true);
  load_bar.finish();
  std::map<std::string, double> named;
  for (const auto& [name, g] : gains) named[name] = g;
  std::vector<double> gain;
  try {
    gain = group_gains(in.groups, named);
  } catch (const InvalidArgument& e) {
    throw InvalidArgument(std::string("--gain ") + e.what());
  }
  ProgressBar nmf_bar("decompose", globals.quiet);
  nmf_bar.stage(2, 3);
  ProgressBar synth_bar("resynthesise", globals.quiet);
  synth_bar.stage(3, 3);
  bool synthesising = false;
  const int in_rate = in.audio.sample_rate;
  const bool whole = !io::AudioWriter::streams(encoding, in_rate);
  std::unique_ptr<io::AudioWriter> writer;
  if (!whole) writer = std::make_unique<io::AudioWriter>(a.out, in.channels, in_rate, encoding, globals.force);
  MatrixXf out = whole ? MatrixXf(in.frames, in.channels) : MatrixXf(), part_sum;
  Index filled = 0;
  float peak = 0;
  const std::size_t G = in.groups.names.size();
  // remix(): the groups' stems times their gains, summed in group order (the sink hands
  // each block to every group in turn).
  // V in a temporary file beside the output (--spectrogram): the NMF holds a segment of it.
  std::unique_ptr<io::ColumnFile> spectrogram;
  if (in.spectrogram_on_disk) {
    const auto folder = std::filesystem::absolute(a.out).parent_path();
    spectrogram = std::make_unique<io::ColumnFile>(folder.string());
  }
  separate_prepared(
      in, in.frames, in.channels, in_rate, in.source(),
      [&](std::size_t k, const Eigen::Ref<const MatrixXf>& part) {
        if (k == 0) part_sum = MatrixXf::Zero(part.rows(), part.cols());
        part_sum += static_cast<float>(gain[k]) * part;
        if (k + 1 < G) return;
        peak = std::max(peak, part_sum.cwiseAbs().maxCoeff());
        if (whole) out.middleRows(filled, part_sum.rows()) = part_sum;
        else writer->write(part_sum);
        filled += part_sum.rows();
      },
      nmf_progress(nmf_bar, a.model.options.decompose.nmf.max_iterations),
      [&](double f) {
        if (!synthesising) {
          nmf_bar.finish();
          synth_bar.restart();
          synthesising = true;
        }
        synth_bar.update(f);
      },
      spectrogram.get());
  spectrogram.reset();
  synth_bar.finish();
  if (peak > 1.0f && encoding.sample != io::SampleFormat::Float32)
    warn(a.out + ": the edit peaks at " + std::to_string(20 * std::log10(peak)) +
         " dBFS and is clipped; lower the gains or write float32 WAV/AIFF");
  const int rate = whole ? io::write_audio(a.out, out, in_rate, encoding, globals.force) : in_rate;
  if (writer) writer->commit();
  if (rate != in_rate)
    notice(globals.quiet, a.out + ": " + io::extension_of(encoding.format) + " stores " + std::to_string(rate) +
                              " Hz; resampled from " + std::to_string(in_rate) + " Hz");
  info(globals.quiet, "wrote " + a.out);
}

}  // namespace

void add_edit_command(CLI::App& app, Globals& globals) {
  auto a = std::make_shared<EditArgs>();
  CLI::App* cmd = app.add_subcommand("edit", "Re-mix a recording's note groups with new gains; mute notes");
  cmd->footer(
      "The recording is separated into groups (as 'separate'), each group is scaled by its gain and\n"
      "the groups are summed again: with every gain at 0 dB the output equals the input.\n"
      "Examples:\n"
      "  notewise edit mix.wav --score score.mid --gain left=-6dB --out quieter_left.wav\n"
      "  notewise edit mix.wav --score score.csv --mute 'pitch==60 && start<5' --out edited.flac\n"
      "  notewise edit mix.wav --score score.csv --group melody='label==right && pitch>=72' \\\n"
      "      --group rest=others --gain melody=+4dB --out melody_up.wav\n"
      "  notewise edit mix.wav --score s.mid --transpose 'pitch==64 && start>10'=+1 --out edited.wav\n"
      "--transpose SELECTION=SEMITONES moves the selected notes: their share is separated, shifted\n"
      "with the Rubber Band library (R3 engine, formants preserved, high quality) and put back in\n"
      "place of the original share; where none of them sounds (0.25 s before an onset to 1.2 s\n"
      "after an offset, plus half an analysis window) the output is the input sample for sample\n"
      "(bit-identical with --format matching the input's). It is not combined with --gain/--mute.\n"
      "--shift-time SELECTION=SECONDS moves the selected notes' share in time the same way (later for\n"
      "a positive number), e.g. --shift-time 'pitch==67 && start>4'=+0.25; with --transpose too.");
  cmd->add_option("audio", a->audio, "The recording (WAV, FLAC, OGG, MP3, ...)")->required();
  cmd->add_option("-o,--out", a->out, "Output audio file; its extension gives the format: .wav .flac .ogg .opus .mp3 .aiff")
      ->required();
  cmd->add_option("--gain", a->gains, "GROUP=GAIN, in dB ('-6dB') or as a factor ('0.5'); repeatable");
  cmd->add_option("--mute", a->mute, "Selection of notes to remove, e.g. 'pitch==60 && start<5'");
  cmd->add_option("--transpose", a->transpose, "SELECTION=SEMITONES: shift these notes' pitch, e.g. 'pitch==64'=+1; repeatable");
  cmd->add_option("--shift-time", a->shift_time, "SELECTION=SECONDS: move these notes in time, e.g. 'pitch==64'=+0.25; repeatable");
  a->audio_out.add_to(*cmd);
  a->model.add_to(*cmd, kEdit);
  cmd->callback([a, &globals] {
    std::vector<std::pair<std::string, double>> gains;
    std::vector<Transposition> transpositions;
    io::Encoding encoding;
    validate_options([&] {
      encoding = a->audio_out.encoding(io::file_format_of(a->out));
      a->model.finish();
      for (const auto& g : a->gains) gains.push_back(parse_gain(g));
      for (const auto& t : a->transpose) transpositions.push_back(parse_transpose(t));
      for (const auto& t : a->shift_time) transpositions.push_back(parse_transpose(t, true));
      if (!transpositions.empty() && (!gains.empty() || !a->mute.empty() || !a->model.groups.empty()))
        throw InvalidArgument("--transpose and --shift-time are not combined with --gain, --mute or --group");
      if (gains.empty() && a->mute.empty() && transpositions.empty())
        throw InvalidArgument("nothing to do: give --gain, --mute, --transpose or --shift-time");
      try {
        if (!a->mute.empty()) parse_selection(a->mute);
      } catch (const InvalidArgument& e) {
        throw InvalidArgument(std::string("--mute: ") + e.what());
      }
    });
    const auto out_dir = std::filesystem::path(a->out).parent_path();
    io::ensure_output_dir(out_dir.empty() ? "." : out_dir.string());
    io::check_writable(a->out, globals.force);
    check_output_channels(a->audio, a->out, encoding);
    if (!transpositions.empty()) return transpose_edit(*a, globals, transpositions, encoding);
    remix_edit(*a, globals, gains, encoding);
  });
}

}  // namespace notewise::cli
