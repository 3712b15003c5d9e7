#include "notewise/report/stem_scores.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>

#include "json_number.hpp"
#include "notewise/core/error.hpp"
#include "notewise/core/stft.hpp"
#include "notewise/eval/bss_eval.hpp"
#include "notewise/io/audio.hpp"
#include "notewise/separation/separate.hpp"

namespace notewise::report {
namespace {

// The file's mono mix-down, `length` samples long (0: as long as the file), zero-padded or
// cut. References must share one rate (*rate, set by the first); an estimate at another rate
// (an Opus or MP3 stem) is resampled to it.
VectorXd mono_of(const std::string& path, Index length, int* rate, bool resample_to_rate) {
  const io::AudioInfo a = io::read_audio_info(path);
  if (*rate == 0) *rate = a.sample_rate;
  if (a.sample_rate != *rate && !resample_to_rate)
    throw IoError(path, "sample rate " + std::to_string(a.sample_rate) + " Hz differs from the other references' " +
                            std::to_string(*rate) + " Hz");
  const VectorXf mono = io::read_mono(path, *rate);
  VectorXd x = VectorXd::Zero(length > 0 ? length : mono.size());
  const Index n = std::min<Index>(x.size(), mono.size());
  x.head(n) = mono.head(n).cast<double>();  // shorter estimates are zero-padded, longer cut
  return x;
}

// Audio files libsndfile reads, by extension (lower case).
bool is_audio_file(const std::filesystem::path& p) {
  std::string e = p.extension().string();
  for (char& c : e) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const char* x : {".wav", ".flac", ".ogg", ".oga", ".opus", ".mp3", ".aiff", ".aif", ".au", ".caf", ".w64"})
    if (e == x) return true;
  return false;
}

// The file of stem `name` in `dir`: NAME.<any audio extension>; IoError if none or several.
std::string stem_file(const std::string& dir, const std::string& name) {
  std::vector<std::string> found;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    if (e.path().stem() == name && is_audio_file(e.path())) {
      if (e.is_directory()) throw IoError(e.path().string(), "is a folder, not an audio file");
      found.push_back(e.path().string());
    }
  if (found.empty())
    throw IoError((std::filesystem::path(dir) / (name + ".wav")).string(), "no such file (nor " + name + ".flac, .ogg, .mp3, ...)");
  if (found.size() > 1) {
    std::sort(found.begin(), found.end());
    throw IoError(found[0], "stem '" + name + "' is ambiguous: also " + found[1]);
  }
  return found[0];
}

}  // namespace

namespace {

struct References {
  std::vector<std::string> stems;
  MatrixXd R;  // stems x samples
  int rate = 0;
};

// Every reference stem read and checked: found (any audio extension), one rate, not silent, at
// least as long as the distortion filter.
References load_references(const std::string& reference, std::vector<std::string> stems, int filter_length) {
  if (stems.empty()) {
    for (const auto& e : std::filesystem::directory_iterator(reference))
      if (e.is_regular_file() && is_audio_file(e.path()) && e.path().stem() != "mix") stems.push_back(e.path().stem().string());
    std::sort(stems.begin(), stems.end());
    stems.erase(std::unique(stems.begin(), stems.end()), stems.end());
  }
  if (stems.size() < 1) throw IoError(reference, "holds no reference stems (audio files other than mix.*)");
  References refs;
  refs.stems = stems;
  const std::string first_path = stem_file(reference, stems[0]);
  const VectorXd first = mono_of(first_path, 0, &refs.rate, false);
  // BSS Eval's distortion filter needs a reference at least as long as the filter.
  if (first.size() < filter_length)
    throw IoError(first_path, "holds " + std::to_string(first.size()) + " samples; scoring needs at least " +
                                  std::to_string(filter_length) + " (the distortion filter's length)");
  refs.R.resize(static_cast<Index>(stems.size()), first.size());
  for (std::size_t i = 0; i < stems.size(); ++i) {
    const std::string path = stem_file(reference, stems[i]);
    refs.R.row(static_cast<Index>(i)) = i == 0 ? first : mono_of(path, first.size(), &refs.rate, false);
    if (refs.R.row(static_cast<Index>(i)).squaredNorm() == 0) throw IoError(path, "reference stem is silent");
  }
  return refs;
}

}  // namespace

