#include "notewise/align/align.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <map>
#include <set>

#include "notewise/core/error.hpp"
#include "notewise/core/stft.hpp"
#include "notewise/score/instrument.hpp"

namespace notewise {
namespace {

constexpr int kTail = 10;   // frames of the onset features' decaying tail

// The pitch energies of the low pitches [first, first + rows()) from longer windows (see
// low_pitch_energy); they replace those rows of E in the chroma, not in the onsets.
struct LowPitches {
  int first = 0;
  MatrixXf E;  // rows x N
};

// Pitch energies (128 x N) -> features (feature_rows::kCount x N). `silent` (N, 0 or 1) marks
// frames without sound, `entries` (N, 0 or 1) those where a note may start after a pause
// (audio_entries; the score's in score_features).
MatrixXf features_from_pitch_energy(const MatrixXf& E, const AlignOptions& o, const MatrixXf* onset_impulses,
                                    const VectorXf& silent, const VectorXf& entries, const LowPitches* low = nullptr) {
  const Index N = E.cols();
  const float peak = E.maxCoeff() > 0 ? E.maxCoeff() : 1.0f;
  const MatrixXf L = (1.0f + static_cast<float>(o.gamma) * E.array() / peak).log().matrix();
  using namespace feature_rows;
  MatrixXf F = MatrixXf::Zero(kCount, N);
  // Column by column (L is column-major): row-wise sums read L with a stride of 128 floats,
  // which left the cache on long recordings (7.5x the time for 4x the length).
  const Index lo = low ? low->first : 0, hi = low ? lo + low->E.rows() : 0;
  for (Index n = 0; n < N; ++n)
    for (Index p = 0; p < 128; ++p)
      F(p % 12, n) += p >= lo && p < hi ? std::log(1.0f + static_cast<float>(o.gamma) * low->E(p - lo, n) / peak) : L(p, n);
  MatrixXf rise = MatrixXf::Zero(12, N);
  if (onset_impulses) {
    rise = *onset_impulses;
  } else {
    for (Index n = 1; n < N; ++n)
      for (Index p = 0; p < 128; ++p) rise(p % 12, n) += std::max(0.0f, L(p, n) - L(p, n - 1));
  }
  if (o.onset_features)
    for (Index n = 0; n < N; ++n)
      for (int m = 0; m < kTail && m <= n; ++m) F.middleRows(12, 12).col(n) += (1.0f - static_cast<float>(m) / kTail) * rise.col(n - m);
  // Onset rows: scaled so that the strong onsets of the piece (the 95th percentile of the
  // frames' norms) have norm 1, capped at 1. Not each frame to unit length: that made every
  // audio frame's onset vector unit-length noise during held notes, so a missed onset cost the
  // same as a matched one and the onsets could not tell chords of the same harmony apart.
  std::vector<float> norms;
  for (Index n = 0; n < N; ++n) {
    const float v = F.col(n).segment(12, 12).norm();
    if (v > 1e-6f) norms.push_back(v);
  }
  float scale = 1;
  if (!norms.empty()) {
    const std::size_t q = static_cast<std::size_t>(0.95 * static_cast<double>(norms.size() - 1));
    std::nth_element(norms.begin(), norms.begin() + static_cast<std::ptrdiff_t>(q), norms.end());
    scale = norms[q];
  }
  for (Index n = 0; n < N; ++n) {
    auto c = F.col(n).head(12);
    const float norm = c.norm();
    if (norm > 1e-6f) c /= norm;
    else c.setConstant(1.0f / std::sqrt(12.0f));
    auto on = F.col(n).segment(12, 12);
    on /= scale;
    const float onorm = on.norm();
    if (onorm > 1.0f) on /= onorm;
    F(kSilent, n) = silent(n);
  }
  F.row(kEntry) = entries.transpose();
  return F;
}

// Cost of a pair of frames. The silent row is the fraction of silent frames (averaged when
// coarsened): silent audio against a sounding score frame costs silence_cost (a breath or a pause
// the score does not write: its chroma is noise, so no score frame should be preferred for it),
// sounding audio against a silent score frame costs 1, silence against silence 0. An audio entry
// away from the score's onsets (their maxima when coarsened) costs entry_cost.
double frame_cost(const Eigen::Ref<const VectorXf>& a, const Eigen::Ref<const VectorXf>& b, double silence_cost, double entry_cost) {
  using namespace feature_rows;
  const double sa = a(kSilent), sb = b(kSilent);
  const double chroma = 1.0 - a.head(12).dot(b.head(12));
  const double c = (1 - sa) * (1 - sb) * chroma + sa * (1 - sb) * silence_cost + (1 - sa) * sb * 1.0 + entry_cost * a(kEntry) * (1 - b(kEntry));
  return c + 0.5 * (a.segment(kOnset, 12) - b.segment(kOnset, 12)).norm();
}

int hop_of(double sr, const AlignOptions& o) { return std::clamp(static_cast<int>(std::lround(sr / o.feature_rate)), 1, o.n_fft / 2); }

// Adds the STFT power of `audio` per pitch to `E`: row p, for each pitch p < E.rows() that
// `wanted` accepts, gets the power of the bins whose nearest MIDI pitch is p. In chunks of
// frames: the whole complex STFT at 10 ms would be 8 bytes x 1025 bins x 100 frames a second
// (3 GB for an hour); a chunk holds as many bytes at any window length.
template <class Wanted>
void add_pitch_power(const Eigen::Ref<const VectorXf>& audio, double sr, const StftOptions& so, Wanted wanted, MatrixXf& E) {
  if (audio.size() == 0) throw InvalidArgument("stft: empty signal");
  const Index K = so.bins(), N = so.frames(audio.size());
  std::vector<int> pitch(static_cast<std::size_t>(K), -1);
  for (Index k = 1; k < K; ++k) {
    const int p = static_cast<int>(std::lround(69 + 12 * std::log2(static_cast<double>(k) * sr / so.n_fft / 440.0)));
    if (p >= 0 && p < E.rows() && wanted(p)) pitch[k] = p;
  }
  const Index chunk = std::max<Index>(64, Index{2048} * 2048 / so.n_fft);
  for (Index n0 = 0; n0 < N; n0 += chunk) {
    const MatrixXcf X = stft_frames(audio, so, n0, std::min(chunk, N - n0));
    for (Index n = 0; n < X.cols(); ++n)
      for (Index k = 1; k < K; ++k)
        if (pitch[k] >= 0) E(pitch[k], n0 + n) += std::norm(X(k, n));
  }
}

// Pitch energies of the audio: 128 x frames, the STFT power of the bins nearest each MIDI pitch
// (21 .. 108).
MatrixXf audio_pitch_energy(const Eigen::Ref<const VectorXf>& audio, double sr, const AlignOptions& o) {
  StftOptions so;
  so.n_fft = o.n_fft;
  so.hop = hop_of(sr, o);
  MatrixXf E = MatrixXf::Zero(128, so.frames(audio.size()));
  add_pitch_power(audio, sr, so, [](int p) { return p >= 21 && p <= 108; }, E);
  return E;
}

// The window a pitch needs: the shortest of n_fft, 2 n_fft, 4 n_fft (2^k n_fft, k <= low_pitch_doublings)
// whose bins lie at most a semitone apart at the pitch's frequency.
int doublings_for(int pitch, double sr, const AlignOptions& o) {
  const double f = 440.0 * std::pow(2.0, (pitch - 69) / 12.0);
  const double semitone = f * (std::pow(2.0, 1.0 / 12.0) - 1.0);
  int k = 0;
  while (k < o.low_pitch_doublings && sr / (static_cast<double>(o.n_fft) * (1 << k)) > semitone) ++k;
  return k;
}

// Pitch energies of the low pitches from longer windows, multirate as in Mueller's Chroma
// Toolbox: at 22.05 kHz the n_fft = 2048 STFT's bins lie 10.8 Hz apart, further than semitones
// below 181 Hz (up to MIDI 54), so a low note's fundamental fell in another pitch's bin (E1's 41.2 Hz
// in F1's bin at 43.1 Hz) and its chroma named the wrong pitch class (the real Disklavier
// piece's last low chords were flagged "does not match" with the path on time). Each pitch
// below takes the window of doublings_for; the long windows are computed every 2^k frames
// (their frames centred on every 2^k-th frame's centre) and interpolated linearly between: a
// window of 186 or 371 ms changes little in 20 or 40 ms. The energies are scaled to the
// n_fft window's (a Hann window's bin powers grow with the square of its length). For the
// chroma only: the onsets and the refinement keep the short window's timing.
LowPitches low_pitch_energy(const Eigen::Ref<const VectorXf>& audio, double sr, const AlignOptions& o, Index N) {
  LowPitches low;
  low.first = 21;
  int first_short = low.first;  // the lowest pitch the n_fft window resolves
  while (first_short <= 108 && doublings_for(first_short, sr, o) > 0) ++first_short;
  if (first_short == low.first) return low;
  low.E = MatrixXf::Zero(first_short - low.first, N);
  for (int k = 1; k <= o.low_pitch_doublings; ++k) {
    std::vector<int> rows;  // pitches that take this window
    for (int p = low.first; p < first_short; ++p)
      if (doublings_for(p, sr, o) == k) rows.push_back(p);
    if (rows.empty()) continue;
    StftOptions so;
    so.n_fft = o.n_fft << k;
    const int step = 1 << k;
    so.hop = hop_of(sr, o) * step;
    MatrixXf coarse = MatrixXf::Zero(first_short, so.frames(audio.size()));
    add_pitch_power(audio, sr, so, [&](int p) { return std::find(rows.begin(), rows.end(), p) != rows.end(); }, coarse);
    coarse /= static_cast<float>(step * step);
    const Index C = coarse.cols();
    for (Index n = 0; n < N; ++n) {
      const Index c = std::min<Index>(n / step, C - 1), c1 = std::min<Index>(c + 1, C - 1);
      const float w = static_cast<float>(n % step) / static_cast<float>(step);
      for (int p : rows) low.E(p - low.first, n) = (1 - w) * coarse(p, c) + w * coarse(p, c1);
    }
  }
  return low;
}

// Each frame's total pitch power (the level that silence and entries are judged by), and in dB.
VectorXf frame_power(const MatrixXf& E) { return E.colwise().sum().transpose(); }
VectorXf decibels(const VectorXf& power) {
  return power.unaryExpr([](float v) { return 10.0f * std::log10(v + 1e-20f); });
}

// Silent frames of the audio: total pitch energy below a threshold a third of the way (in dB)
// from the noise floor (2nd percentile of the frames) to the loud level (95th percentile), and
// at least -silence_db below the loud level. A real recording's pauses lie on its noise floor,
// which is often only 20 dB below the music (Bach10: -21 dB), so a fixed threshold far below the
// loud level finds no breath at all; a piece without pauses has its floor inside the music, and
// the cap keeps its soft passages sounding. Breaths are silent too: frames at least breath_db
// below the median level of the second around them. A breath between phrases (Bach10's winds,
// the gap after a fermata's release) dips 7-8 dB under the music around it but stays far
// above the recording's floor.
VectorXf audio_silence(const VectorXf& power, const AlignOptions& o) {
  const Index N = power.size();
  const VectorXf db = decibels(power);
  std::vector<float> s(db.data(), db.data() + N);
  std::sort(s.begin(), s.end());
  const float floor = s[static_cast<std::size_t>(0.02 * static_cast<double>(N - 1))];
  const float loud = s[static_cast<std::size_t>(0.95 * static_cast<double>(N - 1))];
  const float threshold = std::min(floor + (loud - floor) / 3, loud + static_cast<float>(o.silence_db));
  VectorXf silent(N);
  for (Index n = 0; n < N; ++n) silent(n) = (power(n) <= 0 || db(n) <= threshold) ? 1.0f : 0.0f;
  // A quiet stretch longer than a breath or a pause between phrases (soft_passage_seconds) that
  // stays clearly above the noise floor (a sixth of the way to the loud level) is music played
  // softly, not a pause: a loud part resting while softer ones go on (a lead's long rest over a
  // soft accompaniment; in a recording whose floor lies 30 dB under the lead, an accompaniment
  // 26 dB under it fell below the threshold, its 24 s were taken for silence and the path ran
  // straight across them, seconds off where the players pushed on or broadened). Its frames keep
  // their chroma; the floor's own frames in it stay silent.
  if (o.soft_passage_seconds > 0) {
    const Index need = static_cast<Index>(std::lround(o.soft_passage_seconds * o.feature_rate));
    // Clearly above the floor, and not deeper than twice silence_db under the loud level: a floor
    // of digital silence (a file's padding) would make any room noise "clearly above" it.
    const float audible = std::max(floor + (loud - floor) / 6, loud + 2 * static_cast<float>(o.silence_db));
    for (Index n = 0; n < N;) {
      if (silent(n) < 0.5f) {
        ++n;
        continue;
      }
      Index m = n;
      while (m < N && silent(m) > 0.5f) ++m;
      if (m - n >= need)
        for (Index k = n; k < m; ++k)
          if (power(k) > 0 && db(k) > audible) silent(k) = 0;
      n = m;
    }
  }
  if (o.breath_db > 0) {
    const Index half = std::max<Index>(1, static_cast<Index>(std::lround(0.5 * o.feature_rate)));
    std::vector<float> around;
    for (Index n = 0; n < N; ++n) {
      const Index a = std::max<Index>(0, n - half), b = std::min<Index>(N, n + half + 1);
      around.assign(db.data() + a, db.data() + b);
      const auto mid = around.begin() + static_cast<std::ptrdiff_t>(around.size() / 2);
      std::nth_element(around.begin(), mid, around.end());
      if (db(n) < *mid - static_cast<float>(o.breath_db)) silent(n) = 1;
    }
  }
  return silent;
}

// Entries of the audio. A player breathes or rests between notes, not inside one, so sound that
// resumes after a pause belongs at a note's start. Without this the path could hold a chord
// through a breath and start the next one early, on a swell of the held chord, when the two share
// their harmony (Bach10 06: 0.38 s early). After a pause of at least kPauseFrames silent frames,
// where the sound rises at least 6 dB above the pause within the onset tail (a piano note decaying
// across the silence threshold flickers without rising): the kEntryFrames frames from the one that
// reaches half the rise's peak power. Half the power, not the first sounding frame: sound resumes
// softly (a breath's noise, one voice first, a bow's or a reed's slow start), 20-80 ms before the
// chord is there on Bach10, and the first frame pulled the onsets early. The score's entries are
// the frames just after its onsets (score_features).
VectorXf audio_entries(const VectorXf& power, const VectorXf& silent) {
  constexpr Index kPauseFrames = 3, kEntryFrames = 2;
  constexpr float kRiseDb = 6;
  const Index N = power.size();
  const VectorXf db = decibels(power);
  VectorXf entries = VectorXf::Zero(N);
  Index quiet = 0;
  double pause_power = 0;  // summed: a mean of dB would let one digital-zero frame (-200 dB) pass any rise
  for (Index n = 0; n < N; ++n) {
    if (silent(n) > 0.5f) {
      pause_power += power(n);
      ++quiet;
      continue;
    }
    if (quiet >= kPauseFrames) {
      const float peak = db.segment(n, std::min<Index>(kTail, N - n)).maxCoeff();
      if (peak >= 10.0 * std::log10(pause_power / static_cast<double>(quiet) + 1e-20) + kRiseDb) {
        Index h = n;
        while (db(h) < peak - 3.0f) ++h;  // at the latest at the peak
        for (Index m = h; m < std::min<Index>(N, h + kEntryFrames) && silent(m) < 0.5f; ++m) entries(m) = 1;
      }
    }
    quiet = 0;
    pause_power = 0;
  }
  return entries;
}

}  // namespace

void AlignOptions::validate() const {
  require(feature_rate >= 10 && feature_rate <= 400, "feature_rate", feature_rate, "in [10, 400] Hz");
  require(n_fft >= 256 && n_fft % 2 == 0, "n_fft", n_fft, "even and >= 256");
  require(gamma > 0, "gamma", gamma, "> 0");
  require(low_pitch_doublings >= 0 && low_pitch_doublings <= 3, "low_pitch_doublings", low_pitch_doublings, "in 0 .. 3");
  require(poor_cost > 0, "poor_cost", poor_cost, "> 0");
  require(dtw.weights.diagonal > 0 && dtw.weights.down > 0 && dtw.weights.right > 0, "step weight",
          std::min({dtw.weights.diagonal, dtw.weights.down, dtw.weights.right}), "> 0");
  require(silence_db < 0 && silence_db >= -120, "silence_db", silence_db, "in [-120, 0) dB");
  require(silence_cost >= 0 && silence_cost <= 2, "silence_cost", silence_cost, "in [0, 2]");
  require(breath_db >= 0 && breath_db <= 60, "breath_db", breath_db, "in [0, 60] dB (0: off)");
  require(soft_passage_seconds >= 0 && soft_passage_seconds <= 60, "soft_passage_seconds", soft_passage_seconds, "in [0, 60] s (0: off)");
  require(std::isfinite(entry_cost) && entry_cost >= 0 && entry_cost <= 100, "entry_cost", entry_cost, "in [0, 100]");
  require(refine_window >= 0 && refine_window <= 5, "refine_window", refine_window, "in [0, 5] s");
  require(refine_prior >= 0, "refine_prior", refine_prior, ">= 0");
  require(refine_tempo >= 0, "refine_tempo", refine_tempo, ">= 0");
  require(refine_weight >= 0 && refine_weight <= 1, "refine_weight", refine_weight, "in [0, 1]");
  require(voice_window >= 0 && voice_window <= 1, "voice_window", voice_window, "in [0, 1] s");
  require(voice_prior >= 0 && std::isfinite(voice_prior), "voice_prior", voice_prior, ">= 0");
  require(voice_weight >= 0 && voice_weight <= 1, "voice_weight", voice_weight, "in [0, 1]");
  require(std::abs(voice_lead) <= 0.1, "voice_lead", voice_lead, "in [-0.1, 0.1] s");
  require(passage_seconds > 0, "passage_seconds", passage_seconds, "> 0");
  require(missing_seconds > 0, "missing_seconds", missing_seconds, "> 0");
  require(excerpt_ratio >= 0 && excerpt_ratio <= 1, "excerpt_ratio", excerpt_ratio, "in [0, 1]");
}

MatrixXf audio_features(const Eigen::Ref<const VectorXf>& audio, double sr, const AlignOptions& o) {
  o.validate();
  const MatrixXf E = audio_pitch_energy(audio, sr, o);
  const LowPitches low = low_pitch_energy(audio, sr, o, E.cols());
  const VectorXf power = frame_power(E), silent = audio_silence(power, o);
  return features_from_pitch_energy(E, o, nullptr, silent, audio_entries(power, silent), &low);
}

// The score's sound: each note at velocity^2 (partials 1..4 at 1/m^2) from its onset to its
// offset, without decay. A held note stays in a recording's chroma to its end (winds and
// strings sustain; a pianist holds the melody with the pedal and plays the accompaniment
// under it softly); a model in which it faded lost it from the score's chroma while the
// recording kept it, and the path held the chord where the note began instead of following
// the repeated chords under it (docs/RESULTS.md, the real Disklavier piece).
MatrixXf score_features(const Score& score, Index frames, double dt, const AlignOptions& o) {
  o.validate();
  MatrixXf E = MatrixXf::Zero(128, frames), impulses = MatrixXf::Zero(12, frames);
  VectorXf silent = VectorXf::Ones(frames), entries = VectorXf::Zero(frames);
  // The score's entries: the kAfterFrames frames from each onset, none before it (those are the
  // previous note's, and the path could hold them through the note an audio entry starts).
  constexpr Index kAfterFrames = 4;
  for (const Note& n : score.notes()) {
    const double v = std::max(n.velocity, 1.0) / 127.0;
    const Index a = std::clamp<Index>(static_cast<Index>(std::lround(n.onset / dt)), 0, frames - 1);
    const Index b = std::clamp<Index>(static_cast<Index>(std::lround(n.offset() / dt)), a + 1, frames);
    if (o.drums_as_rhythm && is_drum(n)) {
      // A drum note's "pitch" is a key of the drum map, not a pitch: it adds no pitch energy (no
      // chroma), and its hit, a broadband attack, rises in every pitch class alike. It sounds
      // (no silence) for its first 50 ms at least.
      const float each = static_cast<float>(v / std::sqrt(12.0));
      for (int c = 0; c < 12; ++c) impulses(c, a) += each;
      silent.segment(a, std::max<Index>(1, std::min<Index>(b, a + static_cast<Index>(std::lround(0.05 / dt))) - a)).setZero();
      entries.segment(a, std::min<Index>(kAfterFrames, frames - a)).setOnes();
      continue;
    }
    for (Index f = a; f < b; ++f) {
      for (int m = 1; m <= 4; ++m) {
        const int p = n.pitch + static_cast<int>(std::lround(12 * std::log2(m)));
        if (p < 128) E(p, f) += static_cast<float>(v * v / (m * m));
      }
      silent(f) = 0;
    }
    impulses(n.pitch % 12, a) += static_cast<float>(v);
    entries.segment(a, std::min<Index>(kAfterFrames, frames - a)).setOnes();
  }
  return features_from_pitch_energy(E, o, &impulses, silent, entries);
}

double warp_time(const std::vector<std::pair<double, double>>& warp, double t) {
  if (warp.empty()) return t;
  if (t <= warp.front().first) return warp.front().second + (t - warp.front().first);
  if (t >= warp.back().first) return warp.back().second + (t - warp.back().first);
  const auto it = std::upper_bound(warp.begin(), warp.end(), t, [](double v, const auto& p) { return v < p.first; });
  const auto& [s1, a1] = *it;
  const auto& [s0, a0] = *(it - 1);
  return a0 + (t - s0) / (s1 - s0) * (a1 - a0);
}

namespace {

// Onset events of a score: the notes that start together (within 1 ms of score time).
struct Event {
  double score_s = 0;
  std::vector<std::size_t> notes;  // indices into score.notes()
};

std::vector<Event> onset_events(const Score& score) {
  std::vector<std::size_t> order(score.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  const auto& notes = score.notes();
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return notes[a].onset < notes[b].onset; });
  std::vector<Event> events;
  for (std::size_t i : order) {
    if (events.empty() || notes[i].onset - events.back().score_s > 1e-3) events.push_back({notes[i].onset, {}});
    events.back().notes.push_back(i);
  }
  return events;
}

// Onset strength of each pitch the score uses: the rise of its harmonic comb (partials 1..4 at
// 1/m) in log energy, the mean of `span` frames after a frame minus the mean of `span` frames
// before it, floored at zero, and scaled so that the pitch's strong rises (its 98th percentile)
// reach 1. The comb keeps the rise of one note's own harmonics, so a chord's new notes are
// found even where other voices hold. With `falls`, the fall (before minus after) instead: where
// a note's sound ends.
std::vector<VectorXf> pitch_rises(const MatrixXf& E, const Score& score, const AlignOptions& o, int span, bool falls = false) {
  const Index N = E.cols();
  std::vector<VectorXf> rise(128);
  std::vector<bool> used(128, false);
  for (const Note& n : score.notes()) used[static_cast<std::size_t>(std::clamp(n.pitch, 0, 127))] = true;
  std::vector<VectorXf> comb(128);
  float peak = 0;
  std::vector<int> pitches;
  for (int p = 0; p < 128; ++p)
    if (used[p]) {
      pitches.push_back(p);
      comb[p] = VectorXf::Zero(N);
    }
  // Frame by frame, so that E (column-major) is read in order: reading its rows strided left
  // the cache on long recordings. Each sum adds its partials in the same order as before.
  int offset[5];  // semitones from the fundamental to partial m
  for (int m = 1; m <= 4; ++m) offset[m] = static_cast<int>(std::lround(12 * std::log2(m)));
  for (Index n = 0; n < N; ++n)
    for (int p : pitches)
      for (int m = 1; m <= 4; ++m) {
        const int q = p + offset[m];
        if (q < 128) comb[p](n) += E(q, n) / static_cast<float>(m);
      }
  for (int p : pitches) peak = std::max(peak, comb[p].maxCoeff());
  if (peak <= 0) peak = 1;
  for (int p = 0; p < 128; ++p) {
    if (!used[p]) continue;
    const VectorXf L = (1.0f + static_cast<float>(o.gamma) * comb[p].array() / peak).log().matrix();
    VectorXd cum(N + 1);
    cum(0) = 0;
    for (Index n = 0; n < N; ++n) cum(n + 1) = cum(n) + L(n);
    VectorXf r = VectorXf::Zero(N);
    for (Index n = 0; n < N; ++n) {
      const Index a0 = std::max<Index>(0, n - span), b1 = std::min<Index>(N, n + span);
      if (a0 >= n || b1 <= n) continue;
      const double before = (cum(n) - cum(a0)) / static_cast<double>(n - a0);
      const double after = (cum(b1) - cum(n)) / static_cast<double>(b1 - n);
      r(n) = static_cast<float>(std::max(0.0, falls ? before - after : after - before));
    }
    std::vector<float> sorted(r.data(), r.data() + N);
    const std::size_t q = static_cast<std::size_t>(0.98 * static_cast<double>(N - 1));
    std::nth_element(sorted.begin(), sorted.begin() + static_cast<std::ptrdiff_t>(q), sorted.end());
    const float scale = sorted[q] > 1e-6f ? sorted[q] : 1.0f;
    rise[p] = (r / scale).cwiseMin(1.0f);
  }
  return rise;
}

// Onset strength of the whole sound (drum hits): the rise of the log of the frames' total pitch
// energy, as pitch_rises does for one pitch's comb (the mean of `span` frames after a frame minus
// the mean of `span` frames before it, floored at zero, its 98th percentile scaled to 1).
VectorXf energy_rise(const VectorXf& power, const AlignOptions& o, int span) {
  const Index N = power.size();
  const float peak = N > 0 && power.maxCoeff() > 0 ? power.maxCoeff() : 1.0f;
  VectorXd cum(N + 1);
  cum(0) = 0;
  for (Index n = 0; n < N; ++n) cum(n + 1) = cum(n) + std::log(1.0 + o.gamma * power(n) / peak);
  VectorXf r = VectorXf::Zero(N);
  for (Index n = 0; n < N; ++n) {
    const Index a0 = std::max<Index>(0, n - span), b1 = std::min<Index>(N, n + span);
    if (a0 >= n || b1 <= n) continue;
    r(n) = static_cast<float>(std::max(0.0, (cum(b1) - cum(n)) / static_cast<double>(b1 - n) - (cum(n) - cum(a0)) / static_cast<double>(n - a0)));
  }
  if (N == 0) return r;
  std::vector<float> sorted(r.data(), r.data() + N);
  const std::size_t q = static_cast<std::size_t>(0.98 * static_cast<double>(N - 1));
  std::nth_element(sorted.begin(), sorted.begin() + static_cast<std::ptrdiff_t>(q), sorted.end());
  return (r / (sorted[q] > 1e-6f ? sorted[q] : 1.0f)).cwiseMin(1.0f);
}

// Refines the events' audio times (`at`, seconds, from the DTW warp) in one Viterbi pass:
// each event may move within +-window of its estimate; its gain at a frame is the mean onset
// strength of its notes' pitches there; moving away from the estimate costs `prior` per
// second and changing an inter-onset interval of the estimate costs `tempo` per second; events
// stay in order, at least a third of the estimated interval apart.
std::vector<double> refine_events(const std::vector<Event>& events, const std::vector<double>& at, const Score& score,
                                  const std::vector<VectorXf>& rise, const VectorXf& broadband, Index N, double dt,
                                  const AlignOptions& o, const std::vector<bool>& free_event) {
  const std::size_t K = events.size();
  const Index W = static_cast<Index>(std::lround(o.refine_window / dt));
  if (K == 0 || W == 0) return at;
  constexpr double inf = std::numeric_limits<double>::infinity();
  // An event's gain at a frame: the mean onset strength of its notes' pitches; a drum note has no
  // pitch, its hit rises in every band: the rise of the frames' total energy (`broadband`).
  auto gain = [&](std::size_t k, Index n) {
    double g = 0;
    for (std::size_t i : events[k].notes) {
      const Note& note = score.notes()[i];
      g += o.drums_as_rhythm && is_drum(note) ? broadband(n) : rise[static_cast<std::size_t>(std::clamp(note.pitch, 0, 127))](n);
    }
    return g / static_cast<double>(events[k].notes.size());
  };
  std::vector<Index> first(K);
  std::vector<std::vector<double>> D(K);
  std::vector<std::vector<int>> back(K);
  for (std::size_t k = 0; k < K; ++k) {
    const Index c = static_cast<Index>(std::lround(at[k] / dt));
    // No further than half the shorter interval to a neighbour (and at least 30 ms): in fast
    // passages the same pitch starts again within the window, and the DTW, which sees the
    // whole texture, is the better judge of which repetition is meant.
    // An event of a skipped passage, or the first after it (free_event), takes the whole window.
    double near = o.refine_window * 2;
    if (k > 0 && !free_event[k]) near = std::min(near, at[k] - at[k - 1]);
    if (k + 1 < K && !free_event[k]) near = std::min(near, at[k + 1] - at[k]);
    const Index Wk = std::min<Index>(W, std::max<Index>(3, static_cast<Index>(std::lround(0.5 * near / dt))));
    first[k] = std::clamp<Index>(c - Wk, 0, N - 1);
    const Index last = std::clamp<Index>(c + Wk, 0, N - 1);
    const Index C = last - first[k] + 1;
    std::vector<double> unary(static_cast<std::size_t>(C));
    for (Index x = 0; x < C; ++x) {
      const Index n = first[k] + x;
      const double g = gain(k, n);
      unary[x] = -g + o.refine_prior * std::abs(n * dt - at[k]);
    }
    D[k].assign(static_cast<std::size_t>(C), inf);
    back[k].assign(static_cast<std::size_t>(C), -1);
    if (k == 0) {
      D[0] = unary;
      continue;
    }
    const double ioi = at[k] - at[k - 1];
    // Events the DTW put (almost) together, as a passage missing from the audio, may stay together;
    // a skipped passage's events may meet the first played one after it.
    const Index gap = free_event[k] ? 0 : static_cast<Index>(std::lround(ioi / 3 / dt));
    const std::size_t Cp = D[k - 1].size();
    for (Index x = 0; x < C; ++x) {
      const Index n = first[k] + x;
      double best = inf;
      int arg = -1;
      for (std::size_t y = 0; y < Cp; ++y) {
        const Index m = first[k - 1] + static_cast<Index>(y);
        if (n - m < gap || !(D[k - 1][y] < inf)) continue;
        const double v = D[k - 1][y] + o.refine_tempo * std::abs((n - m) * dt - ioi);
        if (v < best) {
          best = v;
          arg = static_cast<int>(y);
        }
      }
      if (arg >= 0) {
        D[k][x] = best + unary[x];
        back[k][x] = arg;
      }
    }
    if (std::none_of(D[k].begin(), D[k].end(), [](double v) { return v < inf; })) return at;  // windows cannot keep the order
  }
  std::vector<Index> chosen(K);
  int x = static_cast<int>(std::min_element(D[K - 1].begin(), D[K - 1].end()) - D[K - 1].begin());
  for (std::size_t k = K; k-- > 0;) {
    chosen[k] = first[k] + x;
    if (k > 0) x = back[k][static_cast<std::size_t>(x)];
  }
  // The rise's strongest frame lies inside the attack; the onset is where the attack begins:
  // the earliest frame, at most `lead` frames before and after the previous event, whose rise
  // is still half the strongest (a slow wind or string attack peaks 20-30 ms after it starts).
  const Index lead = std::max<Index>(1, static_cast<Index>(std::lround(0.06 / dt)));
  std::vector<double> out(K);
  for (std::size_t k = 0; k < K; ++k) {
    const double peak = gain(k, chosen[k]);
    Index n = chosen[k];
    const Index stop = std::max<Index>({0, chosen[k] - lead, k > 0 ? chosen[k - 1] + 1 : 0});
    while (n - 1 >= stop && gain(k, n - 1) >= 0.5 * peak) --n;
    // Between frames: where the rise crosses half its peak, interpolated linearly from the frame
    // before (the frame grid quantised every attack to 10 ms).
    double x = static_cast<double>(n);
    if (n - 1 >= stop) {
      const double g0 = gain(k, n - 1), g1 = gain(k, n);
      if (g1 > g0) x -= std::clamp((g1 - 0.5 * peak) / (g1 - g0), 0.0, 1.0);
    }
    out[k] = x * dt;
  }
  return out;
}

// Offsets where the audio shows them. A note after which its part rests (no note of its label
// starts within 50 ms of its written end: a breath, a rest, the final chord) ends with a release
// that the warp does not see (it places the end in proportion between the onsets around it; on
// Bach10 such ends came 0.2 s late). It is moved to where its pitch's energy falls most steeply,
// within +-refine_window of the warped end, not before a quarter of the note and not after the
// same pitch starts again; only where the fall is clear (at least a quarter of the pitch's strong
// falls). Legato notes keep the warped end: their sound ends where the next note starts, which
// the onsets already place.
void refine_offsets(const Score& score, std::vector<Note>& notes, const MatrixXf& E, Index N, double dt, const AlignOptions& o) {
  const std::vector<Note>& written = score.notes();
  const std::vector<VectorXf> fall = pitch_rises(E, score, o, std::max(1, static_cast<int>(std::lround(0.03 / dt))), true);
  std::map<std::string, std::vector<double>> starts;  // written onsets per label, sorted
  for (const Note& n : written) starts[n.label].push_back(n.onset);
  for (auto& [label, v] : starts) std::sort(v.begin(), v.end());
  std::vector<std::vector<double>> pitch_starts(128);  // aligned onsets per pitch, sorted
  for (const Note& n : notes) pitch_starts[static_cast<std::size_t>(std::clamp(n.pitch, 0, 127))].push_back(n.onset);
  for (auto& v : pitch_starts) std::sort(v.begin(), v.end());
  constexpr double legato = 0.05;
  for (std::size_t i = 0; i < notes.size(); ++i) {
    if (o.drums_as_rhythm && is_drum(written[i])) continue;  // no pitch to fall
    const std::vector<double>& s = starts[written[i].label];
    const double end = written[i].offset();
    const auto it = std::lower_bound(s.begin(), s.end(), end - legato);
    if (it != s.end() && *it <= end + legato) continue;
    Note& n = notes[i];
    const std::size_t p = static_cast<std::size_t>(std::clamp(n.pitch, 0, 127));
    double lo = std::max(n.onset + 0.25 * n.duration, n.offset() - o.refine_window);
    double hi = n.offset() + o.refine_window;
    const auto again = std::upper_bound(pitch_starts[p].begin(), pitch_starts[p].end(), n.onset + 1e-3);
    if (again != pitch_starts[p].end()) hi = std::min(hi, *again - dt);
    const Index a = std::clamp<Index>(static_cast<Index>(std::ceil(lo / dt)), 0, N - 1);
    const Index b = std::clamp<Index>(static_cast<Index>(std::floor(hi / dt)), 0, N - 1);
    Index best = -1;
    float g = 0.25f;
    for (Index m = a; m <= b; ++m)
      if (fall[p](m) > g) {
        g = fall[p](m);
        best = m;
      }
    if (best >= 0) n.duration = std::max(0.0, static_cast<double>(best) * dt - n.onset);
  }
}

// Per-voice refinement (AlignOptions::per_voice). `notes` are the aligned notes of `written`
// (same order); each part's notes that start together in the score (a voice event) are moved
// together, by their own pitches' evidence. Fills `voice_conf` (per note) and `part_conf`.
void refine_voices(const Score& written, std::vector<Note>& notes, const MatrixXf& E, Index N, double dt, const AlignOptions& o,
                   const std::vector<VectorXf>& rise, std::vector<double>& voice_conf, std::map<std::string, double>& part_conf) {
  const std::vector<Note>& w = written.notes();
  const std::size_t count = notes.size();
  // Voice events per label, in written order.
  struct VoiceEvent {
    double written = 0, at = 0, moved = 0;
    std::vector<std::size_t> notes;
  };
  std::map<std::string, std::vector<VoiceEvent>> parts;
  {
    std::vector<std::size_t> order(count);
    for (std::size_t i = 0; i < count; ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return w[a].onset < w[b].onset; });
    for (std::size_t i : order) {
      std::vector<VoiceEvent>& v = parts[w[i].label];
      if (v.empty() || w[i].onset - v.back().written > 1e-3) v.push_back({w[i].onset, notes[i].onset, notes[i].onset, {}});
      v.back().notes.push_back(i);
    }
  }
  // The notes sounding in each 0.5 s of audio, to find the other parts' partials near an event.
  constexpr double kBin = 0.5;
  const double total = static_cast<double>(N) * dt;
  const std::size_t bins = static_cast<std::size_t>(total / kBin) + 1;
  std::vector<std::vector<std::size_t>> sounding(bins);
  for (std::size_t i = 0; i < count; ++i) {
    const std::size_t b0 = static_cast<std::size_t>(std::clamp(notes[i].onset / kBin, 0.0, static_cast<double>(bins - 1)));
    const std::size_t b1 = static_cast<std::size_t>(std::clamp(notes[i].offset() / kBin, 0.0, static_cast<double>(bins - 1)));
    for (std::size_t b = b0; b <= b1; ++b) sounding[b].push_back(i);
  }
  const float peak = E.maxCoeff() > 0 ? E.maxCoeff() : 1.0f;
  const Index span = std::max<Index>(1, static_cast<Index>(std::lround(0.03 / dt)));
  const Index W = static_cast<Index>(std::lround(o.voice_window / dt));
  constexpr int kComb[4] = {0, 12, 19, 24};            // partials 1..4 of a note, in semitones
  constexpr int kOthers[6] = {0, 12, 19, 24, 28, 31};  // partials 1..6 of the other parts' notes
  // The frame time, within +-voice_window of t0, where the comb of `comb`'s pitch rows rises
  // most (less the prior); -1 if the window holds too few frames.
  std::vector<float> L;
  const auto rise_peak = [&](const std::vector<int>& comb, double t0) -> double {
    const Index c = static_cast<Index>(std::lround(t0 / dt));
    const Index a = std::max<Index>(0, c - W - span), b = std::min<Index>(N - 1, c + W + span);
    if (b - a < 2 * span + 1) return -1;
    L.assign(static_cast<std::size_t>(b - a + 1), 0.0f);
    for (Index n = a; n <= b; ++n) {
      float e = 0;
      for (int q : comb) e += E(q, n);
      L[static_cast<std::size_t>(n - a)] = std::log(1.0f + static_cast<float>(o.gamma) * e / peak);
    }
    double best = -std::numeric_limits<double>::infinity();
    Index arg = -1;
    for (Index n = std::max(a + span, c - W); n <= std::min(b - span, c + W); ++n) {
      double before = 0, after = 0;
      for (Index m = 1; m <= span; ++m) before += L[static_cast<std::size_t>(n - m - a)];
      for (Index m = 0; m < span; ++m) after += L[static_cast<std::size_t>(n + m - a)];
      const double v = (after - before) / static_cast<double>(span) - o.voice_prior * std::abs(static_cast<double>(n) * dt - t0);
      if (v > best) {
        best = v;
        arg = n;
      }
    }
    return arg < 0 ? -1.0 : static_cast<double>(arg) * dt;
  };
  // The parts of struck instruments (a piano's hands, plucked strings, drums; and, as before,
  // parts of unknown instruments) keep their event's time: their attack is sharp
  // and the note-level refinement finds it; the hands of one player play together, and the
  // piano pieces measured 8.7 -> 10.1 ms with them moved (docs/RESULTS.md).
  std::set<std::string> sustained;
  for (const InstrumentOf& i : plan_timbre(written, Timbre::Auto).instruments)
    if (!is_struck(i.family) && i.family != Family::Unknown) sustained.insert(i.label);
  for (auto& [label, events] : parts) {
    if (!sustained.count(label)) continue;
    for (VoiceEvent& ev : events) {
      const double t0 = ev.at;
      // The other parts' partials sounding within the window (and 0.1 s around it).
      std::vector<bool> taken(128, false);
      const double lo = t0 - o.voice_window - 0.1, hi = t0 + o.voice_window + 0.1;
      const std::size_t b0 = static_cast<std::size_t>(std::clamp(lo / kBin, 0.0, static_cast<double>(bins - 1)));
      const std::size_t b1 = static_cast<std::size_t>(std::clamp(hi / kBin, 0.0, static_cast<double>(bins - 1)));
      for (std::size_t b = b0; b <= b1; ++b)
        for (std::size_t j : sounding[b])
          if (w[j].label != label && notes[j].onset < hi && notes[j].offset() > lo)
            for (int m : kOthers)
              if (const int q = notes[j].pitch + m; q >= 0 && q < 128) taken[static_cast<std::size_t>(q)] = true;
      std::vector<int> comb;
      for (bool own_only : {true, false}) {
        for (std::size_t i : ev.notes)
          for (int m : kComb)
            if (const int q = notes[i].pitch + m; q >= 0 && q < 128 && (!own_only || !taken[static_cast<std::size_t>(q)]) &&
                                                  std::find(comb.begin(), comb.end(), q) == comb.end())
              comb.push_back(q);
        if (!comb.empty()) break;  // every partial shared: all of them
      }
      if (comb.empty() || W == 0) continue;
      const double found = rise_peak(comb, t0);
      if (found >= 0) ev.moved = t0 + o.voice_weight * (found - o.voice_lead - t0);
    }
    // In order within the part: at least half the event's interval (and at most 30 ms) after
    // the previous voice event.
    for (std::size_t k = 1; k < events.size(); ++k) {
      const double gap = std::min(0.03, 0.5 * std::max(0.0, events[k].at - events[k - 1].at));
      events[k].moved = std::max(events[k].moved, events[k - 1].moved + gap);
    }
    // Onsets move; a note's end moves with the onset of the part's voice event that starts where
    // it ends (legato, within 50 ms of its written end), else it stays (refine_offsets' release).
    for (std::size_t k = 0; k < events.size(); ++k) {
      const double d = events[k].moved - events[k].at;
      for (std::size_t i : events[k].notes) {
        const double end_written = w[i].offset();
        double end = notes[i].offset();
        const auto next = std::find_if(events.begin() + static_cast<std::ptrdiff_t>(k) + 1, events.end(),
                                       [&](const VoiceEvent& e) { return std::abs(e.written - end_written) <= 0.05; });
        if (next != events.end()) end += next->moved - next->at;
        notes[i].onset = std::max(0.0, notes[i].onset + d);
        notes[i].duration = std::max(0.25 * notes[i].duration, end - notes[i].onset);
      }
    }
  }
  // Confidence at the per-voice onsets (as Alignment::confidence).
  voice_conf.assign(count, 0.0);
  std::map<std::string, std::pair<double, std::size_t>> sums;
  for (std::size_t i = 0; i < count; ++i) {
    const Index n = std::clamp<Index>(static_cast<Index>(std::lround(notes[i].onset / dt)), 0, N - 1);
    const VectorXf& rp = rise[static_cast<std::size_t>(std::clamp(notes[i].pitch, 0, 127))];
    float r = 0;
    for (Index m = std::max<Index>(0, n - 3); m <= std::min<Index>(N - 1, n + 3); ++m) r = std::max(r, rp(m));
    voice_conf[i] = r;
    auto& [sum, k] = sums[w[i].label];
    sum += r;
    ++k;
  }
  part_conf.clear();
  for (const auto& [label, sk] : sums) part_conf[label] = sk.first / static_cast<double>(sk.second);
}

