#include "notewise/separation/separate.hpp"

#include <algorithm>
#include <cmath>

#include "notewise/core/error.hpp"

namespace notewise {

void SeparationOptions::validate() const {
  stft.validate();
  require(alpha >= 0 && alpha <= 10, "alpha", alpha, "in (0, 10] (0: by instrument)");
  decompose.validate();
}

SeparationOptions SeparationOptions::tuned() {
  SeparationOptions o;
  o.decompose.constraints.partial_power = 2.0;
  o.decompose.constraints.onset_before = 0.15;
  o.decompose.constraints.after = 1.0;
  // Templates learnt in the first 50 iterations, then held: more iterations refine the
  // activations instead of letting free templates drift to the other sources (Bach10 01-05,
  // 200 iterations: 6.34 dB learning W throughout, 6.46 dB held after 50 = the 50-iteration run).
  o.decompose.template_iterations = 50;
  return o;
}

double mask_alpha(const SeparationOptions& o) {
  if (o.alpha > 0) return o.alpha;
  for (const auto& s : o.decompose.constraints.sources)
    if (!is_struck(s.family)) return 1.0;
  return 2.0;
}

std::vector<MatrixXf> group_models(const Decomposition& d, const Grouping& groups) {
  std::vector<MatrixXf> out;
  out.reserve(groups.names.size());
  for (const auto& notes : groups.notes) out.push_back(d.W * activations_of(d, notes));
  return out;
}

std::vector<MatrixXf> soft_masks(const std::vector<MatrixXf>& models, double alpha) {
  require(alpha > 0, "alpha", alpha, "> 0");
  if (models.empty()) throw InvalidArgument("soft_masks: no groups");
  const Index K = models[0].rows(), N = models[0].cols();
  for (const auto& m : models)
    if (m.rows() != K || m.cols() != N) throw InvalidArgument("soft_masks: group models differ in shape");
  const float a = static_cast<float>(alpha);
  std::vector<MatrixXf> masks;
  for (const auto& m : models) masks.push_back(a == 1.0f ? MatrixXf(m) : MatrixXf(m.array().max(0.0f).pow(a)));
  MatrixXf total = MatrixXf::Zero(K, N);
  for (const auto& p : masks) total += p;
  const float floor = std::max(1e-9f * total.maxCoeff(), std::numeric_limits<float>::min());
  const float G = static_cast<float>(masks.size());
  const MatrixXf denom = (total.array() + G * floor).matrix();
  for (auto& p : masks) p = ((p.array() + floor) / denom.array()).matrix();
  return masks;
}

StftOptions native_stft(const StftOptions& analysis, double analysis_rate, double rate) {
  if (rate == analysis_rate) return analysis;
  const double f = rate / analysis_rate;
  StftOptions o;
  o.n_fft = 2 * std::max(2, static_cast<int>(std::lround(analysis.n_fft * f / 2)));
  o.hop = std::clamp(static_cast<int>(std::lround(analysis.hop * f)), 1, o.n_fft / 2);
  return o;
}

MatrixXf map_mask(const MatrixXf& mask, const Geometry& from, const Geometry& to) {
  if (from.sample_rate == to.sample_rate && from.n_fft == to.n_fft && from.hop == to.hop && mask.cols() == to.frames)
    return mask;
  const Index K = to.bins(), N = to.frames, Kf = mask.rows(), Nf = mask.cols();
  // Positions of the target's bins and frames on the source grid.
  std::vector<std::pair<Index, float>> kpos(K), npos(N);
  for (Index k = 0; k < K; ++k) {
    const double x = std::clamp(k * to.bin_hz() / from.bin_hz(), 0.0, static_cast<double>(Kf - 1));
    const Index i = std::min<Index>(static_cast<Index>(x), Kf - 2 < 0 ? 0 : Kf - 2);
    kpos[k] = {i, static_cast<float>(x - i)};
  }
  for (Index n = 0; n < N; ++n) {
    const double x = std::clamp(n * to.frame_seconds() / from.frame_seconds(), 0.0, static_cast<double>(Nf - 1));
    const Index i = std::min<Index>(static_cast<Index>(x), Nf - 2 < 0 ? 0 : Nf - 2);
    npos[n] = {i, static_cast<float>(x - i)};
  }
  MatrixXf out(K, N);
#pragma omp parallel for schedule(static)
  for (Index n = 0; n < N; ++n) {
    const auto [j, b] = npos[n];
    const Index j1 = std::min(j + 1, Nf - 1);
    for (Index k = 0; k < K; ++k) {
      const auto [i, a] = kpos[k];
      const Index i1 = std::min(i + 1, Kf - 1);
      out(k, n) = (1 - b) * ((1 - a) * mask(i, j) + a * mask(i1, j)) + b * ((1 - a) * mask(i, j1) + a * mask(i1, j1));
    }
  }
  return out;
}

Separation model_groups(const Eigen::Ref<const VectorXf>& analysis, double analysis_rate, const Score& score,
                        const Grouping& groups, const SeparationOptions& options, const nmf::Callback& on_iteration) {
  options.validate();
  if (groups.names.empty()) throw InvalidArgument("separate: no groups");
  Separation s;
  s.groups = groups;
  s.V = stft(analysis, options.stft).cwiseAbs();
  const Geometry g = Geometry::of(options.stft, analysis_rate, s.V.cols());
  s.decomposition = decompose(s.V, score, g, options.decompose, on_iteration);
  s.masks = soft_masks(group_models(s.decomposition, groups), mask_alpha(options));
  return s;
}

Separation separate(const Eigen::Ref<const VectorXf>& analysis, double analysis_rate,
                    const Eigen::Ref<const MatrixXf>& native, double native_rate, const Score& score,
                    const Grouping& groups, const SeparationOptions& options, const nmf::Callback& on_iteration,
                    const std::function<void(double)>& progress) {
  Separation s = model_groups(analysis, analysis_rate, score, groups, options, on_iteration);
  s.stems = apply_masks(native, native_rate, s.masks, options.stft, analysis_rate, progress);
  return s;
}

std::vector<MatrixXf> apply_masks(const Eigen::Ref<const MatrixXf>& native, double native_rate,
                                  const std::vector<MatrixXf>& masks, const StftOptions& analysis_stft,
                                  double analysis_rate, const std::function<void(double)>& progress) {
  if (masks.empty()) return {};
  const Geometry g = Geometry::of(analysis_stft, analysis_rate, masks[0].cols());
  // Resynthesis: every channel at the native rate, each group's mask on its complex STFT.
  const StftOptions ns = native_stft(analysis_stft, analysis_rate, native_rate);
  const Geometry gn = Geometry::of(ns, native_rate, ns.frames(native.rows()));
  const std::size_t G = masks.size();
  std::vector<MatrixXf> native_masks;
  for (const auto& m : masks) native_masks.push_back(map_mask(m, g, gn));
  std::vector<MatrixXf> stems(G, MatrixXf(native.rows(), native.cols()));
  const double steps = static_cast<double>(native.cols() * G);
  for (Index c = 0; c < native.cols(); ++c) {
    const MatrixXcf Xc = stft(native.col(c), ns);
    for (std::size_t k = 0; k < G; ++k) {
      stems[k].col(c) = istft((Xc.array() * native_masks[k].array().cast<std::complex<float>>()).matrix(), ns, native.rows());
      if (progress) progress(static_cast<double>(c * G + k + 1) / steps);
    }
  }
  return stems;
}

}  // namespace notewise
