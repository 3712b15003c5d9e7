#include "notewise/separation/drums.hpp"

#include <gtest/gtest.h>

#include "drum_signals.hpp"
#include "pitch_signals.hpp"
#include "notewise/core/error.hpp"
#include "notewise/eval/bss_eval.hpp"
#include "notewise/separation/separate.hpp"

using namespace notewise;

namespace {
constexpr int kRate = 22050;

MatrixXd rows_of(const std::vector<VectorXf>& v) {
  MatrixXd m(static_cast<Index>(v.size()), v[0].size());
  for (std::size_t i = 0; i < v.size(); ++i) m.row(static_cast<Index>(i)) = v[i].cast<double>().transpose();
  return m;
}

// The ideal ratio mask's stems (|S_c|^2 / sum_j |S_j|^2 on the mix's STFT): the best a
// mask of this STFT can do, the yardstick of the estimates.
std::vector<VectorXf> irm_stems(const test::DrumMix& d, const StftOptions& s) {
  const MatrixXcf X = stft(d.mix, s);
  std::vector<MatrixXf> power;
  MatrixXf total = MatrixXf::Constant(X.rows(), X.cols(), 1e-12f);
  for (const auto& stem : d.stems) {
    power.push_back(stft(stem, s).cwiseAbs2());
    total += power.back();
  }
  std::vector<VectorXf> out;
  for (const auto& p : power)
    out.push_back(istft((X.array() * (p.array() / total.array()).cast<std::complex<float>>()).matrix(), s, d.mix.size()));
  return out;
}
}  // namespace

TEST(Drums, GmClassesFromTheScore) {
  std::vector<Note> notes(4);
  notes[0].pitch = 36;
  notes[1].pitch = 42;
  notes[2].pitch = 46;
  notes[3].pitch = 76;  // wood block: no class of its own
  const auto specs = gm_drum_classes(Score(notes));
  ASSERT_EQ(specs.size(), 3u);
  EXPECT_EQ(specs[0].name, "kick");
  EXPECT_EQ(specs[1].name, "hihat");
  EXPECT_EQ(specs[2].name, "percussion");
  const Grouping g = group_notes(Score(notes), specs);
  EXPECT_EQ(g.notes[1], (std::vector<std::size_t>{1, 2}));
  EXPECT_EQ(g.notes[2], (std::vector<std::size_t>{3}));
}

TEST(Drums, ActivationStartIsZeroAwayFromTheClassOnsets) {
  std::vector<Note> notes(2);
  notes[0].pitch = 36;
  notes[0].onset = 1.0;
  notes[0].velocity = 127;
  notes[1].pitch = 38;
  notes[1].onset = 2.0;
  notes[1].velocity = 127;
  const Score score(notes);
  const Grouping g = group_notes(score, gm_drum_classes(score));
  DrumOptions o;
  const MatrixXf H0 = drum_activations(score, g, o, kRate, 200);
  const double fs = o.stft.hop / static_cast<double>(kRate);
  for (Index n = 0; n < 200; ++n) {
    const double t = n * fs;
    EXPECT_EQ(H0(0, n) > 0, t >= 1.0 - o.pre_onset - fs && t <= 1.0 + o.post_onset + fs) << n;
    EXPECT_EQ(H0(1, n) > 0, t >= 2.0 - o.pre_onset - fs && t <= 2.0 + o.post_onset + fs) << n;
  }
  const Index on = static_cast<Index>(std::floor(1.0 / fs));
  EXPECT_FLOAT_EQ(H0(0, on), 1.0f);
  EXPECT_LT(H0(0, on + 3), H0(0, on + 1));  // decays after the onset
}

TEST(Drums, InvalidOptions) {
  for (auto f : {+[](DrumOptions& o) { o.template_seconds = 0; }, +[](DrumOptions& o) { o.alpha = 0; },
                 +[](DrumOptions& o) { o.decay = -1; }, +[](DrumOptions& o) { o.iterations = -1; }}) {
    DrumOptions o;
    f(o);
    EXPECT_THROW(o.validate(), InvalidArgument);
  }
}

// The measurable claim: on a generated rock beat the three classes separate well, within a
// few dB of what the ideal ratio mask reaches, the stems sum to the mix, and the zeros of the
// start stay zero.
TEST(Drums, RockBeat_SeparatesKickSnareHihat) {
  const test::DrumMix d = test::rock_beat(6, kRate);
  const Score score(d.notes);
  const Grouping g = group_notes(score, gm_drum_classes(score));
  ASSERT_EQ(g.names, (std::vector<std::string>{"kick", "snare", "hihat"}));
  DrumOptions o;
  const DrumSeparation s = separate_drums(d.mix, kRate, d.mix, kRate, score, g, o);
  ASSERT_EQ(s.stems.size(), 3u);
  EXPECT_EQ(static_cast<int>(s.W.size()), o.template_frames(kRate));
  MatrixXf sum = MatrixXf::Zero(d.mix.size(), 1);
  for (const auto& st : s.stems) sum += st;
  EXPECT_LE((sum.col(0) - d.mix).cwiseAbs().maxCoeff(), 1e-4f);
  for (Index c = 0; c < 3; ++c)
    for (Index n = 0; n < s.H.cols(); ++n)
      if (s.H0(c, n) == 0) {
        ASSERT_EQ(s.H(c, n), 0.0f);
      }
  double before = s.initial_loss;
  for (double l : s.loss) {
    EXPECT_LE(l, before * (1 + 1e-5));
    before = l;
  }
  std::vector<VectorXf> est;
  for (const auto& st : s.stems) est.push_back(st.col(0));
  const BssScores ours = bss_eval_sources(rows_of(d.stems), rows_of(est));
  const BssScores ideal = bss_eval_sources(rows_of(d.stems), rows_of(irm_stems(d, o.stft)));
  for (int c = 0; c < 3; ++c) {
    std::printf("%s: SDR %.2f dB (ideal ratio mask %.2f dB)\n", g.names[c].c_str(), ours.sdr[c], ideal.sdr[c]);
    // Measured 24.3, 11.1, 11.9 dB (ideal ratio mask 30.3, 13.8, 15.2); 8 dB is the floor.
    EXPECT_GT(ours.sdr[c], 8.0) << g.names[c];
  }
}

