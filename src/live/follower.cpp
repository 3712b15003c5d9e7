// Online score following (live.hpp): chroma and onset features frame by frame against the
// score's, a tempo-aware forward dynamic programme over a moving window of score frames.
#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "notewise/core/error.hpp"
#include "notewise/live/live.hpp"

namespace notewise {

namespace {
constexpr int kLowPitch = 21, kHighPitch = 108;
constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr int kD = 24;  // feature dimensions: 12 pitch classes in each of two registers

void check_range(const char* name, double v, double lo, double hi) {
  if (!(v >= lo && v <= hi))
    throw InvalidArgument("live following: " + std::string(name) + " = " + std::to_string(v) + " is outside " +
                          std::to_string(lo) + " .. " + std::to_string(hi));
}
}  // namespace

void FollowerOptions::validate() const {
  check_range("ahead_seconds", ahead_seconds, 0.1, 600);
  check_range("back_seconds", back_seconds, 0, 600);
  check_range("max_step", max_step, 1, 8);
  check_range("step_cost", step_cost, 0, 100);
  check_range("jump_cost", jump_cost, 0, 1e6);
  check_range("stay_cost", stay_cost, 0, 100);
  check_range("steady_cost", steady_cost, 0, 100);
  check_range("ahead_factor", ahead_factor, 0, 100);
  check_range("forget", forget, 0, 0.5);
  check_range("min_tempo", min_tempo, 0.05, 1);
  check_range("max_tempo", max_tempo, 1, 8);
  check_range("tempo_seconds", tempo_seconds, 0.1, 60);
  check_range("gamma", gamma, 1e-3, 1e6);
  check_range("release_seconds", release_seconds, 0, 10);
  check_range("register_split", register_split, 0, 127);
  check_range("silence_db", silence_db, -200, 0);
  check_range("silence_cost", silence_cost, 0, 10);
  check_range("rest_cost", rest_cost, 0, 10);
  check_range("count_in_cost", count_in_cost, 0, 10);
  check_range("onset_weight", onset_weight, 0, 10);
  check_range("lost_cost", lost_cost, 1e-3, 10);
  check_range("lost_seconds", lost_seconds, 0.1, 60);
}

struct ScoreFollower::Impl {
  FollowerOptions o;
  int split = 0;  // FollowerOptions::register_split
  int dim(int pitch) const { return ((pitch % 12) + 12) % 12 + (pitch >= split ? 12 : 0); }
  float uniform(int c) const { return split > 0 ? 1.0f / std::sqrt(static_cast<float>(kD)) : (c >= 12 ? 1.0f / std::sqrt(12.0f) : 0.0f); }
  double dt = 0;  // s per frame
  Index M = 0;    // score frames
  Index first_frame = 0;  // the first note's
  std::vector<Index> bin_pitch;       // per bin: pitch - kLowPitch, or -1
  // Score features per frame: unit chroma (12), onset vector (12, unit or zero), sounding.
  std::vector<float> chroma_s, onset_s;
  std::vector<char> sounding_s;
  std::vector<double> note_onset;     // per note
  std::vector<Bar> bars;              // the score's, for the state's bar and beat
  std::vector<std::size_t> order;     // notes by onset
  std::size_t next_note = 0;
  std::vector<double> onsets, onset_conf, onset_tempo;
  // DP
  std::vector<float> D, Dn;
  Index lo = 0, hi = -1;              // the window computed last
  Index pos = 0;
  double ref = 0, loud = 0, onset_scale = 0;
  std::vector<float> prev_log;        // unnormalised log chroma of the last frame
  std::vector<Index> history;         // positions of recent frames (ring)
  std::vector<char> history_silent;
  Index t = 0;
  double mean_cost = 0;
  double prev_time = 0;
  double prev_score = 0;
  FollowerState state;

