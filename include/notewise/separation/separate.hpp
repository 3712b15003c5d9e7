#pragma once
// Separation of note groups (FMP notebook C8S3; Ewert & Mueller 2012): the score-informed
// decomposition models each group's magnitude V_g = W H_g (H_g: the group's notes' shares of
// H, pitch and onset rows); soft masks split the mixture's complex STFT; the inverse STFT gives
// one stem per group.
//
// Masks: M_g = (V_g^alpha + f) / (sum_j V_j^alpha + G f), with f a floor of 1e-9 of the largest
// sum_j V_j^alpha. They sum to one in every bin, so the stems sum to the mix; bins the model
// leaves unexplained (all V_g near zero) are split evenly instead of going to one group.
// alpha = 1 is the FMP notebook's magnitude ratio, alpha = 2 the Wiener-like power ratio.
#include <functional>
#include <vector>

#include "notewise/core/stft.hpp"
#include "notewise/score/decompose.hpp"
#include "notewise/separation/drums.hpp"
#include "notewise/separation/groups.hpp"
#include "notewise/separation/views.hpp"

namespace notewise {

struct SeparationOptions {
  StftOptions stft{4096, 512};  // analysis STFT, at the analysis rate
  // Mask exponent, > 0; 0 chooses by instrument (mask_alpha): 1 when a timbre source is
  // sustained (bowed, blown, sung), else 2.
  double alpha = 0;
  DecomposeOptions decompose;
  // Keep V and the analysis masks in the result (reports and figures need them). false: V is
  // dropped after the decomposition and no masks are formed, so a long recording's
  // resynthesis does not hold 1 + G spectrograms (the stems do not need them).
  bool keep_views = true;
  // > 0: also build the run's views for pictures (views.hpp) of at most this many columns, in
  // chunks while V is at hand, so a report needs neither V nor the masks whole (keep_views
  // false). 0: no views.
  Index view_columns = 0;

  void validate() const;

