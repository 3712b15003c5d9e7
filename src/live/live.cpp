// Live separation (live.hpp): a hop-driven STFT, the follower, per-frame activations against
// fixed harmonic templates, soft masks and weighted overlap-add.
#include <algorithm>
#include <cmath>
#include <complex>
#include <cstring>
#include <map>
#include <numbers>

#include "notewise/core/error.hpp"
#include "notewise/core/fft.hpp"
#include "notewise/core/stft.hpp"
#include "notewise/live/live.hpp"
#include "notewise/score/instrument.hpp"
#include "notewise/separation/separate.hpp"

namespace notewise {

void LiveOptions::validate() const {
  if (!(latency_seconds > 0 && latency_seconds <= 10))
    throw InvalidArgument("live: latency " + std::to_string(latency_seconds) + " s is outside (0, 10] s");
  follower.validate();
  constraints.validate();
  if (!(before >= 0 && before <= 10)) throw InvalidArgument("live: before = " + std::to_string(before) + " s is outside 0 .. 10");
  if (!(after <= 10)) throw InvalidArgument("live: after = " + std::to_string(after) + " s is above 10");
  if (!(onset_after >= 0 && onset_after <= 10))
    throw InvalidArgument("live: onset_after = " + std::to_string(onset_after) + " s is outside 0 .. 10");
  if (overlap < 2 || overlap > 8) throw InvalidArgument("live: overlap = " + std::to_string(overlap) + " is outside 2 .. 8");
  if (iterations < 0 || iterations > 1000) throw InvalidArgument("live: iterations = " + std::to_string(iterations) + " is outside 0 .. 1000");
  if (!(alpha >= 0 && alpha <= 10)) throw InvalidArgument("live: alpha = " + std::to_string(alpha) + " is outside 0 .. 10");
  if (!(peak_cents >= 0 && peak_cents <= 600))
    throw InvalidArgument("live: peak_cents = " + std::to_string(peak_cents) + " is outside 0 .. 600");
  if (!(struck_peak_cents >= 0 && struck_peak_cents <= 600))
    throw InvalidArgument("live: struck_peak_cents = " + std::to_string(struck_peak_cents) + " is outside 0 .. 600");
  if (!(struck_inharmonicity >= 0 && struck_inharmonicity <= 0.01))
    throw InvalidArgument("live: struck_inharmonicity = " + std::to_string(struck_inharmonicity) + " is outside 0 .. 0.01");
  if (!(template_prior >= 0 && template_prior <= 1e6))
    throw InvalidArgument("live: template_prior = " + std::to_string(template_prior) + " is outside 0 .. 1e6");
}

LiveOptions LiveOptions::tuned() {
  LiveOptions o;
  o.constraints = SeparationOptions::tuned().decompose.constraints;
  return o;
}

namespace {
// A pitch's template: partial m at m f0 sqrt(1 + B m^2) Hz with weight 1 / m^power, shaped as
// the main lobe of a Hann window's transform, |sin(pi d) / (pi d (1 - d^2))| at d bins from the
// partial (zero from 2 bins), the partial anywhere within +-cents (a flat top between).
VectorXf peak_template(double f0, double inharmonicity, double cents, double power, int partials, double rate, int n_fft) {
  const Index K = n_fft / 2 + 1;
  const double df = rate / n_fft;
  const double lo = std::pow(2.0, -cents / 1200), hi = std::pow(2.0, cents / 1200);
  VectorXf t = VectorXf::Zero(K);
  for (int m = 1; partials == 0 || m <= partials; ++m) {
    const double fm = m * f0 * std::sqrt(1 + inharmonicity * m * m);
    if (lo * fm > rate / 2) break;
    const double a = lo * fm / df, b = hi * fm / df;  // the partial's span in bins
    const double w = 1.0 / std::pow(m, power);
    const Index k0 = std::max<Index>(0, static_cast<Index>(std::ceil(a - 2))), k1 = std::min<Index>(K - 1, static_cast<Index>(std::floor(b + 2)));
    for (Index k = k0; k <= k1; ++k) {
      const double kk = static_cast<double>(k);
      const double d = kk < a ? a - kk : (kk > b ? kk - b : 0.0);
      double v = 1;
      if (d >= 2) v = 0;
      else if (std::abs(d - 1) < 1e-6) v = 0.5;  // the limit at d = 1
      else if (d > 1e-6) v = std::abs(std::sin(std::numbers::pi * d) / (std::numbers::pi * d * (1 - d * d)));
      t[k] = std::max(t[k], static_cast<float>(w * v));
    }
  }
  return t;
}

struct LiveNote {
  double onset = 0, offset = 0, after = 0;
  Index row = -1, onset_row = -1;
  int group = 0;
};
}  // namespace

struct LiveSeparator::Impl {
  Score score;
  LiveOptions o;
  Grouping groups;
  double rate = 0;
  int C = 0, hop = 0, N = 0;
  Index K = 0, R = 0;
  int G = 0;
  double alpha = 1;
  MatrixXf W;       // bins x rows
  VectorXf wsum;    // column sums of W
  // Online refinement of W: the initial templates, per row the running sums of the spectrum it
  // explained (bins x rows) and of its activations, the mean magnitude of the sounding frames.
  MatrixXf W0, A;
  VectorXf B;
  double mean_total = 0;
  Index sounding_frames = 0;
  std::vector<LiveNote> notes;
  ScoreFollower follower;
  RealFft fft;
  VectorXf window, norm;  // Hann; per phase of the hop: 1 / sum of squared windows
  std::vector<VectorXf> frame;                // per channel: the last N samples (x' timeline)
  std::vector<std::vector<VectorXf>> acc;     // per group, per channel: overlap-add (N)
  int fill = 0;                               // samples of the current hop received
  Index frames_done = 0;
  Index input = 0, output = 0;
  bool finished = false;
  // Per-frame work space.
  VectorXf h;                                 // per row: the last activations
  std::vector<Index> active;                  // rows active this frame
  std::vector<int> row_mark;                  // per row: frame stamp
  std::vector<std::vector<int>> row_groups;   // per row: groups of its active notes this frame
  VectorXf mono, mag, model, ratio;
  std::vector<VectorXf> gmodel;
  std::vector<std::complex<float>> X, Y;
  VectorXf buf, out;

