#include "notewise/separation/separate.hpp"

#include <algorithm>
#include <cmath>

#include "notewise/core/error.hpp"
#include "notewise/core/fft.hpp"

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
    if (!is_struck(s.family) && s.family != Family::Unknown) return 1.0;  // unknown: the neutral model's 2
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
  for (const auto& m : models)
    masks.push_back(a == 1.0f   ? MatrixXf(m)
                    : a == 2.0f ? MatrixXf(m.array().max(0.0f).square())  // the default: no powf per cell
                                : MatrixXf(m.array().max(0.0f).pow(a)));
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

namespace {

// Bilinear positions of the target's bins on the source's bins.
std::vector<std::pair<Index, float>> bin_positions(const Geometry& from, const Geometry& to, Index Kf) {
  std::vector<std::pair<Index, float>> kpos(static_cast<std::size_t>(to.bins()));
  for (Index k = 0; k < to.bins(); ++k) {
    const double x = std::clamp(k * to.bin_hz() / from.bin_hz(), 0.0, static_cast<double>(Kf - 1));
    const Index i = std::min<Index>(static_cast<Index>(x), Kf - 2 < 0 ? 0 : Kf - 2);
    kpos[k] = {i, static_cast<float>(x - i)};
  }
  return kpos;
}

// Position of target frame n on the source's frames (Nf of them): lower frame and weight.
std::pair<Index, float> frame_position(Index n, const Geometry& from, const Geometry& to, Index Nf) {
  const double x = std::clamp(n * to.frame_seconds() / from.frame_seconds(), 0.0, static_cast<double>(Nf - 1));
  const Index i = std::min<Index>(static_cast<Index>(x), Nf - 2 < 0 ? 0 : Nf - 2);
  return {i, static_cast<float>(x - i)};
}

// Target frames [n0, n0 + out.cols()) of a mask whose source frames [j0, j0 + part.cols()) are
// given (of Nf in all): the one interpolation both map_mask and the block resynthesis use.
void map_mask_frames(const Eigen::Ref<const MatrixXf>& part, Index j0, Index Nf,
                     const std::vector<std::pair<Index, float>>& kpos, const Geometry& from, const Geometry& to, Index n0,
                     Eigen::Ref<MatrixXf> out) {
  const Index K = out.rows(), Kf = part.rows();
#pragma omp parallel for schedule(static)
  for (Index c = 0; c < out.cols(); ++c) {
    const auto [jg, b] = frame_position(n0 + c, from, to, Nf);
    const Index j = jg - j0, j1 = std::min(jg + 1, Nf - 1) - j0;
    for (Index k = 0; k < K; ++k) {
      const auto [i, a] = kpos[k];
      const Index i1 = std::min(i + 1, Kf - 1);
      out(k, c) = (1 - b) * ((1 - a) * part(i, j) + a * part(i1, j)) + b * ((1 - a) * part(i, j1) + a * part(i1, j1));
    }
  }
}

// The groups' soft masks (soft_masks of group_models) on any run of frames, computed from W
// and each group's activations: the whole-piece masks are never needed at once. The floor
// depends on the largest model power over the whole piece, found once in chunks.
class BlockMasks {
 public:
  BlockMasks(const Decomposition& d, const Grouping& groups, double alpha)
      : W_(d.W), a_(static_cast<float>(alpha)) {
    require(alpha > 0, "alpha", alpha, "> 0");
    if (groups.names.empty()) throw InvalidArgument("masks: no groups");
    // Each group on its own rows: G groups hold about one H, not G (a score of many labels made
    // G copies of rows x frames).
    for (const auto& notes : groups.notes) H_.push_back(row_activations(d, notes));
    const Index N = d.H.cols(), chunk = 1024;
    float top = 0;
    MatrixXf total;
    for (Index j0 = 0; j0 < N; j0 += chunk) {  // a group at a time: one power at hand, not G
      const Index n = std::min(chunk, N - j0);
      total.setZero(W_.rows(), n);
      for (std::size_t k = 0; k < H_.size(); ++k) total += power(k, j0, n);
      top = std::max(top, total.maxCoeff());
    }
    floor_ = std::max(1e-9f * top, std::numeric_limits<float>::min());
  }