  // The settings measured best for separation (docs/RESULTS.md): templates start with partial
  // weights 1/m^2 (a piano's upper partials are weaker than libfmp's 1/m assumes), onset
  // templates only from 0.15 s before an onset (an attack does not start earlier than the
  // synchronised onset's tolerance needs), and activations allowed 1.0 s after each offset
  // instead of 0.5 s (the release and the pedal keep notes sounding past their offsets);
  // templates learnt in the first 50 NMF iterations only (decompose.template_iterations).
  // The plain defaults of ConstraintOptions are libfmp's.
  static SeparationOptions tuned();
};

// The mask exponent a run uses: options.alpha, or for 0 the measured choice by instrument
// (docs/RESULTS.md): 2 for struck instruments alone (a piano: +0.9 dB over 1), 1 as soon as one
// source is bowed, blown or sung (Bach10: +0.19 dB on the tuning half, +0.29 dB on the held-out
// half over 2; their estimates are limited by artefacts more than by interference).
double mask_alpha(const SeparationOptions& options);

// Per group: W H_g (bins x frames).
std::vector<MatrixXf> group_models(const Decomposition& d, const Grouping& groups);

// Soft masks from group models (all the same shape). Throws InvalidArgument for alpha <= 0.
std::vector<MatrixXf> soft_masks(const std::vector<MatrixXf>& models, double alpha);

// soft_masks(group_models(d, groups), alpha) computed in chunks of frames from W and each
// group's activations: the masks' own memory and a chunk, not 2 G + 2 spectrograms.
std::vector<MatrixXf> group_masks(const Decomposition& d, const Grouping& groups, double alpha);

// run_views(V, group_masks(d, groups, alpha), ...) with the masks formed a chunk at a time: the
// views' memory and a chunk's, not G spectrograms.
RunViews group_views(const Eigen::Ref<const MatrixXf>& V, const Decomposition& d, const Grouping& groups, double alpha,
                     Index max_columns);
// The same with V read a chunk at a time from a ColumnStore.
RunViews group_views(const nmf::ColumnStore<float>& V, const Decomposition& d, const Grouping& groups, double alpha,
                     Index max_columns);

// A mask of the analysis grid, read at the bins and frames of another STFT geometry (bilinear
// in Hz and seconds; frequencies above the analysis Nyquist take the top analysis bin).
MatrixXf map_mask(const MatrixXf& mask, const Geometry& from, const Geometry& to);

// STFT geometry for resynthesis at `rate`: the analysis n_fft and hop scaled by the rate ratio
// (n_fft kept even), so that frames cover the same times.
StftOptions native_stft(const StftOptions& analysis, double analysis_rate, double rate);

// Reads samples [start, start + out.rows()) of the recording (frames x channels) into out:
// a recording read block by block (a file's seeks) instead of held whole.
using SampleSource = std::function<void(Index start, Eigen::Ref<MatrixXf> out)>;
// Receives the next part.rows() samples (frames x channels) of group `group`'s stem; every
// group's stem arrives in order, from sample 0 to the end.
using StemSink = std::function<void(std::size_t group, const Eigen::Ref<const MatrixXf>& part)>;

// The streaming form of resynthesise below, for recordings of any length: the recording (length
// samples x channels at native_rate) comes block by block from `source` (each block's span of
// samples once per block, the STFT's reflected edges included) and every stem goes block by
// block to `sink` (final samples only: those no later frame overlaps). Memory: a block's
// STFT, masks, frames and overlap-add buffer, and H per group; nothing grows with the length
// but the activations. The same values as the matrix form (which is this with a matrix source
// and sink). InvalidArgument for alpha <= 0, block_frames < 1, no groups, no samples.
void resynthesise(const Decomposition& d, const Grouping& groups, double alpha, Index length, int channels,
                  double native_rate, const SampleSource& source, const StemSink& sink,
                  const std::function<void(double)>& progress = {}, Index block_frames = 128);

// The stems (per group, samples x channels at native_rate) of a decomposition, block by block:
// block_frames input-rate STFT frames at a time, every channel's STFT, the groups' soft masks
// (as soft_masks of group_models, computed for the block from W and each group's activations)
// mapped to the input grid (as map_mask), the inverse FFT and the overlap-add (as istft); the
// last group's stem is the recording less the other stems (the masks sum to one, so this is its
// masked inverse STFT to float rounding, and the stems sum to the recording). Equal to the
// whole-signal path within float rounding, in memory that grows only with the stems and H, not
// with the input-rate spectrograms. progress(fraction) after each block.
std::vector<MatrixXf> resynthesise(const Decomposition& d, const Grouping& groups, double alpha,
                                   const Eigen::Ref<const MatrixXf>& native, double native_rate,
                                   const std::function<void(double)>& progress = {}, Index block_frames = 128);

// Stems from analysis-grid masks: every channel of `native` (samples x channels, at
// native_rate) through its complex STFT at the matching geometry (native_stft), each mask
// mapped to that grid (map_mask), and the inverse STFT. One matrix per mask, native's shape.
// `progress(fraction)` after each stem channel.
std::vector<MatrixXf> apply_masks(const Eigen::Ref<const MatrixXf>& native, double native_rate,
                                  const std::vector<MatrixXf>& masks, const StftOptions& analysis_stft,
                                  double analysis_rate, const std::function<void(double)>& progress = {});

struct Separation {
  MatrixXf V;                   // magnitude spectrogram of the analysis signal (bins x frames)
  Decomposition decomposition;  // the pitched notes' (with drums: W and H are their rows of the joint model)
  // A band (pipeline.hpp, drum notes modelled): the joint NMFD model (W per frame, H; its
  // drum rows from first_drum_row), else empty (drums.W.empty()).
  DrumSeparation drums;
  Grouping groups;
  std::vector<MatrixXf> masks;  // per group, analysis grid (bins x frames)
  std::vector<MatrixXf> stems;  // per group, samples x channels at the native rate
  RunViews views;               // with options.view_columns > 0 (else empty)
};

// |STFT| of the analysis signal (bins x frames), formed in chunks of frames.
MatrixXf magnitude_spectrogram(const Eigen::Ref<const VectorXf>& analysis, const StftOptions& stft);
// The same columns appended to a store (empty before) chunk by chunk: never whole in memory.
void magnitude_spectrogram(const Eigen::Ref<const VectorXf>& analysis, const StftOptions& stft, nmf::ColumnStore<float>& out);

// Everything but the audio: spectrogram, decomposition, groups and masks (stems stay empty).
// For views of a run (reports, plots) that need no resynthesis.
Separation model_groups(const Eigen::Ref<const VectorXf>& analysis, double analysis_rate, const Score& score,
                        const Grouping& groups, const SeparationOptions& options, const nmf::Callback& on_iteration = {});
// The same from the spectrogram (magnitude_spectrogram of the analysis signal with
// options.stft), which it takes over: kept as Separation::V with options.keep_views, else
// freed once the views are built. Lets a caller free the analysis signal before the NMF.
Separation model_groups_from_spectrogram(MatrixXf V, double analysis_rate, const Score& score,
                                         const Grouping& groups, const SeparationOptions& options, const nmf::Callback& on_iteration = {});
// The same from a spectrogram kept in a ColumnStore and read a segment at a time (decompose's
// store form: NMF with the KL loss); Separation::V stays empty, and options.keep_views is refused
// (it would keep V whole).
Separation model_groups_from_store(const nmf::ColumnStore<float>& V, double analysis_rate, const Score& score,
                                   const Grouping& groups, const SeparationOptions& options,
                                   const nmf::Callback& on_iteration = {}, Index segment_frames = 4096);

// model_groups, then the stems. analysis: the mono analysis signal at analysis_rate; native: the recording (samples x
// channels) at native_rate, which the stems keep. `progress(fraction)` is called while the
// stems are synthesised.
Separation separate(const Eigen::Ref<const VectorXf>& analysis, double analysis_rate,
                    const Eigen::Ref<const MatrixXf>& native, double native_rate, const Score& score,
                    const Grouping& groups, const SeparationOptions& options, const nmf::Callback& on_iteration = {},
                    const std::function<void(double)>& progress = {});

}  // namespace notewise
