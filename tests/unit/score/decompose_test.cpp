#include "notewise/score/decompose.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include <cmath>
#include <limits>

using namespace notewise;

namespace {
Geometry geometry(Index frames) { return Geometry::of(StftOptions{2048, 512}, 22050, frames); }

// A synthetic spectrogram from known templates (partials with random-ish weights around the
// harmonic positions) and known activations (decaying notes of a score).
struct Synthetic {
  Score score;
  MatrixXf V, H_true;
  std::vector<int> pitches;
};

Synthetic synthetic() {
  Synthetic s;
  s.score = Score({{0.2, 1.0, 60, 100, "a", 0}, {0.9, 1.2, 64, 90, "b", 1}, {1.5, 0.8, 67, 110, "a", 2},
                   {2.6, 1.0, 60, 80, "b", 3}, {3.0, 0.6, 72, 100, "a", 4}, {3.3, 0.5, 64, 70, "a", 5}});
  const Geometry g = geometry(200);
  s.pitches = s.score.pitches();
  MatrixXf W = MatrixXf::Zero(g.bins(), static_cast<Index>(s.pitches.size()));
  for (std::size_t p = 0; p < s.pitches.size(); ++p) {
    const double f0 = pitch_to_hz(s.pitches[p]);
    for (int m = 1; m * f0 < g.sample_rate / 2; ++m) {
      const Index k = static_cast<Index>(std::round(m * f0 * 1.002 / g.bin_hz()));  // slightly sharp
      W(k, static_cast<Index>(p)) += static_cast<float>(1.0 / (m * m) * (1.0 + 0.3 * std::sin(m + p)));
      if (k + 1 < g.bins()) W(k + 1, static_cast<Index>(p)) += static_cast<float>(0.3 / (m * m));
    }
  }
  s.H_true = MatrixXf::Zero(static_cast<Index>(s.pitches.size()), g.frames);
  for (const Note& n : s.score.notes()) {
    const Index row = std::lower_bound(s.pitches.begin(), s.pitches.end(), n.pitch) - s.pitches.begin();
    for (Index f = g.frame_of(n.onset); f < std::min(g.frames, g.frame_of(n.offset())); ++f)
      s.H_true(row, f) += static_cast<float>(n.velocity / 127.0 * std::exp(-(f * g.frame_seconds() - n.onset) / 0.5));
  }
  s.V = W * s.H_true;
  return s;
}

double correlation(const VectorXf& a, const VectorXf& b) {
  const VectorXd x = a.cast<double>().array() - a.cast<double>().mean(), y = b.cast<double>().array() - b.cast<double>().mean();
  return x.dot(y) / std::sqrt(x.squaredNorm() * y.squaredNorm());
}
}  // namespace

TEST(Decompose, KnownAnswer_RecoversSyntheticActivations) {
  const Synthetic s = synthetic();
  DecomposeOptions o;
  o.constraints.onset_templates = false;
  o.nmf.max_iterations = 200;
  const Decomposition d = decompose(s.V, s.score, geometry(200), o);
  for (std::size_t p = 0; p < s.pitches.size(); ++p) {
    const double r = correlation(d.H.row(static_cast<Index>(p)).transpose(), s.H_true.row(static_cast<Index>(p)).transpose());
    EXPECT_GE(r, 0.95) << "pitch " << s.pitches[p];
  }
}

TEST(Decompose, Property_ZerosOutsideBandsAndWindowsStayZero) {
  const Synthetic s = synthetic();
  for (const auto path : {nmf::Path::Dense, nmf::Path::Sparse}) {
    DecomposeOptions o;
    o.nmf.path = path;
    const Decomposition d = decompose(s.V, s.score, geometry(200), o);
    EXPECT_TRUE(((d.constraints.W0.array() == 0).select(d.W.array(), 0.0f) == 0).all());
    EXPECT_TRUE(((d.constraints.H0.array() == 0).select(d.H.array(), 0.0f) == 0).all());
    EXPECT_GT(d.H.maxCoeff(), 0.0f);
  }
}

TEST(Decompose, Property_NoteSharesSumToTheModel) {
  const Synthetic s = synthetic();
  const Decomposition d = decompose(s.V, s.score, geometry(200), DecomposeOptions{});
  std::vector<std::size_t> all(s.score.size());
  for (std::size_t i = 0; i < all.size(); ++i) all[i] = i;
  EXPECT_LE((activations_of(d, all) - d.H).cwiseAbs().maxCoeff(), 1e-6f * d.H.maxCoeff());
  // Note energies add up to the whole model's.
  double total = 0;
  for (double e : note_energies(d)) total += e;
  EXPECT_NEAR(total, (d.W * d.H).sum(), 1e-3 * total);
}

TEST(Decompose, RowActivationsHoldTheNotesRowsOnly_AndExpandToActivationsOf) {
  const Synthetic s = synthetic();
  const Decomposition d = decompose(s.V, s.score, geometry(200), DecomposeOptions{});
  for (std::size_t i = 0; i < s.score.size(); ++i) {
    const std::vector<std::size_t> one{i};
    const RowActivations a = row_activations(d, one);
    const MatrixXf full = activations_of(d, one);
    // Only the rows the note uses (its pitch row, and its onset row where it has one).
    ASSERT_FALSE(a.rows.empty());
    EXPECT_LE(a.rows.size(), 2u);
    EXPECT_TRUE(std::is_sorted(a.rows.begin(), a.rows.end()));
    EXPECT_EQ(a.H.rows(), static_cast<Index>(a.rows.size()));
    for (Index r = 0; r < full.rows(); ++r) {
      const auto at = std::find(a.rows.begin(), a.rows.end(), r);
      if (at == a.rows.end()) EXPECT_EQ(full.row(r).cwiseAbs().maxCoeff(), 0.0f) << "row " << r;
      else EXPECT_EQ(full.row(r), a.H.row(at - a.rows.begin())) << "row " << r;
    }
    // The group's model on its rows is the model of its full activations.
    EXPECT_LE((d.W(Eigen::all, a.rows) * a.H - d.W * full).cwiseAbs().maxCoeff(), 1e-5f * std::max(1.0f, (d.W * full).maxCoeff()));
  }
}