  // Per group, the masks of frames [j0, j0 + n).
  std::vector<MatrixXf> operator()(Index j0, Index n) const {
    auto p = powers(j0, n);
    MatrixXf denom = MatrixXf::Constant(W_.rows(), n, static_cast<float>(p.size()) * floor_);
    for (const auto& x : p) denom += x;
    for (auto& x : p) x = ((x.array() + floor_) / denom.array()).matrix();
    return p;
  }

 private:
  MatrixXf power(std::size_t k, Index j0, Index n) const {  // group k's (W H_k)^alpha on frames [j0, j0 + n)
    MatrixXf m = W_(Eigen::all, H_[k].rows) * H_[k].H.middleCols(j0, n);
    if (a_ == 1.0f) return m;
    if (a_ == 2.0f) return m.array().max(0.0f).square().matrix();  // the default: no powf per cell
    return MatrixXf(m.array().max(0.0f).pow(a_));
  }
  std::vector<MatrixXf> powers(Index j0, Index n) const {
    std::vector<MatrixXf> p;
    for (std::size_t k = 0; k < H_.size(); ++k) p.push_back(power(k, j0, n));
    return p;
  }
  const MatrixXf& W_;
  float a_;
  std::vector<RowActivations> H_;
  float floor_ = 0;
};

}  // namespace

std::vector<MatrixXf> group_masks(const Decomposition& d, const Grouping& groups, double alpha) {
  const BlockMasks block_masks(d, groups, alpha);
  const Index K = d.W.rows(), N = d.H.cols(), chunk = 1024;
  std::vector<MatrixXf> masks(groups.names.size(), MatrixXf(K, N));
  for (Index j0 = 0; j0 < N; j0 += chunk) {
    const Index n = std::min(chunk, N - j0);
    const auto p = block_masks(j0, n);
    for (std::size_t k = 0; k < p.size(); ++k) masks[k].middleCols(j0, n) = p[k];
  }
  return masks;
}

namespace {
// The views from V's chunks, chunk(j0, n) giving columns [j0, j0 + n).
template <class Chunk>
RunViews views_from_chunks(const Chunk& chunk, Index rows, Index cols, const Decomposition& d, const Grouping& groups,
                           double alpha, Index max_columns) {
  const BlockMasks block_masks(d, groups, alpha);
  // Every group's masks of a step of frames at once: fewer frames with many groups (about 256 MB).
  const Index per_frame = 2 * static_cast<Index>(groups.names.size()) * rows * static_cast<Index>(sizeof(float));
  const Index N = d.H.cols(), step = std::clamp<Index>((Index{256} << 20) / std::max<Index>(1, per_frame), 1, 1024);
  if (cols != N || rows != d.W.rows()) throw InvalidArgument("views: V is not the decomposition's shape");
  Geometry g = d.geometry;
  g.frames = N;
  ViewBuilder b(g, groups.names.size(), max_columns);
  for (Index j0 = 0; j0 < N; j0 += step) {
    const Index n = std::min(step, N - j0);
    b.add(j0, chunk(j0, n), block_masks(j0, n));
  }
  return b.finish();
}
}  // namespace

RunViews group_views(const Eigen::Ref<const MatrixXf>& V, const Decomposition& d, const Grouping& groups, double alpha,
                     Index max_columns) {
  return views_from_chunks([&](Index j0, Index n) { return V.middleCols(j0, n); }, V.rows(), V.cols(), d, groups,
                           alpha, max_columns);
}

RunViews group_views(const nmf::ColumnStore<float>& V, const Decomposition& d, const Grouping& groups, double alpha,
                     Index max_columns) {
  MatrixXf buffer;
  return views_from_chunks(
      [&](Index j0, Index n) {
        buffer.resize(V.rows(), n);
        V.read(j0, buffer);
        return Eigen::Ref<const MatrixXf>(buffer);
      },
      V.rows(), V.cols(), d, groups, alpha, max_columns);
}

MatrixXf map_mask(const MatrixXf& mask, const Geometry& from, const Geometry& to) {
  if (from.sample_rate == to.sample_rate && from.n_fft == to.n_fft && from.hop == to.hop && mask.cols() == to.frames)
    return mask;
  MatrixXf out(to.bins(), to.frames);
  map_mask_frames(mask, 0, mask.cols(), bin_positions(from, to, mask.rows()), from, to, 0, out);
  return out;
}

