#include "notewise/pipeline/memory.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <set>

#include "notewise/core/error.hpp"

namespace notewise {

namespace {
constexpr double kFloat = 4, kComplex = 8;
// The program, its libraries, FFTW plans and thread stacks: measured RSS of a run on a few
// seconds of audio (docs/PERFORMANCE.md).
constexpr double kFixed = 30e6;
// NMF work space in spectrograms of V's size, by path (docs/PERFORMANCE.md): the sparse KL path
// (a score's start with KL, the default) keeps per-frame columns only, about 5 % of V measured
// at 60 minutes; the dense KL path one K x N workspace, the beta path two, dense Euclidean none.
double nmf_work(const nmf::Options& o) {
  if (o.divergence == nmf::Divergence::Beta && o.beta != 1 && o.beta != 2) return 2;
  const bool kl = o.divergence == nmf::Divergence::KullbackLeibler || (o.divergence == nmf::Divergence::Beta && o.beta == 1);
  if (!kl) return 0.05;
  return o.path == nmf::Path::Dense ? 1 : 0.05;
}
}  // namespace

MemoryEstimate estimate_memory(long long frames, int sample_rate, int channels, const Score& score,
                               const PipelineOptions& o, bool resynthesise, bool streamed, bool stems_whole,
                               bool spilled) {
  if (frames <= 0 || sample_rate <= 0 || channels <= 0)
    throw InvalidArgument("estimate_memory: the audio has no samples (frames " + std::to_string(frames) + ", rate " +
                          std::to_string(sample_rate) + ", channels " + std::to_string(channels) + ")");
  const double L = static_cast<double>(frames), C = channels;
  const double La = std::ceil(L * o.analysis_rate / sample_rate);
  const StftOptions& sa = o.model.stft;
  const double K = sa.bins(), N = 1 + std::floor(La / sa.hop);
  const StftOptions sn = native_stft(sa, o.analysis_rate, sample_rate);
  const double Kn = sn.bins();
  // Groups: as given, else one per label; edit's mute adds one.
  double G = o.groups.empty() ? static_cast<double>(std::max<std::size_t>(1, score.labels().size())) : o.groups.size();
  if (!o.mute.empty()) G += 1;
  // Template rows: a pitch and an onset row per pitch and timbre source (at most one per label).
  std::set<std::pair<std::string, int>> rows;
  for (const auto& n : score.notes()) rows.insert({o.timbre == Timbre::Shared ? std::string() : n.label, n.pitch});
  const double R = 2.0 * std::max<std::size_t>(1, rows.size());

  const double audio = kFloat * L * C, analysis = kFloat * La, V = kFloat * K * N;
  const double factors = kFloat * (K * R + 2 * R * N);  // W, H and the running H of a group
  const bool views = o.model.keep_views;
  // Streamed, the recording is read, mixed down and resampled block by block: only the analysis
  // signal grows (pipeline.hpp: analysis_signal).
  std::vector<MemoryPart> base = {
      {streamed ? "the analysis signal and the factors W, H" : "the decoded recording", streamed ? analysis + factors : audio,
       streamed ? "a lower {setting:sr}" : "a shorter recording"},
  };
  if (!streamed) base.push_back({"the analysis signal and the factors W, H", analysis + factors, "a lower {setting:sr}"});
  std::vector<MemoryPart> read = base;
  // The score-fit check or the alignment (align_score): per 10 ms frame the 128 pitch energies,
  // two onset curves and two release curves per pitch the score uses, and about 150 floats of
  // features, cost rows and DTW path (fitted to the hour's measured peak: docs/PERFORMANCE.md).
  std::vector<MemoryPart> fit = base;
  if (o.align || o.check_fit) {  // align_auto acts on the fit check only: it costs nothing without it
    std::set<int> pitches;
    for (const auto& n : score.notes()) pitches.insert(n.pitch);
    const double frames_aligned = L / sample_rate * AlignOptions{}.feature_rate;  // the rate prepare_recording aligns at
    fit.push_back({o.align ? "the alignment's features" : "the score-fit check's features",
                   kFloat * frames_aligned * (128 + 4.0 * static_cast<double>(pitches.size()) + 150),
                   "a shorter recording"});
  }
  const char* fewer = resynthesise ? "a larger {setting:hop} or fewer {setting:groups}" : "a larger {setting:hop} or fewer labels";
  // In a store, V is formed and read a segment at a time (columns.hpp: segments of 4096 frames).
  const double segment = kFloat * K * std::min(N, 4096.0);
  const std::string or_disk = streamed && spills_spectrogram(o.model, false) ? "{setting:spectrogram=disk}, " : "";
  std::vector<MemoryPart> spectrogram = base;
  spectrogram.push_back(spilled ? MemoryPart{"a segment of V", segment, "a smaller {setting:n_fft}"}
                                : MemoryPart{"spectrogram V", V, or_disk + "a larger {setting:hop} or a lower {setting:sr}"});
  // Streamed with stems (separate_prepared with a source), the analysis signal is freed once V
  // is formed: the two meet only while V is filled; the NMF and the resynthesis hold V alone.
  if (streamed && resynthesise) base.front() = {"the factors W, H", factors, "a larger {setting:hop}"};
  // The views (views.hpp) are built while V is at hand and kept to the end.
  if (o.model.view_columns > 0)
    base.push_back({"the report's views", kFloat * static_cast<double>(log_axis(o.analysis_rate / 2).rows) *
                                              std::min<double>(N, static_cast<double>(o.model.view_columns)) * (1 + 2 * G),
                    "{setting:no_report} or fewer {setting:groups}"});
  std::vector<MemoryPart> nmf = base;
  if (spilled)
    nmf.push_back({"a segment of V and the NMF work space", segment + nmf_work(o.model.decompose.nmf) * V,
                   "a larger {setting:hop} or a lower {setting:sr}"});
  else
    nmf.push_back({"spectrogram V and the NMF work space", (1 + nmf_work(o.model.decompose.nmf)) * V,
                   or_disk + "a larger {setting:hop} or a lower {setting:sr}"});
  std::vector<MemoryPart> synth = base;
  if (views) synth.push_back({"spectrogram V and the analysis masks", V * (1 + G), fewer});
  if (resynthesise) {
    // Resynthesis runs block by block (separate.hpp: resynthesise): a block's STFT, masks and
    // frames are fixed; the stems grow with the length unless they are streamed too.
    const double block = 128;
    synth.push_back({streamed && !stems_whole ? "the groups' activations" : "the stems",
                     // Kept for listening copies, the stems and their sum (the copy of the mix).
                     // The groups' activations on their own rows (row_activations): one H, about twice
                     // where groups share a timbre's pitch rows (a piano's hands).
                     kFloat * ((streamed ? (stems_whole ? (G + 1) * L * C : 0) : G * L * C + L) + std::min(G, 2.0) * R * N),
                     "fewer {setting:groups}"});
    synth.push_back({"a block of the input-rate STFT, masks and frames",
                     block * (kComplex * Kn + G * kFloat * (Kn + sn.n_fft) + G * kFloat * K * 3) +
                         (streamed ? kFloat * C * (block * sn.hop + sn.n_fft) * (G + 1) : 0),
                     "a smaller {setting:n_fft}"});
  }
  auto total = [](const std::vector<MemoryPart>& p) {
    double s = kFixed;
    for (const auto& x : p) s += x.bytes;
    return s;
  };
  MemoryEstimate e;
  for (const auto* phase : {&read, &fit, &spectrogram, &nmf, &synth})
    if (total(*phase) > e.bytes) {
      e.bytes = total(*phase);
      e.parts = *phase;
    }
  std::stable_sort(e.parts.begin(), e.parts.end(), [](const MemoryPart& a, const MemoryPart& b) { return a.bytes > b.bytes; });
  return e;
}

double spectrogram_bytes(long long frames, int sample_rate, const PipelineOptions& o) {
  if (frames <= 0 || sample_rate <= 0) return 0;
  const double La = std::ceil(static_cast<double>(frames) * o.analysis_rate / sample_rate);
  return kFloat * o.model.stft.bins() * (1 + std::floor(La / o.model.stft.hop));
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

double memory_available() {
  std::ifstream in("/proc/meminfo");
  std::string key, unit;
  double kb = 0;
  while (in >> key >> kb >> unit)
    if (key == "MemAvailable:") return kb * 1024;
  return 0;
}

SpectrogramPlan plan_spectrogram(long long frames, int sample_rate, int channels, const Score& score,
                                 const PipelineOptions& po, const std::string& spectrogram, double limit,
                                 const std::string& limit_source, const std::string& audio_name, bool resynthesise,
                                 bool streamed, bool stems_whole, bool can_spill) {
  const auto estimate = [&](bool spilled) {
    return estimate_memory(frames, sample_rate, channels, score, po, resynthesise, streamed, stems_whole, spilled);
  };
  SpectrogramPlan plan;
  plan.on_disk = spectrogram == "disk" && can_spill;
  plan.decision = plan.on_disk ? Decision{"disk", "asked for (spectrogram: disk)"}
                  : spectrogram == "memory" ? Decision{"memory", "asked for (spectrogram: memory)"}
                  : !can_spill ? Decision{"memory", "this run reads V whole (a model other than NMF with the KL loss, or held in memory)"}
                               : Decision{"memory", "V (" + format_bytes(spectrogram_bytes(frames, sample_rate, po)) +
                                                        ") is within " + format_bytes(kSpectrogramInMemory) + " and the run fits"};
  MemoryEstimate e = estimate(plan.on_disk);
  if (spectrogram == "auto" && can_spill) {
    const double v = spectrogram_bytes(frames, sample_rate, po);
    const bool large = v > kSpectrogramInMemory;
    if (large || (limit > 0 && e.bytes > limit)) {
      plan.on_disk = true;
      plan.decision = {"disk", large ? "V (" + format_bytes(v) + ") exceeds " + format_bytes(kSpectrogramInMemory)
                                     : "the run would not fit in " + format_bytes(limit) + " (" + limit_source + ") with V in memory"};
      e = estimate(true);
    }
  }
  if (limit <= 0 || e.bytes <= limit) return plan;
  const MemoryPart& big = e.parts.front();
  throw Error(audio_name + ": this run needs about " + format_bytes(e.bytes) + " of memory, more than the " +
              format_bytes(limit) + " available (" + limit_source + "); the largest part is " + big.what + " (" +
              format_bytes(big.bytes) + "): lower it with " + big.lower + ", or set {setting:max_memory}");
}

}  // namespace notewise