TEST(Decompose, RepeatedNotesOfOnePitchSplitAtTheRestrike) {
  // Two notes of pitch 60; the second struck at 1.0 s while the first (with its 'after'
  // tolerance) still covers it: from the second onset on, the second note owns the row.
  const Score score({{0.2, 1.0, 60, 100, "a", 0}, {1.0, 1.0, 60, 100, "b", 1}});
  const Geometry g = geometry(150);
  DecomposeOptions o;
  const ScoreConstraints c = build_constraints(score, g, o.constraints);
  const auto shares = note_shares(score, c, g);
  const Index restrike = static_cast<Index>(std::ceil(1.0 / g.frame_seconds()));
  auto share_at = [&](std::size_t i, Index n) {
    const RowShare& r = shares[i].pitch;
    return n >= r.begin && n < r.begin + static_cast<Index>(r.share.size()) ? r.share[n - r.begin] : 0.0f;
  };
  EXPECT_EQ(share_at(0, restrike - 2), 1.0f);
  EXPECT_EQ(share_at(1, restrike - 2), 0.0f);  // pre-onset window of note 1 goes to the sounding note
  EXPECT_EQ(share_at(1, restrike + 1), 1.0f);
  EXPECT_EQ(share_at(0, restrike + 1), 0.0f);
  for (Index n = 0; n < g.frames; ++n) {
    const float sum = share_at(0, n) + share_at(1, n);
    EXPECT_TRUE(sum == 0.0f || std::abs(sum - 1.0f) < 1e-6f) << n;
  }
  // Both hands on one key at the same time: split by velocity.
  const Score both({{0.5, 1.0, 60, 90, "left", 0}, {0.5, 1.0, 60, 30, "right", 1}});
  const auto s2 = note_shares(both, build_constraints(both, g, o.constraints), g);
  EXPECT_FLOAT_EQ(s2[0].pitch.share[5], 0.75f);
  EXPECT_FLOAT_EQ(s2[1].pitch.share[5], 0.25f);
}

TEST(Decompose, NoteSharesEqualThePlainRuleOnARandomScore) {
  // Many notes per pitch, overlapping, restruck, simultaneous and far apart: the sweep must
  // give every note the share the plain rule gives (test every note of the row at every frame:
  // the latest started note owns a pitch row, the nearest onset an onset row, ties split by
  // velocity).
  std::vector<Note> notes;
  unsigned state = 12345;
  auto next = [&] { return (state = state * 1103515245u + 12345u) >> 8; };
  for (int i = 0; i < 300; ++i) {
    const double onset = 0.05 * static_cast<double>(next() % 1200);
    const double duration = 0.05 + 0.01 * static_cast<double>(next() % 150);
    notes.push_back({onset, duration, 55 + static_cast<int>(next() % 4), 20 + static_cast<double>(next() % 100),
                     next() % 2 ? "a" : "b", static_cast<std::size_t>(i)});
  }
  notes.push_back(notes[7]);  // an exact duplicate: a tie
  notes.back().index = notes.size() - 1;
  const Score score(notes);
  const Geometry g = geometry(static_cast<Index>(std::ceil(score.end() / geometry(1).frame_seconds())) + 20);
  DecomposeOptions o;
  const ScoreConstraints c = build_constraints(score, g, o.constraints);
  const auto shares = note_shares(score, c, g);
  auto share = [](const RowShare& r, Index n) {
    return n >= r.begin && n < r.begin + static_cast<Index>(r.share.size()) ? r.share[n - r.begin] : 0.0f;
  };
  const std::size_t count = score.size();
  int owned = 0;
  for (bool onset_row : {false, true})
    for (Index n = 0; n < g.frames; ++n) {
      const double t = static_cast<double>(n) * g.frame_seconds();
      for (int pitch = 55; pitch < 59; ++pitch) {
        std::vector<std::size_t> cover;
        for (std::size_t i = 0; i < count; ++i) {
          const auto& w = c.windows[i];
          const Index b = onset_row ? w.onset_begin : w.begin, e = onset_row ? w.onset_end : w.end;
          if (score.notes()[i].pitch == pitch && b <= n && n < e) cover.push_back(i);
        }
        auto key = [&](std::size_t i) {
          const double on = score.notes()[i].onset;
          if (onset_row) return -std::abs(on - t);
          return on <= t + 1e-9 ? on : -1e9 - on;
        };
        double best = -std::numeric_limits<double>::infinity(), vsum = 0;
        for (std::size_t i : cover) best = std::max(best, key(i));
        for (std::size_t i : cover)
          if (std::abs(key(i) - best) < 1e-6) vsum += std::max(score.notes()[i].velocity, 1e-3);
        for (std::size_t i : cover) {
          const float want = std::abs(key(i) - best) < 1e-6
                                 ? static_cast<float>(std::max(score.notes()[i].velocity, 1e-3) / vsum) : 0.0f;
          const RowShare& r = onset_row ? shares[i].onset : shares[i].pitch;
          ASSERT_EQ(share(r, n), want) << "note " << i << " frame " << n << (onset_row ? " onset row" : " pitch row");
          owned += want > 0;
        }
      }
    }
  EXPECT_GT(owned, 1000);  // the score does cover many frames
}
