#include "notewise/report/drum_files.hpp"

#include <algorithm>
#include <filesystem>

#include "notewise/core/error.hpp"
#include "notewise/io/atomic_file.hpp"
#include "notewise/io/npy.hpp"
#include "notewise/report/app_figures.hpp"
#include "notewise/report/run_json.hpp"
#include "notewise/version.hpp"

namespace notewise::report {

MatrixXf drum_template_from(const std::string& path, int rate, const DrumOptions& o, int T) {
  const MatrixXf S = stft(io::read_mono(path, rate), o.stft).cwiseAbs();
  MatrixXf t = MatrixXf::Zero(S.rows(), T);
  const Index n = std::min<Index>(T, S.cols());
  t.leftCols(n) = S.leftCols(n);
  if (!(t.sum() > 0)) throw ParseError(path, 0, "is silent in its first " + std::to_string(T) + " frames");
  return t;
}

std::vector<std::pair<std::string, MatrixXf>> drum_templates(const std::string& folder, const Grouping& groups,
                                                             const std::vector<std::string>& files, int rate,
                                                             const DrumOptions& o) {
  std::vector<std::pair<std::string, MatrixXf>> starts;
  for (std::size_t k = 0; k < groups.names.size(); ++k) {
    const std::string& n = groups.names[k];
    const auto f = std::filesystem::path(folder) / (files[k] + ".wav");
    if (!std::filesystem::exists(f)) continue;  // that class is learnt from a flat start
    starts.push_back({n, drum_template_from(f.string(), rate, o, o.template_frames(rate, n))});
  }
  if (starts.empty()) throw IoError(folder, "holds no <class>.wav for any class (" + files.front() + ".wav, ...)");
  return starts;
}

nlohmann::json write_drum_files(const std::string& folder, const DrumRun& run, io::SampleFormat fmt, bool force) {
  const DrumScore& ds = *run.score;
  const DrumSeparation& d = *run.result;
  const io::Audio& audio = *run.audio;
  const DrumOptions& o = run.options;
  const Grouping &groups = ds.groups, &pitched_groups = ds.pitched_groups;
  const std::size_t first = pitched_groups.names.size();
  const auto stem_of = [&](std::size_t k) { return run.stems[k] + ".wav"; };  // k over the tracks, then the classes
  const auto dir = std::filesystem::path(folder);
  nlohmann::json jc = nlohmann::json::array();
  for (std::size_t k = 0; k < pitched_groups.names.size(); ++k) {
    io::write_wav((dir / stem_of(k)).string(), d.stems[k], audio.sample_rate, fmt, force);
    jc.push_back({{"name", pitched_groups.names[k]}, {"notes", pitched_groups.notes[k].size()},
                  {"file", stem_of(k)}, {"template", "harmonic (pitched track)"}});
  }
  for (std::size_t k = 0; k < groups.names.size(); ++k) {
    io::write_wav((dir / stem_of(first + k)).string(), d.stems[first + k], audio.sample_rate, fmt, force);
    const bool given = std::find(run.started.begin(), run.started.end(), groups.names[k]) != run.started.end();
    jc.push_back({{"name", groups.names[k]}, {"selection", ds.specs[k].selection}, {"notes", groups.notes[k].size()},
                  {"file", stem_of(first + k)},
                  {"template", given ? (run.fixed_templates ? "given, fixed" : "given") : "learnt"}});
  }
  const Index C = d.W[0].cols(), T = static_cast<Index>(d.W.size());
  MatrixXf W(d.V.rows(), C * T);
  for (Index t = 0; t < T; ++t) W.middleCols(t * C, C) = d.W[static_cast<std::size_t>(t)];
  io::write_npy((dir / "W.npy").string(), W, force);
  io::write_npy((dir / "H.npy").string(), d.H, force);
  io::write_npy((dir / "H0.npy").string(), d.H0, force);
  io::write_text((dir / "loss.csv").string(), loss_csv(d.initial_loss, d.loss), force);
  draw_drum_figures(d, o, run.analysis_rate, dir.string());
  return {
      {"version", kVersion},
      {"command", "drums"},
      {"input", {{"audio", run.audio_name}, {"score", run.score_name}, {"sample_rate", audio.sample_rate},
                 {"channels", audio.channels()}, {"seconds", audio.seconds()}, {"notes", ds.drums.size()}}},
      {"parameters", {{"rate", run.analysis_rate}, {"n_fft", o.stft.n_fft}, {"hop", o.stft.hop},
                      {"template_seconds", o.template_seconds}, {"cymbal_seconds", o.class_template_seconds[0].second},
                      {"template_frames", T}, {"pre_onset", o.pre_onset}, {"post_onset", o.post_onset}, {"decay", o.decay},
                      {"template_iterations", o.template_iterations}, {"iterations", o.iterations},
                      {"alpha", o.alpha}, {"divergence", "kl"}}},
      {"classes", jc},
      {"nmfd", {{"initial_loss", d.initial_loss}, {"loss", d.loss}}},
  };
}

}  // namespace notewise::report