// A band: the generated beat with piano-like chords over it. The pitched notes and the drums
// are told apart in one decomposition.
TEST(Drums, Band_PitchedNotesAndDrumsSeparate) {
  test::DrumMix d = test::rock_beat(4, kRate);
  std::vector<Note> pitched;
  for (int b = 0; b < 4; ++b)
    for (int p : {60, 64, 67}) {
      Note n;
      n.onset = 0.1 + b * 2.0;
      n.duration = 1.8;
      n.pitch = p + (b % 2) * 2;
      n.label = "piano";
      pitched.push_back(n);
    }
  VectorXf piano = test::piano_like(pitched, static_cast<double>(d.mix.size()) / kRate, kRate);
  piano.conservativeResize(d.mix.size());
  const VectorXf drums = d.mix;
  const VectorXf mix = drums + piano;
  const Score ps(pitched), ds(d.notes);
  const DrumSeparation s = separate_band(mix, kRate, mix, kRate, ps, group_notes(ps, label_group_specs(ps)),
                                         SeparationOptions::tuned().decompose.constraints, ds,
                                         group_notes(ds, gm_drum_classes(ds)), DrumOptions{});
  ASSERT_EQ(s.classes, (std::vector<std::string>{"piano", "kick", "snare", "hihat"}));
  EXPECT_EQ(s.first_drum, 1);
  MatrixXf sum = MatrixXf::Zero(mix.size(), 1);
  for (const auto& st : s.stems) sum += st;
  EXPECT_LE((sum.col(0) - mix).cwiseAbs().maxCoeff(), 1e-4f);
  for (int t = 1; t < static_cast<int>(s.W.size()); ++t)
    EXPECT_TRUE(s.W[static_cast<std::size_t>(t)].leftCols(s.first_drum_row).isZero(0)) << t;  // one-frame pitched templates
  const VectorXf est_drums = s.stems[1].col(0) + s.stems[2].col(0) + s.stems[3].col(0);
  const BssScores sc = bss_eval_sources(rows_of({piano, drums}), rows_of({VectorXf(s.stems[0].col(0)), est_drums}));
  // Measured 17.7 dB (piano) and 23.1 dB (the drum stems summed); the floor is 8 dB.
  std::printf("band: piano SDR %.2f dB, drums SDR %.2f dB\n", sc.sdr[0], sc.sdr[1]);
  EXPECT_GT(sc.sdr[0], 8.0);
  EXPECT_GT(sc.sdr[1], 8.0);
}

// A drum run's score: the drum notes by GM class, a band's pitched notes by label; refused
// without drum notes or with a track named as a drum class.
TEST(Drums, DrumScore_SplitsAndGroups) {
  auto note = [](double at, int pitch, int channel, const std::string& label) {
    Note n;
    n.onset = at;
    n.duration = 0.2;
    n.pitch = pitch;
    n.channel = channel;
    n.label = label;
    return n;
  };
  const Score band({note(0, 36, 9, "drums"), note(0.5, 38, 9, "drums"), note(0, 40, 0, "bass"), note(1, 43, 0, "bass")});
  DrumScore ds = drum_score(band, {}, false, "band.mid");
  EXPECT_EQ(ds.drums.size(), 2u);
  EXPECT_EQ(ds.pitched.size(), 2u);
  EXPECT_EQ(ds.groups.names, (std::vector<std::string>{"kick", "snare"}));
  EXPECT_EQ(ds.pitched_groups.names, (std::vector<std::string>{"bass"}));
  ds = drum_score(band, {}, true, "band.mid");
  EXPECT_EQ(ds.ignored_pitched, 2u);
  EXPECT_TRUE(ds.pitched.empty());
  EXPECT_TRUE(ds.pitched_groups.names.empty());
  EXPECT_THROW(drum_score(Score({note(0, 40, 0, "bass")}), {}, false, "s.mid"), ParseError);
  EXPECT_THROW(drum_score(Score({note(0, 36, 9, "drums"), note(0, 40, 0, "kick")}), {}, false, "s.mid"), InvalidArgument);
  ds = drum_score(band, {{"all", "others"}}, true, "band.mid");
  EXPECT_EQ(ds.groups.names, (std::vector<std::string>{"all"}));
}
