#include "run_input.hpp"

#include "help.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
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

void require_piano_range(const Score& score, const std::string& path, const std::string& what) {
  for (int p : score.pitches())
    if (p < PianoModel::kLowest || p > PianoModel::kHighest)
      throw ParseError(path, 0, "pitch " + std::to_string(p) + " is outside the range of " + what + " (" +
                                    std::to_string(PianoModel::kLowest) + " .. " + std::to_string(PianoModel::kHighest) + ")");
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


namespace {

// The library's plan of where V is kept (plan_spectrogram), from the file's header and the
// limit (--max-memory, else MemAvailable): before the audio is decoded or any output written.
SpectrogramPlan check_memory(const std::string& audio_path, const Score& score, const PipelineOptions& po, const ModelArgs& m,
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
    source = "{setting:max_memory}";
  } else {
    limit = memory_available();
  }
  const io::AudioInfo info = io::read_audio_info(audio_path);
  // A header outside read_audio's bounds: read_audio says what is wrong.
  if (info.frames <= 0 || info.channels < 1 || info.channels > io::kMaxChannels || info.sample_rate < io::kMinSampleRate ||
      info.sample_rate > io::kMaxSampleRate || info.frames * info.channels > io::kMaxAudioSamples)
    return {m.spectrogram == "disk" && can_spill, {}};
  // A report's listening copies keep a short run's stems whole (report/viewer.hpp).
  const std::size_t groups = po.groups.empty() ? std::max<std::size_t>(1, score.labels().size()) : po.groups.size();
  const bool copies = streamed && resynthesise && po.model.view_columns > 0 &&
                      keeps_listening_copies(static_cast<double>(info.frames) / info.sample_rate, info.channels, groups);
  return plan_spectrogram(info.frames, info.sample_rate, info.channels, score, po, m.spectrogram, limit, source, audio_path,
                          resynthesise, streamed, copies, can_spill);
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
  for (const auto& line : in.score_file.notices) notice(g.quiet, flag_text(line));
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
  const SpectrogramPlan place = check_memory(audio_path, score, po, m, resynthesise, in.reader != nullptr, can_spill);
  in.spectrogram_on_disk = place.on_disk;
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
  in.decisions.spectrogram = place.decision;
  for (const auto& msg : in.messages) {
    if (msg.level == PipelineMessage::Level::Warning) warn(flag_text(msg.text));
    else info(g.quiet, flag_text(msg.text));
  }
  if (in.spectrogram_on_disk && !in.drums.empty()) {
    // A band's joint model (drum notes) reads V whole (separate_prepared ignores the store).
    in.spectrogram_on_disk = false;
    in.decisions.spectrogram = {"memory", "the drum notes' joint model reads V whole"};
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
  warn_single_group(in, m);
  return in;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

double cpu_seconds() { return static_cast<double>(std::clock()) / CLOCKS_PER_SEC; }

nmf::Callback nmf_progress(ProgressBar& bar, int iterations) {
  return [&bar, iterations](const nmf::Progress& p) {
    char loss[48];
    std::snprintf(loss, sizeof loss, "loss %.4g", p.loss);
    bar.update(p.iteration, std::max(1, iterations), "it", loss);
    return true;
  };
}

}  // namespace notewise::cli
