#pragma once
// Live separation: a performance separated while it is played, following its score (issue #36).
//
// LiveSeparator takes the recording as a stream of sample blocks of any size and gives back the
// stems (one per group, the groups of separate: group_notes) delayed by a fixed latency:
//
//   frames    hop = floor(latency * rate / 3) samples, n_fft = 4 hop (periodic Hann; other
//             overlaps: LiveOptions::overlap, the latency (overlap - 1) hops); frame k
//             covers input samples [(k + 1) hop - n_fft, (k + 1) hop) (zeros before the start)
//             and is processed as soon as its last sample arrives, whatever the block sizes;
//   latency   n_fft - hop = 3 hop samples (<= latency_seconds): output sample s of every stem is
//             the estimate of input sample s - latency_samples() (zero before the start), final
//             once frame floor(s / hop) is processed, so output arrives in whole hops;
//   follower  ScoreFollower (below) on the frame's magnitude spectrum gives the score position;
//   model     the notes that may sound around that position (score onset - before .. offset +
//             after, score seconds) switch on their pitch rows (and onset rows for struck
//             instruments) of W, one row per pitch of each of the score's timbre sources (one
//             per label, or shared; plan_timbre). A pitch row starts as a harmonic comb known
//             before the first sample: partial m at m f0 sqrt(1 + B m^2) (B > 0 for struck
//             strings) with weight 1 / m^partial_power, each partial shaped as the analysis
//             window's main lobe spread over +-peak_cents (peak_cents = 0: build_constraints'
//             flat bands). A few KL multiplicative updates of the frame's activations h
//             (starting from the previous frame's h) fit |X| ~ W h; then every active row's
//             template is refined from what has been heard so far (online KL NMF, Lefevre et
//             al. 2011): W_r = (A_r + l W0_r) / (B_r + l), A_r the running sum over the
//             sounding frames of the spectrum the row explained (W_r . |X| / (W h) h_r), B_r
//             the sum of h_r, l = template_prior x the mean frame magnitude; W keeps W0's zeros
//             (the partials' peaks), so a row learns its partials' strengths, not new ones;
//   masks     as separate's: M_g = (V_g^alpha + f) / (sum_j V_j^alpha + G f) with V_g = W h_g
//             (a row shared by notes of several groups is split evenly), so the masks sum to
//             one in every bin and the stems sum to the delayed input up to float rounding;
//             frames with no active note split evenly;
//   output    every channel's frame through the masks, inverse FFT, window, overlap-add with
//             the constant sum of squared windows (exact for hop = n_fft / 4).
//
// Every step is driven by complete hops, never by block boundaries, and runs single-threaded in
// a fixed order: the same samples give the same stems bit for bit whatever the block sizes.
// Memory: a frame and an overlap-add buffer per group and channel, W (bins x rows) and the
// follower's per-score-frame features and costs: bounded by the latency and the score, not by
// the length of the stream (the per-note onset estimates are one value per note).
// Thread safety: one object per stream; not thread safe.
#include <memory>
#include <string>
#include <vector>

#include "notewise/core/types.hpp"
#include "notewise/score/constraints.hpp"
#include "notewise/score/score.hpp"
#include "notewise/separation/groups.hpp"