void resynthesise(const Decomposition& d, const Grouping& groups, double alpha, Index length, int channels,
                  double native_rate, const SampleSource& source, const StemSink& sink,
                  const std::function<void(double)>& progress, Index block_frames) {
  require(alpha > 0, "alpha", alpha, "> 0");
  require(block_frames >= 1, "block_frames", static_cast<double>(block_frames), ">= 1");
  if (groups.names.empty()) throw InvalidArgument("resynthesise: no groups");
  if (length <= 0 || channels <= 0) throw InvalidArgument("resynthesise: no samples");
  if (!source || !sink) throw InvalidArgument("resynthesise: no sample source or stem sink");
  const Geometry& g = d.geometry;
  const Index K = d.W.rows(), Nf = d.H.cols();
  const StftOptions sa{g.n_fft, g.hop};
  const StftOptions ns = native_stft(sa, g.sample_rate, native_rate);
  const Index L = length, Nn = ns.frames(L), hop = ns.hop;
  const Geometry gn = Geometry::of(ns, native_rate, Nn);
  const bool same = g.sample_rate == gn.sample_rate && g.n_fft == gn.n_fft && g.hop == gn.hop && Nf == Nn;
  const std::size_t G = groups.names.size();
  // A block holds each group's masks, powers and frames: with many groups, fewer frames a block
  // (about 256 MB in all; the result does not depend on the block size).
  const Index per_frame = static_cast<Index>(G) * (2 * K + ns.n_fft) * static_cast<Index>(sizeof(float));
  block_frames = std::min(block_frames, std::max<Index>(1, (Index{256} << 20) / per_frame));

  const BlockMasks block_masks(d, groups, alpha);

  const int n_fft = ns.n_fft;
  const Index half = n_fft / 2;
  const VectorXf window = hann_periodic(n_fft);
  const VectorXf window2 = window.cwiseAbs2();
  // The synthesis window with the inverse FFT's 1/N folded in (inverse_unnormalised).
  const VectorXf window_n = window / static_cast<float>(n_fft);
  // The masks sum to one in every cell, so the stems sum to the recording: the last group's
  // stem is the recording less the others' (to float rounding, as its own inverse STFT would
  // be), which saves a G-th of the inverse FFTs (all of them for one group).
  const std::size_t S = G - 1;  // the groups synthesised by inverse STFT
  const auto kpos = bin_positions(g, gn, K);
  const RealFft fft(n_fft);

  // Overlap-add accumulators for output samples [emitted, emitted + cap): a block's frames
  // reach at most B hops plus one window past the first sample not yet final.
  const Index cap = block_frames * hop + n_fft;
  std::vector<MatrixXf> acc(S, MatrixXf::Zero(cap, channels));
  Index emitted = 0;
  MatrixXf in, out, rest;
  VectorXf segment;
  const Index blocks = (Nn + block_frames - 1) / block_frames;
  std::vector<MatrixXf> masks(G), frames(G);
  for (Index blk = 0; blk < blocks; ++blk) {
    const Index n0 = blk * block_frames, B = std::min(block_frames, Nn - n0);
    // The analysis frames these target frames read, and the group masks on them.
    const Index j0 = same ? n0 : frame_position(n0, g, gn, Nf).first;
    const Index j1 = same ? n0 + B : std::min(frame_position(n0 + B - 1, g, gn, Nf).first + 1, Nf - 1) + 1;
    auto p = block_masks(j0, j1 - j0);
    for (std::size_t k = 0; k < S; ++k) {
      if (same) masks[k] = std::move(p[k]);
      else {
        masks[k].resize(gn.bins(), B);
        map_mask_frames(p[k], j0, Nf, kpos, g, gn, n0, masks[k]);
      }
      frames[k].resize(n_fft, B);
    }
    // The input samples these frames read (reflected padding included), every channel.
    const auto [lo, hi] = stft_frames_span(L, ns, n0, B);
    in.resize(hi - lo, channels);
    source(lo, in);
    for (Index c = 0; c < channels; ++c) {
      segment = in.col(c);
      const MatrixXcf X = stft_frames(segment, lo, L, ns, n0, B);
      if (S > 0) {
#pragma omp parallel
        {
          Eigen::VectorXcf masked(X.rows());
#pragma omp for schedule(static)
          for (Index f = 0; f < B; ++f)
            for (std::size_t k = 0; k < S; ++k) {
              masked = X.col(f).cwiseProduct(masks[k].col(f).cast<std::complex<float>>());
              fft.inverse_unnormalised(masked.data(), frames[k].col(f).data());
              frames[k].col(f).array() *= window_n.array();
            }
        }
      }
      // Overlap-add (padded sample s is output sample s - half), in frame order as istft.
      for (std::size_t k = 0; k < S; ++k) {
        auto a = acc[k].col(c);
        for (Index f = 0; f < B; ++f) {
          const Index start = (n0 + f) * hop - half;
          const Index i0 = std::max<Index>(0, -start), i1 = std::min<Index>(n_fft, L - start);
          for (Index i = i0; i < i1; ++i) a[start + i - emitted] += frames[k](i, f);
        }
      }
    }
    // Samples before the next frame's first one are final: divide by the squared windows'
    // sum (added in frame order, as istft; where it is almost nothing no frame saw the
    // sample) and hand them on.
    const Index ready = blk + 1 == blocks ? L : std::min(L, (n0 + B) * hop - half);
    if (ready > emitted) {
      const Index m = ready - emitted;
      VectorXf wsum = VectorXf::Zero(m);
      const Index p0 = emitted + half, p1 = ready + half;  // padded coordinates
      const Index nfirst = std::max<Index>(0, (p0 - n_fft) / hop), nlast = std::min<Index>(Nn - 1, (p1 - 1) / hop);
      for (Index n = nfirst; n <= nlast; ++n) {
        const Index s0 = std::max(p0, n * hop), s1 = std::min(p1, n * hop + n_fft);
        for (Index q = s0; q < s1; ++q) wsum[q - p0] += window2[q - n * hop];
      }
      const float tiny = 1e-8f;
      // The last stem from the recording's samples [emitted, ready): within the block's span
      // (the frames that made them final read them), else read again.
      if (emitted >= lo && ready <= hi) {
        rest = in.middleRows(emitted - lo, m);
      } else {
        rest.resize(m, channels);
        source(emitted, rest);
      }
      out.resize(m, channels);
      for (std::size_t k = 0; k < S; ++k) {
        for (Index t = 0; t < m; ++t) {
          const float w = wsum[t];
          out.row(t) = w > tiny ? (acc[k].row(t) / w).eval() : Eigen::RowVectorXf::Zero(channels);
        }
        rest -= out;
        sink(k, out);
        // Shift what is not final yet to the front.
        acc[k].topRows(cap - m) = acc[k].bottomRows(cap - m).eval();
        acc[k].bottomRows(m).setZero();
      }
      for (Index t = 0; t < m; ++t)
        if (!(wsum[t] > tiny)) rest.row(t).setZero();
      sink(S, rest);
      emitted = ready;
    }
    if (progress) progress(static_cast<double>(blk + 1) / blocks);
  }
}