std::string seconds_range(double a, double b) {
  char s[64];
  std::snprintf(s, sizeof s, "%.1f-%.1f s", a, b);
  return s;
}

}  // namespace

double max_alignable_score_seconds(double audio_seconds) {
  return std::max(kMaxScoreRatio * audio_seconds + kMaxScoreSlack, kMaxExcerptScore);
}

std::string score_length_problem(const Score& score, double audio_seconds) {
  if (score.empty()) return "";
  double first = score.end();
  for (const Note& n : score.notes()) first = std::min(first, n.onset);
  const double span = score.end() - std::min(first, score.end());
  if (span <= max_alignable_score_seconds(audio_seconds)) return "";
  char why[240];
  std::snprintf(why, sizeof why,
                "the score lasts %.6g s, the audio %.1f s: a score longer than %g s and more than %g times as long as "
                "its recording (+%g s) cannot be aligned to it",
                span, audio_seconds, kMaxExcerptScore, kMaxScoreRatio, kMaxScoreSlack);
  return why;
}

Alignment align_score(const Eigen::Ref<const VectorXf>& audio, double sr, const Score& score, const AlignOptions& o) {
  o.validate();
  if (score.empty()) throw InvalidArgument("align: the score has no notes");
  if (audio.size() == 0) throw InvalidArgument("align: the audio is empty");
  if (const std::string why = score_length_problem(score, static_cast<double>(audio.size()) / sr); !why.empty())
    throw InvalidArgument(why);
  const MatrixXf E = audio_pitch_energy(audio, sr, o);
  const VectorXf power = frame_power(E), silent = audio_silence(power, o);
  const MatrixXf A = [&] {  // the low pitches' energies are freed once in the chroma
    const LowPitches low = low_pitch_energy(audio, sr, o, E.cols());
    return features_from_pitch_energy(E, o, nullptr, silent, audio_entries(power, silent), &low);
  }();
  const Index N = A.cols();
  const double dt = hop_of(sr, o) / sr;
  // The score's leading silence says nothing about the audio (a MIDI file's count-in, a
  // distorted or excerpted score's offset): kept whole, its silent frames must be paired with
  // sounding audio at full cost wherever the path puts them, and the path spread them over the
  // first notes (0.8 s late on a piano excerpt whose score began 1.4 s late). Score frames
  // start 0.1 s before the first note, padded where the score starts sooner (a score starting at
  // 0 had none: the path entered the first chord at the audio's first frame, before the
  // recording's leading silence); the audio's own leading silence pairs with those.
  double first = score.end();
  for (const Note& n : score.notes()) first = std::min(first, n.onset);
  const double lead = first - 0.1;  // negative: padding
  const Score trimmed = score.warped(1.0, -lead);
  const Index M = static_cast<Index>(std::ceil(trimmed.end() / dt)) + 2;
  const MatrixXf S = score_features(trimmed, M, dt, o);
  const double silence_cost = o.silence_cost, entry_cost = o.entry_cost;
  const double audio_seconds = static_cast<double>(audio.size()) / sr;
  const bool excerpt = o.subsequence == AlignOptions::Subsequence::On ||
                       (o.subsequence == AlignOptions::Subsequence::Auto && audio_seconds < o.excerpt_ratio * (score.end() - first));
  MultiscaleOptions dtw_options = o.dtw;
  dtw_options.subsequence = excerpt;
  // Rows [kOnset, kSilent), the onset and entry rows: an onset or an entry in a coarse frame stays one.
  dtw_options.peak_rows = {feature_rows::kOnset, feature_rows::kSilent};
  const WarpingPath path = multiscale_dtw(
      A, S, [silence_cost, entry_cost](const Eigen::Ref<const VectorXf>& a, const Eigen::Ref<const VectorXf>& b) { return frame_cost(a, b, silence_cost, entry_cost); },
      dtw_options);

  Alignment out;
  // The score frames the path covers: all of them, or an excerpt's span. The notes starting
  // within it (up to 50 ms before its first frame: the path may enter a note's frames a few
  // frames late, its onset tail still fading in) are the ones the recording plays; the others
  // are left out of what follows.
  const Index j0 = path.front().second, j1 = path.back().second;
  out.excerpt = excerpt;
  out.score_start = excerpt ? std::max(first, static_cast<double>(j0) * dt + lead) : first;
  out.score_end = excerpt ? std::min(score.end(), static_cast<double>(j1 + 1) * dt + lead) : score.end();
  const Score part = [&] {
    if (!excerpt) return score;
    std::vector<Note> kept;
    for (std::size_t i = 0; i < score.size(); ++i) {
      const Note& n = score.notes()[i];
      if (n.onset >= out.score_start - 0.05 && n.onset < out.score_end) {
        kept.push_back(n);
        out.score_notes.push_back(i);
      }
    }
    // A recording inside one held note or chord: the notes sounding there.
    const bool none = kept.empty();
    for (std::size_t i = 0; none && i < score.size(); ++i) {
      const Note& n = score.notes()[i];
      if (n.onset < out.score_end && n.offset() > out.score_start) {
        kept.push_back(n);
        out.score_notes.push_back(i);
      }
    }
    return Score(std::move(kept));
  }();
  if (!excerpt)
    for (std::size_t i = 0; i < score.size(); ++i) out.score_notes.push_back(i);
  if (part.empty()) throw InvalidArgument("align: no note of the score starts within the stretch the recording matches");
  std::vector<double> chroma_at(path.size());
  double chroma = 0;
  for (std::size_t k = 0; k < path.size(); ++k) {
    const auto [i, j] = path[k];
    chroma_at[k] = 1.0 - A.col(i).head(12).dot(S.col(j).head(12));
    chroma += chroma_at[k];
  }
  out.cost = chroma / static_cast<double>(path.size());
  // Score frame j -> the audio frame where the path enters it; then strictly increasing. Not
  // the mean of the frames paired with it: where the score waits (a fermata, a breath) the path
  // pairs one score frame with the whole hold, and a chord starting at that frame starts where
  // the hold starts, not half way through it (the mean made chords enter late after fermatas).
  std::vector<Index> enter(static_cast<std::size_t>(M), -1);
  for (const auto& [i, j] : path)
    if (enter[j] < 0) enter[j] = i;
  std::vector<std::pair<double, double>> dtw_warp;
  double last = -1e300;
  for (Index j = j0; j <= j1; ++j) {
    double a = static_cast<double>(enter[j]) * dt;
    if (a <= last) a = last + 1e-4;  // strictly monotonic before onsets and offsets are mapped
    dtw_warp.emplace_back(j * dt + lead, a);
    last = a;
  }

  // Note-level refinement: events moved to their pitches' rises; the warp follows by the
  // correction interpolated between events.
  const std::vector<Event> events = onset_events(part);
  // The score time of score frame j in the flags (not in the padding before a score's start).
  const auto score_s = [&](Index j) { return std::max(0.0, static_cast<double>(j) * dt + lead); };
  std::vector<AlignIssue> missing;  // score passages the audio leaves out (flagged below)
  // Missing sections: within at most 2 * missing_seconds of audio, the path crosses at least
  // missing_seconds more sounding score than the piece's overall tempo would (a skipped passage
  // is crossed quickly, though the path may spread it over the neighbouring chords; a breath or
  // a fermata goes the other way, and rubato over a few seconds stays well below it), and the
  // score crossed holds at least two onset events after its start: a skip skips notes, while
  // a note or chord that only sounds shorter than written (a piano's final chord dying away
  // under a long written hold, a held note released early) skips none, and the audio shows
  // nothing missing there (the real Disklavier piece's last chord was flagged).
  std::vector<Index> onset_frames;  // trimmed score frames of the onset events, ascending
  for (const Event& ev : events) onset_frames.push_back(static_cast<Index>(std::lround((ev.score_s - lead) / dt)));
  const auto onsets_within = [&](Index j0, Index j1) {  // events at frames in (j0, j1]
    return std::upper_bound(onset_frames.begin(), onset_frames.end(), j1) - std::upper_bound(onset_frames.begin(), onset_frames.end(), j0);
  };
  // Prefix counts of sounding score frames and audible audio frames, the piece's overall rate
  // (sounding score per audible audio frame), and a flag's span over the path's steps a..b.
  const Index need = static_cast<Index>(std::lround(o.missing_seconds / dt));
  std::vector<Index> sounding(static_cast<std::size_t>(M) + 1, 0), audible(static_cast<std::size_t>(N) + 1, 0);
  for (Index j = 0; j < M; ++j) sounding[j + 1] = sounding[j] + (S(feature_rows::kSilent, j) < 0.5f);
  for (Index i = 0; i < N; ++i) audible[i + 1] = audible[i] + (silent(i) < 0.5f);
  const double rate = static_cast<double>(sounding[j1 + 1] - sounding[j0]) / static_cast<double>(std::max<Index>(1, audible[N]));
  const auto span = [&](std::size_t a, std::size_t b) {
    AlignIssue is;
    is.audio_start = path[a].first * dt;
    is.audio_end = path[b].first * dt;
    is.score_start = score_s(path[a].second);
    is.score_end = score_s(path[b].second);
    return is;
  };
  {
    // More sounding score crossed than the overall tempo gives the audio frames crossed.
    const auto excess = [&](std::size_t a, std::size_t b) {
      return static_cast<double>(sounding[path[b].second + 1] - sounding[path[a].second]) -
             rate * static_cast<double>(path[b].first - path[a].first);
    };
    std::size_t k = 0;
    while (k < path.size()) {
      double best = 0;
      std::size_t best_e = k;
      for (std::size_t e = k + 1; e < path.size() && path[e].first - path[k].first <= 2 * need; ++e) {
        if (excess(k, e) > best) {
          best = excess(k, e);
          best_e = e;
        }
      }
      if (best >= static_cast<double>(need)) {
        // Tighten the start: the latest start with the largest excess up to that end.
        std::size_t best_k = k;
        double tight = best;
        for (std::size_t k2 = k + 1; k2 < best_e; ++k2) {
          if (excess(k2, best_e) >= tight) {
            tight = excess(k2, best_e);
            best_k = k2;
          }
        }
        if (onsets_within(path[best_k].second, path[best_e].second) < 2) {
          ++k;
          continue;
        }
        k = best_k;
        AlignIssue is = span(k, best_e);
        is.what = "the score at " + seconds_range(is.score_start, is.score_end) + " is missing from the audio (at " +
                  seconds_range(is.audio_start, is.audio_end) + ")";
        missing.push_back(is);
        k = best_e + 1;
      } else {
        ++k;
      }
    }
  }
  // Extra sections: the audio plays music the score does not have there (a bar repeated, a
  // passage inserted). The path cannot go back, so it holds or crawls through the score while
  // the audio goes on: within at most 4 * missing_seconds of audio, at least missing_seconds
  // more sounding audio than the overall tempo gives the score crossed, and in it at least 3
  // more attacks (the frames' total energy rising, broadband: peaks above half the strong ones,
  // 0.1 s apart at least) than score events crossed. A fermata or a ritardando holds the score
  // too, but plays no new notes.
  const VectorXf broadband = energy_rise(power, o, std::max(1, static_cast<int>(std::lround(0.03 / dt))));
  std::vector<AlignIssue> extra;
  {
    std::vector<Index> attacks(static_cast<std::size_t>(N) + 1, 0);
    const Index apart = std::max<Index>(1, static_cast<Index>(std::lround(0.1 / dt)));
    Index last_attack = -apart;
    for (Index i = 0; i < N; ++i) {
      const bool peak = broadband(i) > 0.5f && (i == 0 || broadband(i) >= broadband(i - 1)) && (i + 1 == N || broadband(i) > broadband(i + 1));
      const bool counted = peak && i - last_attack >= apart;
      if (counted) last_attack = i;
      attacks[i + 1] = attacks[i] + counted;
    }
    // More audible audio crossed than the overall tempo gives the sounding score crossed.
    const auto surplus = [&](std::size_t a, std::size_t b) {
      return static_cast<double>(audible[path[b].first + 1] - audible[path[a].first]) -
             static_cast<double>(sounding[path[b].second + 1] - sounding[path[a].second]) / rate;
    };
    std::size_t k = 0;
    while (k < path.size()) {
      double best = 0;
      std::size_t best_e = k;
      for (std::size_t e = k + 1; e < path.size() && path[e].first - path[k].first <= 4 * need; ++e) {
        if (surplus(k, e) > best) {
          best = surplus(k, e);
          best_e = e;
        }
      }
      const auto new_notes = [&](std::size_t a, std::size_t b) {
        return static_cast<double>(attacks[path[b].first + 1] - attacks[path[a].first]) - static_cast<double>(onsets_within(path[a].second, path[b].second));
      };
      if (best >= static_cast<double>(need) && new_notes(k, best_e) >= 3) {
        // Tighten the start: the latest start with the largest surplus up to that end.
        double tight = best;
        for (std::size_t k2 = k + 1; k2 < best_e; ++k2) {
          if (surplus(k2, best_e) >= tight && new_notes(k2, best_e) >= 3) {
            tight = surplus(k2, best_e);
            k = k2;
          }
        }
        AlignIssue is = span(k, best_e);
        is.what = "the audio at " + seconds_range(is.audio_start, is.audio_end) + " plays more than the score at " +
                  seconds_range(is.score_start, is.score_end) + " (a repeat or an insertion?)";
        extra.push_back(is);
        k = best_e + 1;
      } else {
        ++k;
      }
    }
  }
  // The events of a passage the audio leaves out, and the first one after it, are refined free
  // of their neighbours: the path crossed the passage's score in a few frames, so their DTW
  // times lie together, and the window of each (half the interval to its neighbours) left the
  // first played note after the skip where the crossing ended (0.37 s late in a generated
  // trio). Their notes were not played, so their own pitches rise nowhere near; they stay in order.
  std::vector<bool> free_event(events.size(), false), skipped_event(events.size(), false);
  for (const AlignIssue& is : missing) {
    bool after = false;
    for (std::size_t k = 0; k < events.size(); ++k) {
      const double t = events[k].score_s;
      if (t > is.score_start + 1e-3 && t <= is.score_end) free_event[k] = skipped_event[k] = true;
      else if (t > is.score_end && !after) free_event[k] = after = true;
    }
  }
  std::vector<double> at(events.size());
  for (std::size_t k = 0; k < events.size(); ++k) at[k] = warp_time(dtw_warp, events[k].score_s);
  const std::vector<VectorXf> rise = pitch_rises(E, part, o, std::max(1, static_cast<int>(std::lround(0.03 / dt))));
  const std::vector<double> attack = o.refine ? refine_events(events, at, part, rise, broadband, N, dt, o, free_event) : at;
  std::vector<double> refined(events.size());
  // At a skip (free_event) the DTW's time is no estimate of its own (the path crossed the
  // passage where it could): the attack alone.
  for (std::size_t k = 0; k < events.size(); ++k) refined[k] = at[k] + (free_event[k] ? 1.0 : o.refine_weight) * (attack[k] - at[k]);
  out.warp = dtw_warp;
  if (o.refine && !events.empty()) {
    std::vector<std::pair<double, double>> corr;  // (score s, correction s)
    for (std::size_t k = 0; k < events.size(); ++k) corr.emplace_back(events[k].score_s, refined[k] - at[k]);
    last = -1e300;
    for (auto& [s, a] : out.warp) {
      double c;
      if (s <= corr.front().first) c = corr.front().second;
      else if (s >= corr.back().first) c = corr.back().second;
      else {
        const auto it = std::upper_bound(corr.begin(), corr.end(), s, [](double v, const auto& p) { return v < p.first; });
        const auto& [s1, c1] = *it;
        const auto& [s0, c0] = *(it - 1);
        c = c0 + (s - s0) / (s1 - s0) * (c1 - c0);
      }
      a += c;
    }
    // Across a skipped passage the DTW's frames crossed the score anyhow (times out of order once
    // corrected, and the passage's 4 s of score frames each pushed 0.1 ms on by the order below):
    // there the warp runs straight between the refined events, from the last played one before
    // the skip to the first after it.
    for (std::size_t k = 0; k < events.size();) {
      if (!free_event[k] || k == 0) {
        ++k;
        continue;
      }
      std::size_t k1 = k;
      while (k1 + 1 < events.size() && free_event[k1 + 1]) ++k1;
      const double s0 = events[k - 1].score_s, s1 = events[k1].score_s;
      std::erase_if(out.warp, [&](const auto& p) { return p.first > s0 && p.first <= s1; });
      std::vector<std::pair<double, double>> through;
      for (std::size_t m = k; m <= k1; ++m) through.emplace_back(events[m].score_s, refined[m]);
      const auto at_s = std::upper_bound(out.warp.begin(), out.warp.end(), s1, [](double v, const auto& p) { return v < p.first; });
      out.warp.insert(at_s, through.begin(), through.end());
      k = k1 + 1;
    }
    for (auto& [s, a] : out.warp) {
      if (a <= last) a = last + 1e-4;
      last = a;
    }
  }
  // The padding before a score that starts sooner than 0.1 s maps no time of the score: the warp
  // starts at 0 (or at a score's own negative start), interpolated there.
  if (const double from = std::min(0.0, first); out.warp.front().first < from) {
    const double at_from = warp_time(out.warp, from);
    std::erase_if(out.warp, [from](const auto& p) { return p.first <= from; });
    out.warp.insert(out.warp.begin(), {from, at_from});
  }
  std::vector<Note> notes = part.notes();
  out.confidence.assign(notes.size(), 0.0);
  for (std::size_t k = 0; k < events.size(); ++k)
    for (std::size_t i : events[k].notes) {
      const Index n = std::clamp<Index>(static_cast<Index>(std::lround(attack[k] / dt)), 0, N - 1);
      // The strongest rise of the pitch within 30 ms of the chosen frame (the frame grid and the
      // chord's players are not exactly together).
      float r = 0;
      const VectorXf& rp = rise[static_cast<std::size_t>(std::clamp(notes[i].pitch, 0, 127))];
      for (Index m = std::max<Index>(0, n - 3); m <= std::min<Index>(N - 1, n + 3); ++m) r = std::max(r, rp(m));
      out.confidence[i] = r;
    }
  for (Note& n : notes) {
    const double on = warp_time(out.warp, n.onset), off = warp_time(out.warp, n.offset());
    n.onset = std::max(0.0, on);
    n.duration = std::max(0.0, off - n.onset);
  }
  if (o.refine) refine_offsets(part, notes, E, N, dt, o);
  if (o.per_voice) {
    out.event_onset.reserve(notes.size());
    for (const Note& n : notes) out.event_onset.push_back(n.onset);
  }
  if (o.per_voice) refine_voices(part, notes, E, N, dt, o, rise, out.voice_confidence, out.part_confidence);
  // The notes of a passage the audio leaves out were not played: confidence 0, whatever rises
  // where the path put them (the first chord after the skip, which may share their pitches).
  if (std::find(skipped_event.begin(), skipped_event.end(), true) != skipped_event.end()) {
    for (std::size_t k = 0; k < events.size(); ++k)
      if (skipped_event[k])
        for (std::size_t i : events[k].notes) {
          out.confidence[i] = 0;
          if (!out.voice_confidence.empty()) out.voice_confidence[i] = 0;
        }
    if (!out.voice_confidence.empty()) {
      std::map<std::string, std::pair<double, std::size_t>> sums;
      for (std::size_t i = 0; i < notes.size(); ++i) {
        auto& [sum, count] = sums[part.notes()[i].label];
        sum += out.voice_confidence[i];
        ++count;
      }
      for (const auto& [label, sc] : sums) out.part_confidence[label] = sc.first / static_cast<double>(sc.second);
    }
  }
  for (double c : out.confidence) out.mean_confidence += c / static_cast<double>(out.confidence.size());
  out.aligned = Score(std::move(notes));

  // Flags. Passages: the chroma cost along the path, over sounding audio frames, averaged in
  // windows of passage_seconds of audio (half-overlapping); windows above poor_cost merge.
  const Index win = std::max<Index>(1, static_cast<Index>(std::lround(o.passage_seconds / dt)));
  {
    std::vector<double> frame_sum(static_cast<std::size_t>(N), 0), frame_n(static_cast<std::size_t>(N), 0);
    for (std::size_t k = 0; k < path.size(); ++k) {
      const auto [i, j] = path[k];
      if (silent(i) > 0.5f || S(feature_rows::kSilent, j) > 0.5f) continue;
      frame_sum[i] += chroma_at[k];
      frame_n[i] += 1;
    }
    std::vector<std::pair<Index, Index>> bad;
    for (Index a0 = 0; a0 < N; a0 += std::max<Index>(1, win / 2)) {
      const Index a1 = std::min(N, a0 + win);
      double cs = 0, cn = 0;
      for (Index i = a0; i < a1; ++i) {
        cs += frame_sum[i];
        cn += frame_n[i];
      }
      if (cn >= 0.25 * static_cast<double>(win) && cs / cn > o.poor_cost) {
        if (!bad.empty() && a0 <= bad.back().second) bad.back().second = a1;
        else bad.emplace_back(a0, a1);
      }
      if (a1 == N) break;
    }
    for (const auto& [a0, a1] : bad) {
      AlignIssue is;
      is.audio_start = a0 * dt;
      is.audio_end = a1 * dt;
      // The score time the path pairs with the passage's ends.
      for (const auto& [i, j] : path) {
        if (i <= a0) is.score_start = score_s(j);
        if (i < a1) is.score_end = score_s(j);
      }
      is.what = "the audio at " + seconds_range(is.audio_start, is.audio_end) + " does not match the score at " +
                seconds_range(is.score_start, is.score_end);
      out.issues.push_back(is);
    }
  }
  out.issues.insert(out.issues.end(), missing.begin(), missing.end());
  out.issues.insert(out.issues.end(), extra.begin(), extra.end());
  std::sort(out.issues.begin(), out.issues.end(), [](const AlignIssue& a, const AlignIssue& b) { return a.audio_start < b.audio_start; });

  // A recording of the score plays it at roughly its tempo: half or twice its length means the
  // wrong recording (or a fragment), whatever the path cost says.
  // An excerpt: the stretch found is the score it plays.
  const double score_length = excerpt ? out.score_end - out.score_start : score.end();
  const double ratio = audio_seconds / std::max(score_length, 1e-3);
  char why[200] = "";
  if (ratio < 0.5 || ratio > 2.0)
    std::snprintf(why, sizeof why, "the audio lasts %.1f s, the score%s %.1f s", audio_seconds, excerpt ? "'s stretch it matches" : "",
                  score_length);
  else if (out.cost > o.poor_cost)
    std::snprintf(why, sizeof why, "the features do not match (normalised cost %.2f > %.2f)", out.cost, o.poor_cost);
  out.problem = why;
  if (out.problem.empty() && !out.issues.empty()) {
    out.problem = out.issues.front().what;
    if (out.issues.size() > 1) out.problem += " (and " + std::to_string(out.issues.size() - 1) + " more)";
  }
  out.poor = !out.problem.empty();
  return out;
}

}  // namespace notewise