namespace notewise {

// Online score following by dynamic programming over the score's frames (a tempo-aware form of
// on-line time warping, Dixon 2005): for every audio frame t and score frame j (both at the
// analysis hop) the accumulated cost
//   D_t(j) = d(t, j) + min( (1 - forget) D_{t-1}(j - k) + step_cost * (k - r)^2 / max(r, 1),  k = 0..max_step,
//                           min_i D_{t-1}(i) + jump_cost )                 (the jump: any j in the window)
// where r is the tempo (score frames per audio frame, estimated from the path over the last
// tempo_seconds, clamped to [min_tempo, max_tempo]), k = 0 is free while the audio is silent
// (a pause, a fermata's breath), and d compares the audio frame's chroma (per register) with
// the chroma synthesised from the score (1 - cosine; a silent audio frame against sounding score costs
// silence_cost, sound against a rest rest_cost), plus an onset term. Only the window
// [position - back_seconds, position + ahead_seconds] (score seconds) is computed; the jump lets
// the follower re-enter anywhere in it after a skipped or repeated bar; when lost, the window
// doubles. The position is argmin_j D_t(j); forget makes old evidence fade so that it recovers.
struct FollowerOptions {
  double ahead_seconds = 3;    // search window ahead of the position (score s)
  double back_seconds = 3;     // and behind
  int max_step = 3;            // score frames per audio frame at most (3x the score's tempo)
  double step_cost = 0.1;
  double stay_cost = 0.2;      // k = 0 (the score held) while the audio sounds and a note starts
  double steady_cost = 0.2;    // k = 0 while the audio sounds without a new onset (a held note)
  double ahead_factor = 1;     // steps faster than the tempo cost this many times more
  double jump_cost = 30;
  double forget = 0.02;        // per frame
  double min_tempo = 0.5, max_tempo = 2.0;
  double tempo_seconds = 3;    // audio s over which the tempo is measured
  double gamma = 100;          // log compression of the pitch energies
  // The score's chroma keeps each ringing note (ScoreFollower's `rings`) after its offset,
  // fading as exp(-t / release_seconds): a piano's pedal and release, the audio still holds
  // the pitches (piano pieces: 83.6 % -> 97.1 % of onsets within 100 ms); 0: none rings.
  double release_seconds = 0.2;
  // The chroma is kept apart in two registers, pitches below register_split (MIDI; the bass
  // line) and from it (24 dimensions, both in the audio and the score): chords of the same
  // pitch classes over another bass, a melody's octave leap, differ (Bach10 01-05: 86.6 ->
  // 88.0 % of onsets within 100 ms, mean error 0.137 -> 0.074 s); 0: one chroma of 12.
  int register_split = 64;
  double silence_db = -30;     // a frame this far below the loudest so far is silent
  double silence_cost = 0.5;
  double rest_cost = 0.9;
  double count_in_cost = 0.3;  // sound against the rests before the first note (noise, a count-in)
  double onset_weight = 0.5;
  double lost_cost = 0.45;     // mean local cost over lost_seconds above this: lost
  double lost_seconds = 2;
  void validate() const;
};

struct FollowerState {
  double audio_time = 0;   // s: the centre of the frame just processed (input time)
  double score_time = 0;   // s: the score position the follower places there
  double tempo = 1;        // the performance's speed against the score's (2 = twice as fast)
  double confidence = 0;   // 0..1: 1 - the recent mean local cost / lost_cost (clamped)
  bool silent = true;      // the frame is silent
  bool lost = false;       // the recent local cost says the follower does not know where it is
  // Where the score has bars (Score::bars): score_time as the bar's number and the beat in it
  // (1-based, fractional: Score::bar_beat); 0 and 0 without bars or before the first.
  int bar = 0;
  double beat = 0;
};

class ScoreFollower {
 public:
  // frames of `hop` samples at `sample_rate`, magnitude spectra of n_fft bins; `rings`: per note
  // of the score, whether it rings on after its offset (release_seconds; empty: every note).
  // InvalidArgument for an empty score, invalid options or `rings` of another length.
  ScoreFollower(const Score& score, double sample_rate, int n_fft, int hop, const FollowerOptions& options = {},
                const std::vector<bool>& rings = {});
  ~ScoreFollower();
  ScoreFollower(ScoreFollower&&) noexcept;
  ScoreFollower& operator=(ScoreFollower&&) noexcept;
  // The next frame's magnitude spectrum (n_fft / 2 + 1 bins) centred at audio_time (s).
  const FollowerState& step(const Eigen::Ref<const VectorXf>& magnitude, double audio_time);
  const FollowerState& state() const;
  // Per note of the score (its order): the audio time (s) at which the follower's position
  // first passed the note's onset (interpolated between frames), or NaN if not yet; and the
  // confidence then.
  const std::vector<double>& onsets() const;
  const std::vector<double>& onset_confidence() const;
  const std::vector<double>& onset_tempo() const;  // the tempo then (1 if not yet)

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

struct LiveOptions {
  double latency_seconds = 0.1;  // upper bound; the latency is (overlap - 1) hop (latency_samples())
  // n_fft / hop, 2 .. 8: fewer give a longer window (finer frequencies) for the same latency, and
  // fewer frames (Bach10 01-05 at 3, first version: SDR 4.06 dB against 3.95, following 84.7 %
  // against 86.6 %).
  int overlap = 4;
  FollowerOptions follower;
  ConstraintOptions constraints;  // templates (sources: the timbre plan; empty: plan_timbre Auto)
  double before = 0.05;          // score s a note's rows switch on before its onset
  double after = -1;             // score s after its offset (< 0: the source's or constraints.after)
  // Templates (see the model above): the partials' peaks spread over +-peak_cents, where the
  // players shape the pitch (bowed, blown, sung: intonation, vibrato), or +-struck_peak_cents
  // for struck sources (tuned before the performance) with inharmonicity B =
  // struck_inharmonicity (stiff strings; 0 for the others); peak_cents 0: build_constraints'
  // flat bands of constraints.tolerance. Refined online with a prior worth template_prior
  // frames at the mean loudness (0: W stays fixed).
  double peak_cents = 30;
  double struck_peak_cents = 10;
  double struck_inharmonicity = 2e-4;
  double template_prior = 1;
  double onset_after = 0.1;      // score s an onset row stays on after the onset
  int iterations = 10;           // KL multiplicative updates of h per frame
  double alpha = 0;              // mask exponent; 0: mask_alpha's choice by instrument
  void validate() const;
  static LiveOptions tuned();
};

// One call's output: `frames` samples of every stem (per group: frames x channels), the stems'
// samples [first, first + frames) of the delayed timeline (output sample s = input sample
// s - latency).
struct LiveBlock {
  Index first = 0;
  Index frames = 0;
  std::vector<MatrixXf> stems;
};

class LiveSeparator {
 public:
  // InvalidArgument for an empty score, channels outside 1..64, a rate outside 1000..768000 Hz,
  // a latency that leaves a hop under 16 samples, or invalid options.
  LiveSeparator(const Score& score, const Grouping& groups, double sample_rate, int channels,
                const LiveOptions& options = LiveOptions::tuned());
  ~LiveSeparator();
  LiveSeparator(LiveSeparator&&) noexcept;
  LiveSeparator& operator=(LiveSeparator&&) noexcept;

