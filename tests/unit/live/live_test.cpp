// Live separation and score following (live.hpp) on signals rendered here: harmonic tones
// played from a score, at a tempo that changes and with a pause.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <random>

#include "notewise/core/error.hpp"
#include "notewise/live/live.hpp"

namespace notewise {
namespace {

constexpr double kRate = 22050;

// A score of two labelled voices: "high" plays a melody of quarter notes (0.5 s), "low" half
// notes (1 s) an octave and more below; pitches from a fixed seed, no pitch repeated in a row.
Score two_voices(int beats) {
  std::mt19937 rng(5);
  std::vector<Note> notes;
  int last = -1;
  for (int i = 0; i < beats; ++i) {
    int p;
    do p = 67 + static_cast<int>(rng() % 10); while (p == last);
    last = p;
    Note n;
    n.onset = 1.0 + 0.5 * i;
    n.duration = 0.45;
    n.pitch = p;
    n.label = "high";
    notes.push_back(n);
    if (i % 2 == 0) {
      Note b;
      b.onset = n.onset;
      b.duration = 0.95;
      b.pitch = 43 + static_cast<int>(rng() % 8);
      b.label = "low";
      notes.push_back(b);
    }
  }
  for (std::size_t i = 0; i < notes.size(); ++i) notes[i].index = i;
  return Score(notes);
}

// Score time -> performance time: 20 % faster for the first half, 20 % slower after, and a
// pause of `pause` s at score time `pause_at`; the performance starts 0.3 s after the score's 0
// minus its count-in (the score's first second of rest takes 0.3 s).
double perform(double s, double pause_at, double pause) {
  double t = 0.3 + (std::min(s, 1.0) - 0) * 0.3;  // the count-in, shortened
  if (s > 1.0) {
    const double mid = 4.0;
    const double a = std::min(s, mid) - 1.0;
    t += a / 1.2;
    if (s > mid) t += (s - mid) / 0.8;
  }
  if (s >= pause_at) t += pause;
  return t;
}

// The tones of `score`'s notes played at perform()'s times (per label: one mono signal).
// Timbres: "high" with partials 1/m, "low" with odd-heavy partials; 10 ms attack, exponential decay.
std::vector<VectorXf> render(const Score& score, Index length, const std::function<double(double)>& map) {
  std::vector<VectorXf> out(2, VectorXf::Zero(length));
  for (const Note& n : score.notes()) {
    const int v = n.label == "high" ? 0 : 1;
    const double t0 = map(n.onset), t1 = map(n.offset());
    const double f0 = pitch_to_hz(n.pitch);
    const Index a = static_cast<Index>(t0 * kRate), b = std::min<Index>(length, static_cast<Index>(t1 * kRate));
    for (Index i = a; i < b; ++i) {
      const double t = (i - a) / kRate;
      const double env = std::min(1.0, t / 0.01) * std::exp(-1.5 * t) * std::min(1.0, (b - i) / (0.01 * kRate));
      double s = 0;
      for (int m = 1; m <= 8; ++m) {
        if (m * f0 > kRate / 2) break;
        const double w = v == 0 ? 1.0 / m : (m % 2 ? 1.0 / m : 0.2 / m);
        s += w * std::sin(2 * M_PI * m * f0 * t);
      }
      out[static_cast<std::size_t>(v)][i] += static_cast<float>(0.2 * env * s);
    }
  }
  return out;
}

Grouping label_groups(const Score& score) { return group_notes(score, label_group_specs(score)); }

// All stems of a stream pushed in blocks of `block` samples (0: all at once), then finished.
std::vector<MatrixXf> run(LiveSeparator& live, const MatrixXf& x, Index block) {
  const Index total = x.rows() + live.latency_samples();
  std::vector<MatrixXf> stems(live.groups().names.size(), MatrixXf::Constant(total, x.cols(), -7.0f));
  const auto append = [&](const LiveBlock& b) {
    ASSERT_LE(b.first + b.frames, total);
    for (std::size_t g = 0; g < stems.size(); ++g) stems[g].middleRows(b.first, b.frames) = b.stems[g];
  };
  if (block <= 0) block = x.rows();
  for (Index i = 0; i < x.rows(); i += block) append(live.push(x.middleRows(i, std::min(block, x.rows() - i))));
  append(live.finish());
  EXPECT_EQ(live.output_samples(), total);  // every sample given once (none left at -7)
  return stems;
}

TEST(Live, DefaultLatencyIsAtMost100ms) {
  const Score score = two_voices(4);
  for (double rate : {22050.0, 44100.0, 48000.0}) {
    LiveSeparator live(score, label_groups(score), rate, 1);
    EXPECT_LE(live.latency_seconds(), 0.1);
    EXPECT_GT(live.latency_seconds(), 0.09);  // the hop is as long as the bound allows
    EXPECT_EQ(live.latency_samples(), 3 * live.hop());
    EXPECT_EQ(live.n_fft(), 4 * live.hop());
  }
  LiveOptions o = LiveOptions::tuned();
  o.latency_seconds = 0.05;
  LiveSeparator live(score, label_groups(score), kRate, 1, o);
  EXPECT_LE(live.latency_seconds(), 0.05);
}

TEST(Live, InvalidArgumentsAreRefused) {
  const Score score = two_voices(4);
  const Grouping g = label_groups(score);
  EXPECT_THROW(LiveSeparator(Score(), g, kRate, 1), InvalidArgument);
  EXPECT_THROW(LiveSeparator(score, g, kRate, 0), InvalidArgument);
  EXPECT_THROW(LiveSeparator(score, g, 100, 1), InvalidArgument);
  LiveOptions o = LiveOptions::tuned();
  o.latency_seconds = 0.001;  // a hop of 7 samples
  EXPECT_THROW(LiveSeparator(score, g, kRate, 1, o), InvalidArgument);
  o = LiveOptions::tuned();
  o.follower.forget = -1;
  EXPECT_THROW(LiveSeparator(score, g, kRate, 1, o), InvalidArgument);
  LiveSeparator live(score, g, kRate, 2);
  EXPECT_THROW(live.push(MatrixXf::Zero(10, 1)), InvalidArgument);  // one channel, two expected
  MatrixXf bad = MatrixXf::Zero(10, 2);
  bad(3, 1) = std::nanf("");
  EXPECT_THROW(live.push(bad), InvalidArgument);
  o = LiveOptions::tuned();
  o.overlap = 1;
  EXPECT_THROW(LiveSeparator(score, g, kRate, 1, o), InvalidArgument);
  live.finish();
  EXPECT_THROW(live.push(MatrixXf::Zero(10, 2)), InvalidArgument);  // after the end
}

TEST(Live, SilenceGivesSilentStemsOfTheRightLength) {
  const Score score = two_voices(4);
  LiveSeparator live(score, label_groups(score), kRate, 2);
  const MatrixXf x = MatrixXf::Zero(12345, 2);
  const auto stems = run(live, x, 1000);
  ASSERT_EQ(stems.size(), 2u);
  for (const auto& s : stems) {
    EXPECT_EQ(s.rows(), x.rows() + live.latency_samples());
    EXPECT_EQ(s.cwiseAbs().maxCoeff(), 0.0f);
  }
  EXPECT_EQ(live.output_samples(), x.rows() + live.latency_samples());
}

struct Rendered {
  Score score;
  std::vector<VectorXf> sources;
  MatrixXf mix;
};

Rendered rendered(int beats, double pause_at, double pause) {
  Rendered r;
  r.score = two_voices(beats);
  const auto map = [&](double s) { return perform(s, pause_at, pause); };
  const Index length = static_cast<Index>((map(r.score.end()) + 0.5) * kRate);
  r.sources = render(r.score, length, map);
  r.mix = (r.sources[0] + r.sources[1]);
  return r;
}

// Design rule: all processing is driven by complete hops, so any block sizes give the same
// stems bit for bit.
TEST(Live, BlockSizeDoesNotChangeTheStems) {
  const Rendered r = rendered(8, 100, 0);
  const Grouping g = label_groups(r.score);
  std::vector<std::vector<MatrixXf>> runs;
  for (Index block : {Index{1}, Index{64}, Index{1000}, Index{0}}) {
    LiveSeparator live(r.score, g, kRate, 1);
    runs.push_back(run(live, r.mix, block));
  }
  for (std::size_t i = 1; i < runs.size(); ++i)
    for (std::size_t s = 0; s < runs[0].size(); ++s) {
      ASSERT_EQ(runs[i][s].rows(), runs[0][s].rows());
      EXPECT_TRUE(runs[i][s] == runs[0][s]) << "run " << i << " stem " << s;
    }
  EXPECT_GT(runs[0][0].cwiseAbs().maxCoeff(), 0.01f);
}

// The masks sum to one in every bin and the overlap-add is exact for hop = n_fft / 4, so the
// stems sum to the input delayed by the latency, to float rounding (1e-5 of full scale; the
// edges included: the frames before the start read zeros).
TEST(Live, StemsSumToTheDelayedInput) {
  const Rendered r = rendered(8, 100, 0);
  MatrixXf x(r.mix.rows(), 2);
  x.col(0) = r.mix;
  x.col(1) = 0.5f * r.sources[1];  // a second channel unlike the first
  LiveSeparator live(r.score, label_groups(r.score), kRate, 2);
  const auto stems = run(live, x, 777);
  const Index L = live.latency_samples();
  MatrixXf sum = stems[0] + stems[1];
  ASSERT_EQ(sum.rows(), x.rows() + L);
  EXPECT_LT(sum.topRows(L).cwiseAbs().maxCoeff(), 1e-6f);
  EXPECT_LT((sum.bottomRows(x.rows()) - x).cwiseAbs().maxCoeff(), 1e-5f);
  // Other overlaps: the latency is (overlap - 1) hops, the overlap-add as exact.
  for (int overlap : {2, 3}) {
    LiveOptions o = LiveOptions::tuned();
    o.overlap = overlap;
    LiveSeparator other(r.score, label_groups(r.score), kRate, 2, o);
    EXPECT_EQ(other.n_fft(), overlap * other.hop());
    EXPECT_EQ(other.latency_samples(), (overlap - 1) * other.hop());
    EXPECT_LE(other.latency_seconds(), 0.1);
    const auto s2 = run(other, x, 1000);
    EXPECT_LT(((s2[0] + s2[1]).bottomRows(x.rows()) - x).cwiseAbs().maxCoeff(), 1e-5f) << overlap;
    EXPECT_GT(s2[0].cwiseAbs().maxCoeff(), 0.01f) << overlap;
  }
}

double snr_db(const VectorXf& estimate, const VectorXf& reference) {
  return 10 * std::log10(reference.squaredNorm() / std::max(1e-20f, (estimate - reference).squaredNorm()));
}

// The follower on a performance 20 % fast, then 20 % slow, with a pause of 1.5 s: the onset it
// gives each note when it passes it lies within 100 ms of where the note was played for most
// notes; and the separation that follows it gives each voice its own sound.
TEST(Live, FollowsTempoChangesAndAPause) {
  const double pause_at = 5.75, pause = 1.5;  // after the ninth beat
  const Rendered r = rendered(16, pause_at, pause);
  LiveSeparator live(r.score, label_groups(r.score), kRate, 1);
  const auto stems = run(live, r.mix, 512);
  const auto& onsets = live.follower().onsets();
  int within = 0, total = 0;
  for (const Note& n : r.score.notes()) {
    if (n.label != "high") continue;
    ++total;
    const double truth = perform(n.onset, pause_at, pause);
    const double est = onsets[n.index];
    if (std::isfinite(est) && std::abs(est - truth) <= 0.1) ++within;
  }
  EXPECT_GE(within, total * 8 / 10) << within << " of " << total << " onsets within 100 ms";
  const Index L = live.latency_samples();
  for (int v = 0; v < 2; ++v) {
    const VectorXf est = stems[static_cast<std::size_t>(v)].col(0).segment(L, r.mix.rows());
    const double own = snr_db(est, r.sources[static_cast<std::size_t>(v)]);
    const double mix = snr_db(r.mix, r.sources[static_cast<std::size_t>(v)]);
    EXPECT_GT(own, mix + 6) << "voice " << v << ": " << own << " dB, the mix " << mix << " dB";
  }
  EXPECT_FALSE(live.follower().state().lost);
}


// Templates refined online: a high voice with a weak fundamental and strong even partials, a
// low voice a fifth below with partials 1/m (the high voice's even partials lie on the low
// voice's partials 3, 6, ...), each heard alone first, then both together. The fixed 1/m^2
// combs judge the high voice by its weak fundamental and give it too little of the shared
// partials; the templates learnt from what was heard split them better (by about 3 dB here).
TEST(Live, TemplatesLearntOnlineSeparateSharedPartialsBetter) {
  std::vector<Note> notes;
  const auto add = [&](double on, double dur, int pitch, const char* label) {
    Note n;
    n.onset = on;
    n.duration = dur;
    n.pitch = pitch;
    n.label = label;
    n.index = notes.size();
    notes.push_back(n);
  };
  for (int rep = 0; rep < 2; ++rep) {
    const double t = 0.5 + 4.0 * rep;
    add(t, 0.9, 57, "low");
    add(t + 1.0, 0.9, 64, "high");
    add(t + 2.0, 1.8, 57, "low");
    add(t + 2.0, 1.8, 64, "high");
  }
  const Score score(notes);
  const Index length = static_cast<Index>(9.0 * kRate);
  std::vector<VectorXf> src(2, VectorXf::Zero(length));  // "high", "low"
  const double high[8] = {0.1, 1.0, 0.2, 0.8, 0.1, 0.4, 0.05, 0.2};
  for (const Note& n : score.notes()) {
    const int v = n.label == "high" ? 0 : 1;
    const double f0 = pitch_to_hz(n.pitch);
    const Index a = static_cast<Index>(n.onset * kRate), b = static_cast<Index>(n.offset() * kRate);
    for (Index i = a; i < b; ++i) {
      const double t = (i - a) / kRate;
      const double env = std::min(1.0, t / 0.01) * std::min(1.0, (b - i) / (0.01 * kRate));
      double x = 0;
      for (int m = 1; m <= 8; ++m) x += (v == 0 ? high[m - 1] : 1.0 / m) * std::sin(2 * M_PI * m * f0 * t);
      src[static_cast<std::size_t>(v)][i] += static_cast<float>(0.2 * env * x);
    }
  }
  const MatrixXf mix = src[0] + src[1];
  const Index a = static_cast<Index>(6.6 * kRate), n = static_cast<Index>(1.6 * kRate);  // both, second time
  double snr[2][2];
  for (int learn = 0; learn < 2; ++learn) {
    LiveOptions o = LiveOptions::tuned();
    o.template_prior = learn ? 1.0 : 0.0;
    LiveSeparator live(score, label_groups(score), kRate, 1, o);
    const auto stems = run(live, mix, 4096);
    const Index L = live.latency_samples();
    for (int v = 0; v < 2; ++v) {  // the groups in the score's order
      const std::size_t g = live.groups().names[0] == (v == 0 ? "high" : "low") ? 0 : 1;
      snr[learn][v] = snr_db(stems[g].col(0).segment(L + a, n), src[static_cast<std::size_t>(v)].segment(a, n));
    }
  }
  for (int v = 0; v < 2; ++v) EXPECT_GT(snr[1][v], snr[0][v] + 1.5) << "voice " << v << ": learnt " << snr[1][v] << " dB, fixed " << snr[0][v] << " dB";
}

TEST(Live, TemplateAndReleaseSettingsAreChecked) {
  const Score score = two_voices(4);
  const Grouping g = label_groups(score);
  for (auto set : {+[](LiveOptions& o) { o.peak_cents = -1; }, +[](LiveOptions& o) { o.struck_peak_cents = 700; },
                   +[](LiveOptions& o) { o.struck_inharmonicity = -1e-4; }, +[](LiveOptions& o) { o.template_prior = -1; },
                   +[](LiveOptions& o) { o.follower.release_seconds = -0.1; },
                   +[](LiveOptions& o) { o.follower.register_split = 128; }}) {
    LiveOptions o = LiveOptions::tuned();
    set(o);
    EXPECT_THROW(LiveSeparator(score, g, kRate, 1, o), InvalidArgument);
  }
  EXPECT_THROW(ScoreFollower(score, kRate, 2048, 512, FollowerOptions{}, std::vector<bool>(score.size() + 1, true)), InvalidArgument);
  EXPECT_NO_THROW(ScoreFollower(score, kRate, 2048, 512, FollowerOptions{}, std::vector<bool>(score.size(), true)));
}


}  // namespace
}  // namespace notewise