std::vector<MatrixXf> resynthesise(const Decomposition& d, const Grouping& groups, double alpha,
                                   const Eigen::Ref<const MatrixXf>& native, double native_rate,
                                   const std::function<void(double)>& progress, Index block_frames) {
  if (native.rows() == 0 || native.cols() == 0) throw InvalidArgument("resynthesise: no samples");
  std::vector<MatrixXf> stems(groups.names.size(), MatrixXf(native.rows(), native.cols()));
  std::vector<Index> filled(stems.size(), 0);
  resynthesise(
      d, groups, alpha, native.rows(), static_cast<int>(native.cols()), native_rate,
      [&](Index start, Eigen::Ref<MatrixXf> out) { out = native.middleRows(start, out.rows()); },
      [&](std::size_t k, const Eigen::Ref<const MatrixXf>& part) {
        stems[k].middleRows(filled[k], part.rows()) = part;
        filled[k] += part.rows();
      },
      progress, block_frames);
  return stems;
}

MatrixXf magnitude_spectrogram(const Eigen::Ref<const VectorXf>& analysis, const StftOptions& stft) {
  // In chunks of frames: the whole complex STFT would be two more spectrograms.
  if (analysis.size() == 0) throw InvalidArgument("stft: empty signal");
  const Index N = stft.frames(analysis.size()), chunk = 1024;
  MatrixXf V(stft.bins(), N);
  for (Index j0 = 0; j0 < N; j0 += chunk) {
    const Index n = std::min(chunk, N - j0);
    V.middleCols(j0, n) = stft_frames(analysis, stft, j0, n).cwiseAbs();
  }
  return V;
}

