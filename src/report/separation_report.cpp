#include "notewise/report/separation_report.hpp"

#include <cmath>
#include <filesystem>

#include "notewise/core/error.hpp"
#include "notewise/core/threads.hpp"
#include "notewise/io/atomic_file.hpp"
#include "notewise/io/audio.hpp"
#include "notewise/io/npy.hpp"
#include "notewise/io/output_run.hpp"
#include "notewise/report/run_json.hpp"
#include "notewise/report/verdict.hpp"
#include "notewise/version.hpp"

namespace notewise::report {

nlohmann::json separation_json(const PreparedRecording& in, Index frames, int channels, int sample_rate, const Separation& s,
                               const SeparationFacts& facts) {
  const Grouping& groups = s.groups;
  const bool band = !in.drums.empty();
  const double seconds = sample_rate > 0 ? static_cast<double>(frames) / sample_rate : 0.0;
  nlohmann::json jg = nlohmann::json::array();
  for (std::size_t k = 0; k < groups.names.size(); ++k)
    jg.push_back({{"name", groups.names[k]},
                  {"notes", groups.notes[k].size()},
                  {"file", groups.files[k] + "." + facts.stem_ext},
                  {"automatic", static_cast<int>(k) == groups.automatic_rest},  // notes no group selection took
                  {"model", k < in.groups.names.size() ? "harmonic" : "drum template (NMFD)"},
                  {"rms", k < facts.rms.size() ? nlohmann::json(facts.rms[k]) : nlohmann::json(nullptr)}});
  const Decomposition& d = s.decomposition;
  const nlohmann::json timbre = timbre_json(in.timbre, facts.spell);
  return {
      {"version", kVersion},
      {"command", "separate"},
      {"input", {{"audio", facts.audio}, {"sample_rate", sample_rate}, {"channels", channels}, {"seconds", seconds},
                 {"notes", in.score.size()}}},
      {"parameters", facts.parameters},
      {"decisions", facts.decisions},
      {"timbre", timbre},
      {"score_fit", fit_json(in.fit)},
      {"groups", jg},
      {"stems", facts.stems},
      {"nmf", {{"iterations", d.run.iterations},
               {"sparse_path", d.run.sparse_path},
               {"templates", d.W.cols()},
               {"initial_loss", d.run.initial_loss},
               {"loss", d.run.loss}}},
      {"drums", band ? nlohmann::json{{"mode", facts.drums_mode}, {"notes", in.drums.size()}, {"classes", in.drum_classes.names},
                                      {"template_seconds", in.drum_model.template_seconds},
                                      {"template_iterations", in.drum_model.template_iterations},
                                      {"iterations", in.drum_model.iterations}, {"divergence", "kl"}}
                     : nlohmann::json(nullptr)},
      {"timings_s", facts.timings},
      {"timings_cpu_s", facts.cpu_timings},
      {"threads", threads::limit()},  // the limit the timings ran under (small jobs ran on one)
  };
}

void write_model_files(const std::string& dir_name, const PreparedRecording& in, const Separation& s, const std::string& stem_ext,
                       bool overwrite) {
  const std::filesystem::path dir(dir_name);
  const Grouping& groups = s.groups;
  const std::string ext = "." + stem_ext;
  io::write_npy((dir / "W.npy").string(), s.decomposition.W, overwrite);
  io::write_npy((dir / "H.npy").string(), s.decomposition.H, overwrite);
  nlohmann::json index = index_json(s.decomposition, in.score);
  if (!in.drums.empty()) {
    // The drum rows of the joint model: frame t of class c's template in column t * C + c.
    const DrumSeparation& d = s.drums;
    const Index P = d.first_drum_row, C = d.H.rows() - P, T = static_cast<Index>(d.W.size());
    MatrixXf W(d.W[0].rows(), C * T);
    for (Index t = 0; t < T; ++t) W.middleCols(t * C, C) = d.W[static_cast<std::size_t>(t)].rightCols(C);
    io::write_npy((dir / "drums_W.npy").string(), W, overwrite);
    io::write_npy((dir / "drums_H.npy").string(), MatrixXf(d.H.bottomRows(C)), overwrite);
    nlohmann::json classes = nlohmann::json::array();
    for (Index c = 0; c < C; ++c) {
      const auto k = static_cast<std::size_t>(c);
      classes.push_back({{"row", c}, {"class", in.drum_classes.names[k]}, {"notes", in.drum_classes.notes[k].size()},
                         {"frames", in.drum_model.template_frames(in.analysis_rate, in.drum_classes.names[k])}});
    }
    index["drums"] = {{"W", "drums_W.npy: bins x (template frames * classes), frame t of class c in column t * classes + c"},
                      {"H", "drums_H.npy: classes x frames"},
                      {"template_frames", T},
                      {"classes", classes}};
  }
  nlohmann::json index_groups = nlohmann::json::array();  // which file holds which group
  for (std::size_t k = 0; k < groups.names.size(); ++k) index_groups.push_back({{"name", groups.names[k]}, {"file", groups.files[k] + ext}});
  index["groups"] = index_groups;
  io::write_text((dir / "index.json").string(), index.dump(1) + "\n", overwrite);
  io::write_text((dir / "loss.csv").string(), loss_csv(s.decomposition.run.initial_loss, s.decomposition.run.loss), overwrite);
}

std::string add_quality(nlohmann::json& report, const PreparedRecording& in, const Separation& s,
                        const std::function<VectorXf()>& analysis) {
  try {
    report["quality"] = estimate_quality(s, in.groups.names.size(), analysis(), in.model.stft, mask_alpha(in.model));
  } catch (const InvalidArgument& e) {  // the stems are written: the verdict goes without the estimates
    return e.what();
  }
  return "";
}

nlohmann::json write_separation_report(const std::string& dir, const PreparedRecording& in,
                                       const Eigen::Ref<const MatrixXf>& samples, int sample_rate, Separation& s,
                                       SeparationFacts facts, RunView view, bool overwrite) {
  if (s.stems.size() != s.groups.names.size()) throw InvalidArgument("report: the run has no stems (resynthesise)");
  io::OutputRun run(dir, overwrite);
  const std::filesystem::path staging(run.staging());
  if (s.groups.files.size() != s.groups.names.size()) s.groups.files = file_stems(s.groups.names);
  facts.stem_ext = "wav";
  facts.rms.clear();
  const io::Encoding encoding{io::FileFormat::Wav, io::SampleFormat::Float32};
  for (std::size_t k = 0; k < s.stems.size(); ++k) {
    const MatrixXf& stem = s.stems[k];
    facts.rms.push_back(std::sqrt(stem.cast<double>().squaredNorm() / std::max<double>(1, static_cast<double>(stem.size()))));
    io::write_audio((staging / (s.groups.files[k] + ".wav")).string(), stem, sample_rate, encoding, overwrite);
  }
  facts.stems = {{"format", "wav"}, {"sample_rate", sample_rate}, {"sample_format", "float32"}, {"quality", nullptr}};
  write_model_files(run.staging(), in, s, "wav", overwrite);
  nlohmann::json report = separation_json(in, samples.rows(), static_cast<int>(samples.cols()), sample_rate, s, facts);
  if (in.alignment) report["alignment"] = alignment_json(*in.alignment);
  const VectorXf mono = mix_down(samples);
  add_quality(report, in, s, [&] { return resample_mono(mono, sample_rate, in.analysis_rate); });
  report["verdict"] = make_verdict(report);
  const Score notes = stem_score(in);
  const std::vector<std::pair<double, double>> warp = in.alignment ? in.alignment->warp : std::vector<std::pair<double, double>>{};
  view.separation = &s;
  view.score = &notes;
  view.warp = &warp;
  view.stem_ext = "wav";
  view.stems_written = true;
  view.seconds = sample_rate > 0 ? static_cast<double>(samples.rows()) / sample_rate : 0.0;
  const MatrixXf mix = samples;
  view.mix_samples = &mix;
  view.mix_rate = sample_rate;
  write_report(run.staging(), view, report, facts.audio, nullptr, overwrite);
  io::write_text((staging / "report.json").string(), report.dump(1) + "\n", overwrite);
  run.commit("report.json");
  return report;
}

}  // namespace notewise::report