  // The next samples (frames x channels, any number of frames, 0 included): the stems'
  // samples finished by them (a multiple of the hop). InvalidArgument for a wrong channel count
  // or samples that are not finite.
  LiveBlock push(const Eigen::Ref<const MatrixXf>& samples);
  // The end of the stream: the rest of the stems, up to input length + latency samples in all.
  LiveBlock finish();

  Index latency_samples() const;
  double latency_seconds() const;
  int hop() const;
  int n_fft() const;
  int channels() const;
  double sample_rate() const;  // Hz
  double alpha() const;
  const Grouping& groups() const;
  const ScoreFollower& follower() const;
  Index input_samples() const;   // pushed so far
  Index output_samples() const;  // given back so far

  // The score as followed so far, for `align`'s outputs: every note in the score's order, its
  // onset where the follower passed it (a note not passed yet: extrapolated from the last
  // position at the last tempo), its duration divided by the tempo then; `confidence`, if
  // given, receives the follower's confidence per note (0 for a note not passed).
  Score followed_score(std::vector<double>* confidence = nullptr) const;

  // A practice mix of a block: the sum of the stems of the groups with include[g] (one flag per
  // group; InvalidArgument otherwise), frames x channels.
  static MatrixXf mix(const LiveBlock& block, const std::vector<bool>& include);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace notewise