void magnitude_spectrogram(const Eigen::Ref<const VectorXf>& analysis, const StftOptions& stft, nmf::ColumnStore<float>& out) {
  if (analysis.size() == 0) throw InvalidArgument("stft: empty signal");
  if (out.cols() != 0) throw InvalidArgument("magnitude_spectrogram: the store is not empty");
  const Index N = stft.frames(analysis.size()), chunk = 1024;
  for (Index j0 = 0; j0 < N; j0 += chunk) out.append(stft_frames(analysis, stft, j0, std::min(chunk, N - j0)).cwiseAbs());
}

Separation model_groups(const Eigen::Ref<const VectorXf>& analysis, double analysis_rate, const Score& score,
                        const Grouping& groups, const SeparationOptions& options, const nmf::Callback& on_iteration) {
  options.validate();
  if (groups.names.empty()) throw InvalidArgument("separate: no groups");
  return model_groups_from_spectrogram(magnitude_spectrogram(analysis, options.stft), analysis_rate, score, groups,
                                       options, on_iteration);
}

Separation model_groups_from_spectrogram(MatrixXf V, double analysis_rate, const Score& score,
                                         const Grouping& groups, const SeparationOptions& options, const nmf::Callback& on_iteration) {
  options.validate();
  if (groups.names.empty()) throw InvalidArgument("separate: no groups");
  if (V.rows() != options.stft.bins())
    throw InvalidArgument("model_groups: V has " + std::to_string(V.rows()) + " bins, the STFT options " +
                          std::to_string(options.stft.bins()));
  Separation s;
  s.groups = groups;
  s.V = std::move(V);
  const Geometry g = Geometry::of(options.stft, analysis_rate, s.V.cols());
  s.decomposition = decompose(s.V, score, g, options.decompose, on_iteration);
  if (options.view_columns > 0) s.views = group_views(s.V, s.decomposition, groups, mask_alpha(options), options.view_columns);
  if (!options.keep_views) {
    s.V = MatrixXf();
    return s;
  }
  s.masks = group_masks(s.decomposition, groups, mask_alpha(options));
  return s;
}

Separation model_groups_from_store(const nmf::ColumnStore<float>& V, double analysis_rate, const Score& score,
                                   const Grouping& groups, const SeparationOptions& options,
                                   const nmf::Callback& on_iteration, Index segment_frames) {
  options.validate();
  if (groups.names.empty()) throw InvalidArgument("separate: no groups");
  if (options.keep_views) throw InvalidArgument("model_groups: a spectrogram kept in a store cannot be kept as Separation::V");
  if (V.rows() != options.stft.bins())
    throw InvalidArgument("model_groups: V has " + std::to_string(V.rows()) + " bins, the STFT options " +
                          std::to_string(options.stft.bins()));
  Separation s;
  s.groups = groups;
  const Geometry g = Geometry::of(options.stft, analysis_rate, V.cols());
  s.decomposition = decompose(V, score, g, options.decompose, on_iteration, segment_frames);
  if (options.view_columns > 0) s.views = group_views(V, s.decomposition, groups, mask_alpha(options), options.view_columns);
  return s;
}

Separation separate(const Eigen::Ref<const VectorXf>& analysis, double analysis_rate,
                    const Eigen::Ref<const MatrixXf>& native, double native_rate, const Score& score,
                    const Grouping& groups, const SeparationOptions& options, const nmf::Callback& on_iteration,
                    const std::function<void(double)>& progress) {
  Separation s = model_groups(analysis, analysis_rate, score, groups, options, on_iteration);
  s.stems = resynthesise(s.decomposition, groups, mask_alpha(options), native, native_rate, progress);
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