  float local_cost(Index j, const float* ca, const float* oa, bool silent) const {
    const bool s = sounding_s[static_cast<std::size_t>(j)] != 0;
    if (silent) return static_cast<float>(s ? o.silence_cost : 0.0);
    if (!s) return static_cast<float>(j < first_frame ? o.count_in_cost : o.rest_cost);
    const float* cs = &chroma_s[static_cast<std::size_t>(j) * kD];
    float dot = 0;
    for (int c = 0; c < kD; ++c) dot += ca[c] * cs[c];
    float cost = 1 - dot;
    if (o.onset_weight > 0) {
      const float* os = &onset_s[static_cast<std::size_t>(j) * kD];
      float d2 = 0;
      for (int c = 0; c < kD; ++c) d2 += (oa[c] - os[c]) * (oa[c] - os[c]);
      cost += static_cast<float>(o.onset_weight) * d2 / 2;
    }
    return cost;
  }
};

ScoreFollower::ScoreFollower(const Score& score, double sample_rate, int n_fft, int hop, const FollowerOptions& options,
                             const std::vector<bool>& rings)
    : impl_(std::make_unique<Impl>()) {
  options.validate();
  if (score.empty()) throw InvalidArgument("live following: the score has no notes");
  if (!rings.empty() && rings.size() != score.size())
    throw InvalidArgument("live following: " + std::to_string(rings.size()) + " ringing flags for " + std::to_string(score.size()) + " notes");
  if (!(sample_rate >= 1000) || n_fft < 4 || hop < 1) throw InvalidArgument("live following: bad frame geometry");
  Impl& m = *impl_;
  m.o = options;
  m.bars = score.bars();
  m.split = options.register_split;
  m.dt = hop / sample_rate;
  const double end = score.end();
  m.M = static_cast<Index>(std::ceil(end / m.dt)) + 2;
  const Index bins = n_fft / 2 + 1;
  m.bin_pitch.assign(static_cast<std::size_t>(bins), -1);
  for (Index k = 1; k < bins; ++k) {
    const double f = k * sample_rate / n_fft;
    const double p = std::round(69 + 12 * std::log2(f / 440));
    if (p >= kLowPitch && p <= kHighPitch) m.bin_pitch[static_cast<std::size_t>(k)] = static_cast<Index>(p) - kLowPitch;
  }
  // Score features: each sounding note adds velocity^2 at its pitch class and, at 1/m^2, at
  // its partials m = 2..4, and after its offset the same fading as exp(-t / release_seconds)
  // for 3 release_seconds (what still rings); log-compressed against the score's loudest
  // frame, unit length.
  const std::size_t M = static_cast<std::size_t>(m.M);
  std::vector<float> energy(M * kD, 0.0f);
  m.onset_s.assign(M * kD, 0.0f);
  m.sounding_s.assign(M, 0);
  const auto frame_of = [&](double s) { return static_cast<Index>(std::floor(s / m.dt + 0.5)); };
  for (std::size_t i = 0; i < score.size(); ++i) {
    const Note& n = score.notes()[i];
    const double v2 = std::max(n.velocity, 1.0) * std::max(n.velocity, 1.0);
    const Index a = std::clamp<Index>(frame_of(n.onset), 0, m.M - 1);
    const Index b = std::clamp<Index>(frame_of(n.offset()), a + 1, m.M);
    const double rel = rings.empty() || rings[i] ? options.release_seconds : 0.0;
    const Index tail = rel > 0 ? std::min<Index>(m.M, b + static_cast<Index>(3 * rel / m.dt)) : b;
    for (int h = 1; h <= 4; ++h) {
      const int pc = m.dim(n.pitch + static_cast<int>(std::lround(12 * std::log2(h))));
      for (Index j = a; j < b; ++j) energy[static_cast<std::size_t>(j) * kD + pc] += static_cast<float>(v2 / (h * h));
      for (Index j = b; j < tail; ++j)
        energy[static_cast<std::size_t>(j) * kD + pc] +=
            static_cast<float>(v2 / (h * h) * std::exp(-static_cast<double>(j - b + 1) * m.dt / rel));
    }
    for (Index j = a; j < b; ++j) m.sounding_s[static_cast<std::size_t>(j)] = 1;
    // Onsets: the rise spreads over the frames whose window takes the note in (4 hops).
    for (int d = 0; d < 2 && a + d < m.M; ++d)
      m.onset_s[static_cast<std::size_t>(a + d) * kD + static_cast<std::size_t>(m.dim(n.pitch))] += static_cast<float>(v2);
  }
  const float emax = std::max(1e-12f, *std::max_element(energy.begin(), energy.end()));
  m.chroma_s.assign(M * kD, 0.0f);
  for (std::size_t j = 0; j < M; ++j) {
    float norm = 0;
    for (int c = 0; c < kD; ++c) {
      const float v = std::log1p(static_cast<float>(options.gamma) * energy[j * kD + c] / emax);
      m.chroma_s[j * kD + c] = v;
      norm += v * v;
    }
    norm = std::sqrt(norm);
    for (int c = 0; c < kD; ++c) m.chroma_s[j * kD + c] = norm > 0 ? m.chroma_s[j * kD + c] / norm : m.uniform(c);
    float on = 0;
    for (int c = 0; c < kD; ++c) on += m.onset_s[j * kD + c] * m.onset_s[j * kD + c];
    on = std::sqrt(on);
    if (on > 0)
      for (int c = 0; c < kD; ++c) m.onset_s[j * kD + c] /= on;
  }
  m.note_onset.reserve(score.size());
  for (const Note& n : score.notes()) m.note_onset.push_back(n.onset);
  m.order.resize(score.size());
  std::iota(m.order.begin(), m.order.end(), std::size_t{0});
  std::stable_sort(m.order.begin(), m.order.end(),
                   [&](std::size_t a, std::size_t b) { return m.note_onset[a] < m.note_onset[b]; });
  m.onsets.assign(score.size(), std::numeric_limits<double>::quiet_NaN());
  m.onset_conf.assign(score.size(), 0.0);
  m.onset_tempo.assign(score.size(), 1.0);
  // Start: anywhere up to the first note (a count-in's rests cost nothing against silence).
  m.D.assign(M, kInf);
  m.Dn.assign(M, kInf);
  double first = end;
  for (const Note& n : score.notes()) first = std::min(first, n.onset);
  const Index f0 = std::clamp<Index>(frame_of(first), 0, m.M - 1);
  m.first_frame = f0;
  for (Index j = 0; j <= f0; ++j) m.D[static_cast<std::size_t>(j)] = 0;
  m.lo = 0;
  m.hi = f0;
  m.pos = 0;
  m.prev_log.assign(kD, 0.0f);
  m.history.assign(static_cast<std::size_t>(std::max<Index>(2, static_cast<Index>(options.tempo_seconds / m.dt))), 0);
  m.history_silent.assign(m.history.size(), 1);
  m.state.tempo = 1;
}

ScoreFollower::~ScoreFollower() = default;
ScoreFollower::ScoreFollower(ScoreFollower&&) noexcept = default;
ScoreFollower& ScoreFollower::operator=(ScoreFollower&&) noexcept = default;

const FollowerState& ScoreFollower::state() const { return impl_->state; }
const std::vector<double>& ScoreFollower::onsets() const { return impl_->onsets; }
const std::vector<double>& ScoreFollower::onset_confidence() const { return impl_->onset_conf; }
const std::vector<double>& ScoreFollower::onset_tempo() const { return impl_->onset_tempo; }

const FollowerState& ScoreFollower::step(const Eigen::Ref<const VectorXf>& mag, double audio_time) {
  Impl& m = *impl_;
  const FollowerOptions& o = m.o;
  if (mag.size() != static_cast<Index>(m.bin_pitch.size()))
    throw InvalidArgument("live following: a frame of " + std::to_string(mag.size()) + " bins, expected " +
                          std::to_string(m.bin_pitch.size()));
  // Audio features.
  float E[kHighPitch - kLowPitch + 1] = {};
  double total = 0;
  for (Index k = 0; k < mag.size(); ++k) {
    const float e = mag[k] * mag[k];
    total += e;
    const Index p = m.bin_pitch[static_cast<std::size_t>(k)];
    if (p >= 0) E[p] += e;
  }
  const float emax = *std::max_element(std::begin(E), std::end(E));
  m.ref = std::max(m.ref, static_cast<double>(emax));
  m.loud = std::max(m.loud, total);
  const bool silent = !(total > 1e-12 * mag.size()) || total < m.loud * std::pow(10.0, o.silence_db / 10);
  float logc[kD] = {}, ca[kD] = {}, oa[kD] = {};
  for (int p = 0; p <= kHighPitch - kLowPitch; ++p)
    logc[m.dim(p + kLowPitch)] += std::log1p(static_cast<float>(o.gamma / std::max(m.ref, 1e-30)) * E[p]);
  float norm = 0, onorm = 0;
  for (int c = 0; c < kD; ++c) {
    norm += logc[c] * logc[c];
    oa[c] = std::max(0.0f, logc[c] - m.prev_log[static_cast<std::size_t>(c)]);
    onorm += oa[c] * oa[c];
    m.prev_log[static_cast<std::size_t>(c)] = logc[c];
  }
  norm = std::sqrt(norm);
  onorm = std::sqrt(onorm);
  for (int c = 0; c < kD; ++c) ca[c] = norm > 0 ? logc[c] / norm : m.uniform(c);
  m.onset_scale = std::max(m.onset_scale * 0.995, static_cast<double>(onorm));
  const float oscale = static_cast<float>(std::max(m.onset_scale, 1e-6));
  for (int c = 0; c < kD; ++c) oa[c] = silent ? 0.0f : oa[c] / oscale;

  // Tempo from the recent path (sounding frames only).
  const std::size_t T = m.history.size();
  {
    const Index oldest = m.history[static_cast<std::size_t>(m.t) % T];
    Index sounding = 0;
    for (char s : m.history_silent) sounding += s ? 0 : 1;
    if (m.t >= static_cast<Index>(T) && sounding > static_cast<Index>(T) / 2) {
      const double r = static_cast<double>(m.pos - oldest) / static_cast<double>(sounding);
      m.state.tempo = std::clamp(r, o.min_tempo, o.max_tempo);
    }
  }
  const double r = m.state.tempo;

  // The window: around the position, twice as wide when lost.
  const double widen = m.state.lost ? 2.0 : 1.0;
  const Index lo = std::max<Index>(0, m.pos - static_cast<Index>(widen * o.back_seconds / m.dt));
  const Index hi = std::min<Index>(m.M - 1, m.pos + static_cast<Index>(widen * o.ahead_seconds / m.dt));
  float best_prev = kInf;
  for (Index j = m.lo; j <= m.hi; ++j) best_prev = std::min(best_prev, m.D[static_cast<std::size_t>(j)]);
  const float keep = static_cast<float>(1 - o.forget);
  const float jump = best_prev * keep + static_cast<float>(o.jump_cost);
  float pen[9];
  for (int k = 0; k <= o.max_step; ++k)
    pen[k] = static_cast<float>(o.step_cost * (k - r) * (k - r) / std::max(r, 1.0) * (k > r ? o.ahead_factor : 1.0));
  {
    float strength = 0;  // how clearly a note starts in this frame, 0..1
    for (int c = 0; c < kD; ++c) strength += oa[c] * oa[c];
    strength = std::min(1.0f, std::sqrt(strength));
    pen[0] = silent ? 0.0f : static_cast<float>(o.steady_cost + (o.stay_cost - o.steady_cost) * strength);
  }
  float best = kInf;
  Index arg = m.pos;
  for (Index j = lo; j <= hi; ++j) {
    float b = jump;
    for (int k = 0; k <= o.max_step && j - k >= 0; ++k) {
      const float prev = m.D[static_cast<std::size_t>(j - k)];
      if (prev < kInf) b = std::min(b, prev * keep + pen[k]);
    }
    const float v = b + m.local_cost(j, ca, oa, silent);
    m.Dn[static_cast<std::size_t>(j)] = v;
    if (v < best) {
      best = v;
      arg = j;
    }
  }
  for (Index j = m.lo; j <= m.hi; ++j) m.D[static_cast<std::size_t>(j)] = kInf;
  for (Index j = lo; j <= hi; ++j) {
    m.D[static_cast<std::size_t>(j)] = m.Dn[static_cast<std::size_t>(j)];
    m.Dn[static_cast<std::size_t>(j)] = kInf;
  }
  m.lo = lo;
  m.hi = hi;
  const Index previous = m.pos;
  m.pos = arg;
  const float d = m.local_cost(arg, ca, oa, silent);
  const double a = std::min(1.0, m.dt / o.lost_seconds);
  if (!silent) m.mean_cost = (1 - a) * m.mean_cost + a * d;
  m.history[static_cast<std::size_t>(m.t) % T] = m.pos;
  m.history_silent[static_cast<std::size_t>(m.t) % T] = silent ? 1 : 0;
  ++m.t;

  FollowerState& s = m.state;
  s.audio_time = audio_time;
  s.score_time = static_cast<double>(m.pos) * m.dt;
  s.silent = silent;
  s.lost = m.mean_cost > o.lost_cost;
  s.confidence = std::clamp(1 - m.mean_cost / o.lost_cost, 0.0, 1.0);
  const BarBeat bb = bar_beat(m.bars, s.score_time);
  s.bar = bb.bar;
  s.beat = bb.beat;

  // Onsets passed: interpolated between this frame and the last.
  const double p0 = static_cast<double>(previous) * m.dt, p1 = s.score_time;
  while (m.next_note < m.order.size() && m.note_onset[m.order[m.next_note]] <= p1 + 1e-9) {
    const std::size_t n = m.order[m.next_note++];
    const double on = m.note_onset[n];
    double when = audio_time;
    if (m.t > 1 && p1 > p0 && on > p0) when = m.prev_time + (on - p0) / (p1 - p0) * (audio_time - m.prev_time);
    m.onsets[n] = when;
    m.onset_conf[n] = s.confidence;
    m.onset_tempo[n] = s.tempo;
  }
  m.prev_time = audio_time;
  m.prev_score = p1;
  return s;
}

}  // namespace notewise