void check_reference_stems(const std::string& reference, const std::vector<std::string>& stems, int filter_length) {
  (void)load_references(reference, stems, filter_length);
}

nlohmann::json evaluate_stems(const std::string& reference, const std::string& estimate, std::vector<std::string> stems_in,
                              int filter_length) {
  References refs = load_references(reference, std::move(stems_in), filter_length);
  const std::vector<std::string>& stems = refs.stems;
  const MatrixXd& R = refs.R;
  MatrixXd E(R.rows(), R.cols());
  for (std::size_t i = 0; i < stems.size(); ++i)
    E.row(static_cast<Index>(i)) = mono_of(stem_file(estimate, stems[i]), R.cols(), &refs.rate, true);
  const BssScores s = bss_eval_sources(R, E, filter_length);
  double mean_sdr = 0, mean_si = 0;
  for (std::size_t i = 0; i < stems.size(); ++i) {
    mean_sdr += s.sdr[i] / static_cast<double>(stems.size());
    mean_si += s.si_sdr[i] / static_cast<double>(stems.size());
  }
  nlohmann::json j;
  for (std::size_t i = 0; i < stems.size(); ++i)
    j["stems"][stems[i]] = {{"SDR", number(s.sdr[i])},
                            {"SIR", number(s.sir[i])},
                            {"SAR", number(s.sar[i])},
                            {"SI_SDR", number(s.si_sdr[i])}};
  j["mean_SDR"] = number(mean_sdr);
  j["mean_SI_SDR"] = number(mean_si);
  return j;
}

namespace {

nlohmann::json scores_json(const std::vector<std::string>& stems, const BssScores& s) {
  double mean_sdr = 0, mean_si = 0;
  nlohmann::json j;
  for (std::size_t i = 0; i < stems.size(); ++i) {
    mean_sdr += s.sdr[i] / static_cast<double>(stems.size());
    mean_si += s.si_sdr[i] / static_cast<double>(stems.size());
    j["stems"][stems[i]] = {{"SDR", number(s.sdr[i])}, {"SIR", number(s.sir[i])}, {"SAR", number(s.sar[i])}, {"SI_SDR", number(s.si_sdr[i])}};
  }
  j["mean_SDR"] = number(mean_sdr);
  j["mean_SI_SDR"] = number(mean_si);
  return j;
}

}  // namespace

nlohmann::json evaluate_baselines(const std::string& reference, std::vector<std::string> stems_in, const StftOptions& analysis,
                                  double analysis_rate, int filter_length) {
  const References refs = load_references(reference, std::move(stems_in), filter_length);
  const StftOptions stft = native_stft(analysis, analysis_rate, refs.rate);
  const MatrixXd& R = refs.R;
  const Index S = R.rows(), n = R.cols();
  const VectorXd mix = R.colwise().sum().transpose();
  const MatrixXd as_mix = mix.transpose().replicate(S, 1);
  // The ideal ratio (power) mask of each reference on the mix's STFT.
  const VectorXf mixf = mix.cast<float>();
  const MatrixXcf X = notewise::stft(mixf, stft);
  MatrixXf total = MatrixXf::Zero(X.rows(), X.cols());
  std::vector<MatrixXf> power;
  for (Index i = 0; i < S; ++i) {
    const VectorXf r = R.row(i).transpose().cast<float>();
    power.push_back(notewise::stft(r, stft).cwiseAbs2());
    total += power.back();
  }
  MatrixXd ideal(S, n);
  for (Index i = 0; i < S; ++i) {
    // Bins where every reference is silent: split evenly (as the run's masks split what no
    // group explains).
    const MatrixXf mask = (total.array() > 0).select(power[static_cast<std::size_t>(i)].array() / total.array().max(1e-30f),
                                                     1.0f / static_cast<float>(S));
    ideal.row(i) = istft(X.cwiseProduct(mask), stft, n).cast<double>().transpose();
  }
  return {{"mix", scores_json(refs.stems, bss_eval_sources(R, as_mix, filter_length))},
          {"ideal_mask", scores_json(refs.stems, bss_eval_sources(R, ideal, filter_length))}};
}

}  // namespace notewise::report
