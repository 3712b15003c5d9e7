#include "notewise/pipeline/memory.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <set>

#include "notewise/core/error.hpp"

namespace notewise {

namespace {
constexpr double kFloat = 4, kComplex = 8;
// The program, its libraries, FFTW plans and thread stacks: measured RSS of a run on a few
// seconds of audio (docs/PERFORMANCE.md).
constexpr double kFixed = 30e6;
// NMF work space in spectrograms of V's size (the model WH, the ratio V / WH and the
// numerator of an update, plus the complex STFT's half-freed pages): calibrated against peak RSS.
constexpr double kNmfWork = 5;
}  // namespace

MemoryEstimate estimate_memory(long long frames, int sample_rate, int channels, const Score& score,
                               const PipelineOptions& o, bool resynthesise, bool streamed) {
  if (frames <= 0 || sample_rate <= 0 || channels <= 0)
    throw InvalidArgument("estimate_memory: the audio has no samples (frames " + std::to_string(frames) + ", rate " +
                          std::to_string(sample_rate) + ", channels " + std::to_string(channels) + ")");
  const double L = static_cast<double>(frames), C = channels;
  const double La = std::ceil(L * o.analysis_rate / sample_rate);
  const StftOptions& sa = o.model.stft;
  const double K = sa.bins(), N = 1 + std::floor(La / sa.hop);
  const StftOptions sn = native_stft(sa, o.analysis_rate, sample_rate);
  const double Kn = sn.bins(), Nn = 1 + std::floor(L / sn.hop);
  // Groups: as given, else one per label; edit's mute adds one.
  double G = o.groups.empty() ? static_cast<double>(std::max<std::size_t>(1, score.labels().size())) : o.groups.size();
  if (!o.mute.empty()) G += 1;
  // Template rows: a pitch and an onset row per pitch and timbre source (at most one per label).
  std::set<std::pair<std::string, int>> rows;
  for (const auto& n : score.notes()) rows.insert({o.timbre == Timbre::Shared ? std::string() : n.label, n.pitch});
  const double R = 2.0 * std::max<std::size_t>(1, rows.size());

  const double audio = kFloat * L * C, analysis = kFloat * La, V = kFloat * K * N;
  const double factors = kFloat * (K * R + 2 * R * N);  // W, H and the running H of a group
  std::vector<MemoryPart> base = {
      {"the decoded recording", audio, "a shorter recording"},
      {"the analysis signal and the factors W, H", analysis + factors, "a lower --sr"},
  };
  std::vector<MemoryPart> nmf = base;
  nmf.push_back({"spectrogram V and the NMF work space", (1 + kNmfWork) * V, "a larger --hop or a lower --sr"});
  std::vector<MemoryPart> synth = base;
  if (resynthesise) {
    // Resynthesis runs block by block (separate.hpp: resynthesise): only the stems and H_g
    // grow with the length at the input rate; a block's STFT, masks and frames are fixed.
    const double block = 128;
    synth.push_back({"spectrogram V and the analysis masks", V * (1 + G), "a larger --hop or fewer --group"});
    synth.push_back({"the stems", kFloat * (G * L * C + L + G * R * N), "fewer --group"});
    synth.push_back({"a block of the input-rate STFT, masks and frames",
                     block * (kComplex * Kn + G * kFloat * (Kn + sn.n_fft) + G * kFloat * K * 3), "a smaller --n-fft"});
  } else {
    synth.push_back({"spectrogram V and the analysis masks", V * (1 + G), "a larger --hop or fewer labels"});
  }
  auto total = [](const std::vector<MemoryPart>& p) {
    double s = kFixed;
    for (const auto& x : p) s += x.bytes;
    return s;
  };
  MemoryEstimate e;
  const bool synth_peak = total(synth) >= total(nmf);
  e.parts = synth_peak ? synth : nmf;
  e.bytes = synth_peak ? total(synth) : total(nmf);
  std::stable_sort(e.parts.begin(), e.parts.end(), [](const MemoryPart& a, const MemoryPart& b) { return a.bytes > b.bytes; });
  return e;
}

std::string format_bytes(double bytes) {
  char s[32];
  if (bytes >= 1e9) std::snprintf(s, sizeof s, "%.2f GB", bytes / 1e9);
  else if (bytes >= 1e6) std::snprintf(s, sizeof s, "%.0f MB", bytes / 1e6);
  else std::snprintf(s, sizeof s, "%.0f kB", bytes / 1e3);
  return s;
}

double parse_bytes(const std::string& text) {
  std::size_t used = 0;
  double v = 0;
  try {
    v = std::stod(text, &used);
  } catch (const std::exception&) {
    throw InvalidArgument("'" + text + "' is not a size (e.g. 4G, 500M)");
  }
  std::string unit = text.substr(used);
  for (auto& c : unit) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (!unit.empty() && unit.back() == 'B') unit.pop_back();
  double scale = 1;
  if (unit == "K") scale = 1e3;
  else if (unit == "M") scale = 1e6;
  else if (unit == "G") scale = 1e9;
  else if (unit == "T") scale = 1e12;
  else if (!unit.empty()) throw InvalidArgument("'" + text + "': unknown unit (use K, M, G or T)");
  if (!std::isfinite(v) || v <= 0) throw InvalidArgument("'" + text + "': a size must be > 0");
  return v * scale;
}

}  // namespace notewise