  Impl(const Score& score, const Grouping& g, double sample_rate, int channels, const LiveOptions& options, int hop_,
       ScoreFollower&& f)
      : score(score), o(options), groups(g), rate(sample_rate), C(channels), hop(hop_), N(options.overlap * hop_), follower(std::move(f)), fft(options.overlap * hop_) {
  }

  void process_frame(std::vector<MatrixXf>& stems, Index at);
};

namespace {
int hop_for(double latency_seconds, double rate, int overlap) {
  return static_cast<int>(std::floor(latency_seconds * rate / (overlap - 1)));
}
}  // namespace

LiveSeparator::LiveSeparator(const Score& score, const Grouping& groups, double sample_rate, int channels,
                             const LiveOptions& options) {
  options.validate();
  if (score.empty()) throw InvalidArgument("live: the score has no notes");
  if (!(sample_rate >= 1000 && sample_rate <= 768000))
    throw InvalidArgument("live: sample rate " + std::to_string(sample_rate) + " Hz is outside 1000 .. 768000 Hz");
  if (channels < 1 || channels > 64) throw InvalidArgument("live: " + std::to_string(channels) + " channels (1 .. 64 allowed)");
  for (const Note& n : score.notes())
    if (is_drum(n)) throw InvalidArgument("live: drum notes are not modelled live (note " + std::to_string(n.index) + ")");
  if (groups.names.empty() || groups.notes.size() != groups.names.size()) throw InvalidArgument("live: no groups");
  const int hop = hop_for(options.latency_seconds, sample_rate, options.overlap);
  if (hop < 16)
    throw InvalidArgument("live: a latency of " + std::to_string(options.latency_seconds) + " s at " +
                          std::to_string(sample_rate) + " Hz leaves a hop under 16 samples");
  // The score's timbre sources; the notes of struck ones ring on after their offsets.
  ConstraintOptions co = options.constraints;
  if (co.sources.empty()) co.sources = plan_timbre(score, Timbre::Auto).sources;
  std::vector<bool> rings(score.size(), false);
  for (std::size_t i = 0; i < score.size(); ++i)
    for (const auto& s : co.sources)
      if (is_struck(s.family) && std::find(s.labels.begin(), s.labels.end(), score.notes()[i].label) != s.labels.end()) rings[i] = true;
  ScoreFollower follower(score, sample_rate, options.overlap * hop, hop, options.follower, rings);
  impl_ = std::make_unique<Impl>(score, groups, sample_rate, channels, options, hop, std::move(follower));
  Impl& m = *impl_;
  m.K = m.N / 2 + 1;
  m.G = static_cast<int>(groups.names.size());

  // Templates (live.hpp): one per pitch of each timbre source, and onset rows.
  const Geometry geo{sample_rate, m.N, hop, 1};
  ScoreConstraints sc = build_constraints(score, geo, co);
  m.W = std::move(sc.W0);
  m.R = m.W.cols();
  for (Index r = 0; r < sc.layout.pitch_rows(); ++r) {
    const int s = sc.layout.source_of_row(r);
    const SourceModel* src = co.sources.empty() ? nullptr : &co.sources[static_cast<std::size_t>(s)];
    const bool struck = src && is_struck(src->family);
    const double cents = struck ? options.struck_peak_cents : options.peak_cents;
    if (cents <= 0) continue;  // build_constraints' flat band
    const int partials = src && src->partials > 0 ? src->partials : co.partials;
    m.W.col(r) = peak_template(pitch_to_hz(sc.layout.pitches[static_cast<std::size_t>(r)]),
                               struck ? options.struck_inharmonicity : 0.0, cents, co.partial_power, partials, sample_rate, m.N);
  }
  // Each template scaled to unit sum: the activations then measure energy, whatever the band.
  for (Index r = 0; r < m.R; ++r) {
    const float s = m.W.col(r).sum();
    if (s > 0) m.W.col(r) /= s;
  }
  m.wsum = m.W.colwise().sum().transpose();
  if (options.template_prior > 0) {
    m.W0 = m.W;
    m.A = MatrixXf::Zero(m.W.rows(), m.R);
    m.B = VectorXf::Zero(m.R);
  }
  SeparationOptions so;
  so.alpha = options.alpha;
  so.decompose.constraints.sources = co.sources;
  m.alpha = mask_alpha(so);

  std::map<std::string, double> after_of;
  for (const auto& s : co.sources)
    for (const auto& l : s.labels) after_of[l] = s.after;
  std::vector<int> group_of(score.size(), 0);
  for (std::size_t gi = 0; gi < groups.notes.size(); ++gi)
    for (std::size_t n : groups.notes[gi])
      if (n < score.size()) group_of[n] = static_cast<int>(gi);
  m.notes.reserve(score.size());
  for (std::size_t i = 0; i < score.size(); ++i) {
    const Note& n = score.notes()[i];
    LiveNote ln;
    ln.onset = n.onset;
    ln.offset = n.offset();
    double after = options.after;
    if (after < 0) {
      const auto it = after_of.find(n.label);
      after = it != after_of.end() && it->second >= 0 ? it->second : co.after;
    }
    ln.after = after;
    ln.row = sc.windows[i].row;
    ln.onset_row = sc.windows[i].onset_row;
    ln.group = group_of[i];
    m.notes.push_back(ln);
  }

  m.window = hann_periodic(m.N);
  m.norm.resize(hop);
  for (int i = 0; i < hop; ++i) {
    double s = 0;
    for (int q = 0; q < m.N / hop; ++q) s += static_cast<double>(m.window[i + q * hop]) * m.window[i + q * hop];
    m.norm[i] = static_cast<float>(1.0 / s);
  }
  m.frame.assign(static_cast<std::size_t>(channels), VectorXf::Zero(m.N));
  m.acc.assign(static_cast<std::size_t>(m.G), std::vector<VectorXf>(static_cast<std::size_t>(channels), VectorXf::Zero(m.N)));
  m.h = VectorXf::Zero(m.R);
  m.row_mark.assign(static_cast<std::size_t>(m.R), -1);
  m.row_groups.assign(static_cast<std::size_t>(m.R), {});
  m.mono.resize(m.N);
  m.mag.resize(m.K);
  m.model.resize(m.K);
  m.ratio.resize(m.K);
  m.gmodel.assign(static_cast<std::size_t>(m.G), VectorXf::Zero(m.K));
  m.X.resize(static_cast<std::size_t>(m.K));
  m.Y.resize(static_cast<std::size_t>(m.K));
  m.buf.resize(m.N);
  m.out.resize(m.N);
}

LiveSeparator::~LiveSeparator() = default;
LiveSeparator::LiveSeparator(LiveSeparator&&) noexcept = default;
LiveSeparator& LiveSeparator::operator=(LiveSeparator&&) noexcept = default;

Index LiveSeparator::latency_samples() const { return static_cast<Index>(impl_->N - impl_->hop); }
double LiveSeparator::latency_seconds() const { return static_cast<double>(latency_samples()) / impl_->rate; }
int LiveSeparator::hop() const { return impl_->hop; }
int LiveSeparator::n_fft() const { return impl_->N; }
int LiveSeparator::channels() const { return impl_->C; }
double LiveSeparator::sample_rate() const { return impl_->rate; }
double LiveSeparator::alpha() const { return impl_->alpha; }
const Grouping& LiveSeparator::groups() const { return impl_->groups; }
const ScoreFollower& LiveSeparator::follower() const { return impl_->follower; }
Index LiveSeparator::input_samples() const { return impl_->input; }
Index LiveSeparator::output_samples() const { return impl_->output; }

void LiveSeparator::Impl::process_frame(std::vector<MatrixXf>& stems, Index at) {
  const Index k = frames_done;
  // Analysis: the mean of the channels, windowed.
  mono.setZero();
  for (int c = 0; c < C; ++c) mono += frame[static_cast<std::size_t>(c)];
  if (C > 1) mono /= static_cast<float>(C);
  buf = mono.cwiseProduct(window);
  fft.forward(buf.data(), X.data());
  for (Index b = 0; b < K; ++b) mag[b] = std::abs(X[static_cast<std::size_t>(b)]);
  const double centre = (static_cast<double>((k + 1) * hop) - N / 2.0) / rate;
  const FollowerState& st = follower.step(mag, centre);
  const double p = st.score_time;

  // The notes that may sound at p, and their rows.
  for (Index r : active) row_groups[static_cast<std::size_t>(r)].clear();
  std::vector<Index> previous;
  previous.swap(active);
  const int stamp = static_cast<int>(k % 1000000007);
  const auto add = [&](Index r, int g) {
    auto& gs = row_groups[static_cast<std::size_t>(r)];
    if (row_mark[static_cast<std::size_t>(r)] != stamp) {
      row_mark[static_cast<std::size_t>(r)] = stamp;
      active.push_back(r);
      gs.clear();
    }
    if (std::find(gs.begin(), gs.end(), g) == gs.end()) gs.push_back(g);
  };
  for (const LiveNote& n : notes) {
    if (p >= n.onset - o.before && p <= n.offset + n.after) add(n.row, n.group);
    if (n.onset_row >= 0 && p >= n.onset - o.before && p <= n.onset + o.onset_after) add(n.onset_row, n.group);
  }
  std::sort(active.begin(), active.end());
  // Rows no longer active forget their activation.
  for (Index r : previous)
    if (row_mark[static_cast<std::size_t>(r)] != stamp) h[r] = 0;

  // Activations: KL multiplicative updates with W fixed, from the last frame's values.
  const float eps = 1e-12f;
  const float total = mag.sum();
  if (!active.empty()) {
    for (Index r : active)
      if (!(h[r] > 0)) h[r] = total / static_cast<float>(active.size()) + eps;
    for (int it = 0; it < o.iterations; ++it) {
      model.setConstant(eps);
      for (Index r : active) model.noalias() += W.col(r) * h[r];
      ratio = mag.cwiseQuotient(model);
      for (Index r : active) {
        const float num = W.col(r).dot(ratio);
        h[r] = h[r] * num / std::max(wsum[r], eps);
      }
    }
  }
  // Template refinement from this frame (sounding frames only: silence teaches nothing).
  if (o.template_prior > 0 && !active.empty() && !st.silent) {
    ++sounding_frames;
    mean_total += (total - mean_total) / static_cast<double>(std::min<Index>(sounding_frames, 100));
    model.setConstant(eps);
    for (Index r : active) model.noalias() += W.col(r) * h[r];
    ratio = mag.cwiseQuotient(model);
    const float prior = static_cast<float>(o.template_prior * mean_total);
    for (Index r : active) {
      A.col(r).noalias() += W.col(r).cwiseProduct(ratio) * h[r];
      B[r] += h[r];
      W.col(r) = (A.col(r) + prior * W0.col(r)) / std::max(B[r] + prior, eps);
      const float s = W.col(r).sum();
      if (s > 0) W.col(r) /= s;
      wsum[r] = W.col(r).sum();
    }
  }
  // Group models and masks.
  for (auto& gm : gmodel) gm.setZero();
  for (Index r : active) {
    const auto& gs = row_groups[static_cast<std::size_t>(r)];
    const float share = h[r] / static_cast<float>(gs.size());
    for (int g : gs) gmodel[static_cast<std::size_t>(g)].noalias() += W.col(r) * share;
  }
  const float a = static_cast<float>(alpha);
  if (a != 1.0f)
    for (auto& gm : gmodel) gm = gm.array().max(0.0f).pow(a);
  model.setZero();
  for (const auto& gm : gmodel) model += gm;
  const float floor = std::max(1e-9f * model.maxCoeff(), std::numeric_limits<float>::min());
  const float denom_extra = static_cast<float>(G) * floor;
  // Masks into gmodel (in place).
  for (auto& gm : gmodel) gm = (gm.array() + floor) / (model.array() + denom_extra);

  // Synthesis: every channel through every mask, overlap-add.
  for (int c = 0; c < C; ++c) {
    if (C > 1) {
      buf = frame[static_cast<std::size_t>(c)].cwiseProduct(window);
      fft.forward(buf.data(), X.data());
    }
    for (int g = 0; g < G; ++g) {
      const VectorXf& mask = gmodel[static_cast<std::size_t>(g)];
      for (Index b = 0; b < K; ++b) Y[static_cast<std::size_t>(b)] = X[static_cast<std::size_t>(b)] * mask[b];
      fft.inverse(Y.data(), out.data());
      VectorXf& ac = acc[static_cast<std::size_t>(g)][static_cast<std::size_t>(c)];
      ac += out.cwiseProduct(window);
      stems[static_cast<std::size_t>(g)].col(c).segment(at, hop) = ac.head(hop).cwiseProduct(norm);
      std::memmove(ac.data(), ac.data() + hop, sizeof(float) * static_cast<std::size_t>(N - hop));
      ac.tail(hop).setZero();
    }
  }
  ++frames_done;
}

Score LiveSeparator::followed_score(std::vector<double>* confidence) const {
  const Impl& m = *impl_;
  const ScoreFollower& f = m.follower;
  const FollowerState& st = f.state();
  std::vector<Note> notes = m.score.notes();
  if (confidence) confidence->assign(notes.size(), 0.0);
  for (std::size_t i = 0; i < notes.size(); ++i) {
    double on = f.onsets()[i], tempo = f.onset_tempo()[i];
    if (std::isfinite(on)) {
      if (confidence) (*confidence)[i] = f.onset_confidence()[i];
    } else {
      tempo = st.tempo;
      on = st.audio_time + (notes[i].onset - st.score_time) / tempo;
    }
    notes[i].onset = std::max(0.0, on);
    notes[i].duration /= tempo;
  }
  return Score(std::move(notes));
}

MatrixXf LiveSeparator::mix(const LiveBlock& block, const std::vector<bool>& include) {
  if (include.size() != block.stems.size())
    throw InvalidArgument("live: a mix of " + std::to_string(include.size()) + " flags for " +
                          std::to_string(block.stems.size()) + " groups");
  const Index C = block.stems.empty() ? 0 : block.stems[0].cols();
  MatrixXf out = MatrixXf::Zero(block.frames, C);
  for (std::size_t g = 0; g < include.size(); ++g)
    if (include[g]) out += block.stems[g];
  return out;
}

LiveBlock LiveSeparator::push(const Eigen::Ref<const MatrixXf>& samples) {
  Impl& m = *impl_;
  if (m.finished) throw InvalidArgument("live: samples pushed after the end of the stream");
  if (samples.cols() != m.C)
    throw InvalidArgument("live: a block of " + std::to_string(samples.cols()) + " channels, expected " + std::to_string(m.C));
  if (!samples.allFinite()) throw InvalidArgument("live: the samples are not all finite");
  const Index rows = samples.rows();
  const Index hops = (m.fill + rows) / m.hop;
  LiveBlock block;
  block.first = m.output;
  block.frames = hops * m.hop;
  block.stems.assign(static_cast<std::size_t>(m.G), MatrixXf(block.frames, m.C));
  Index done = 0, at = 0;
  while (done < rows) {
    const Index n = std::min<Index>(m.hop - m.fill, rows - done);
    for (int c = 0; c < m.C; ++c)
      m.frame[static_cast<std::size_t>(c)].segment(m.N - m.hop + m.fill, n) = samples.col(c).segment(done, n);
    m.fill += static_cast<int>(n);
    done += n;
    if (m.fill == m.hop) {
      m.process_frame(block.stems, at);
      at += m.hop;
      for (auto& f : m.frame) {
        std::memmove(f.data(), f.data() + m.hop, sizeof(float) * static_cast<std::size_t>(m.N - m.hop));
        f.tail(m.hop).setZero();
      }
      m.fill = 0;
    }
  }
  m.input += rows;
  m.output += block.frames;
  return block;
}

LiveBlock LiveSeparator::finish() {
  Impl& m = *impl_;
  if (m.finished) return LiveBlock{m.output, 0, std::vector<MatrixXf>(static_cast<std::size_t>(m.G), MatrixXf(0, m.C))};
  const Index want = m.input + latency_samples();
  const Index missing = std::max<Index>(0, want - m.output);
  // Zeros to complete the hops that hold the last wanted sample.
  const Index pad = missing == 0 ? 0 : ((m.fill + missing + m.hop - 1) / m.hop) * m.hop - m.fill;
  const Index input = m.input;
  LiveBlock b = push(MatrixXf::Zero(pad, m.C));
  m.input = input;
  m.finished = true;
  const Index keep = std::min(b.frames, missing);
  for (auto& s : b.stems) s.conservativeResize(keep, Eigen::NoChange);
  m.output = b.first + keep;
  b.frames = keep;
  return b;
}

}  // namespace notewise
