#include "notewise/score/pretrained.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "notewise/core/error.hpp"
#include "notewise/score/decompose.hpp"

using namespace notewise;

namespace {
Geometry geometry(Index frames) { return Geometry::of(StftOptions{1024, 256}, 11025, frames); }

// Harmonic notes of a small score rendered straight into a spectrogram.
TrainingPiece piece(const std::vector<int>& pitches, Index frames) {
  std::vector<Note> notes;
  for (std::size_t i = 0; i < pitches.size(); ++i)
    notes.push_back({0.1 + 0.4 * static_cast<double>(i), 0.6, pitches[i], 100, i % 2 ? "a" : "b", i});
  TrainingPiece p{MatrixXf::Zero(geometry(frames).bins(), frames), Score(notes)};
  const Geometry g = geometry(frames);
  for (const Note& n : p.score.notes())
    for (Index f = g.frame_of(n.onset); f < std::min(frames, g.frame_of(n.offset())); ++f)
      for (int m = 1; m * pitch_to_hz(n.pitch) < g.sample_rate / 2; ++m) {
        const Index k = static_cast<Index>(std::lround(m * pitch_to_hz(n.pitch) / g.bin_hz()));
        p.V(k, f) += static_cast<float>(std::exp(-0.5 * (f * g.frame_seconds() - n.onset)) / m);
      }
  return p;
}

nae::Options kl(int epochs) {
  nae::Options o;
  o.loss = nae::Loss::KullbackLeibler;
  o.epochs = epochs;
  return o;
}
}  // namespace

TEST(Pretrained, TransposingMovesPartialsByThePitchRatio) {
  MatrixXf V = MatrixXf::Zero(100, 2);
  V(10, 0) = 1;
  V(30, 1) = 2;
  const MatrixXf up = transpose_spectrogram(V, 12);  // an octave: bin k -> 2k
  EXPECT_FLOAT_EQ(up(20, 0), 1.0f);
  EXPECT_FLOAT_EQ(up(60, 1), 2.0f);
  const MatrixXf down = transpose_spectrogram(V, -12);  // k -> k/2
  EXPECT_FLOAT_EQ(down(5, 0), 1.0f);
  EXPECT_FLOAT_EQ(down(15, 1), 2.0f);
  EXPECT_TRUE(transpose_spectrogram(V, 0).isApprox(V));
  const Score s({{0, 1, 22, 80, "a", 0}, {0, 1, 60, 80, "a", 1}, {0, 1, 107, 80, "a", 2}});
  const Score t = transpose_score(s, 2);  // 109 leaves the piano
  ASSERT_EQ(t.size(), 2u);
  EXPECT_EQ(t.notes()[0].pitch, 24);
  EXPECT_EQ(t.notes()[1].pitch, 62);
  EXPECT_EQ(transpose_score(s, -2).size(), 2u);  // 20 leaves too
}

TEST(Pretrained, TrainsAllPianoRowsAndKeepsUntouchedOnes) {
  const TrainingPiece p = piece({60, 64, 67, 72}, 120);
  const Geometry g = geometry(0);
  ConstraintOptions c;
  const PianoModel m = train_piano_model({p}, g, c, kl(20));
  EXPECT_EQ(m.layout.rows(), 2 * 88);
  EXPECT_NO_THROW(m.check());
  // Pitch 30 is in no training note: its templates keep the harmonic start, its encoder row
  // the scaled transpose of it; pitch 60's learn.
  Geometry gf = g;
  gf.frames = 1;
  const VectorXf t30 = harmonic_template(30, gf, c), t60 = harmonic_template(60, gf, c);
  EXPECT_EQ(m.weights.decoder.col(m.layout.pitch_row(30)), t30);
  EXPECT_NE(m.weights.decoder.col(m.layout.pitch_row(60)), t60);
  // Zeros of the templates stay zero.
  EXPECT_TRUE(((t60.array() == 0).select(m.weights.decoder.col(m.layout.pitch_row(60)).array(), 0.0f) == 0).all());
  EXPECT_GE(m.weights.encoder.minCoeff(), 0.0f);
  EXPECT_THROW(train_piano_model({piece({10, 60}, 120)}, g, c, kl(2)), InvalidArgument);  // below the piano
  EXPECT_THROW(train_piano_model({}, g, c, kl(2)), InvalidArgument);
}

TEST(Pretrained, TranspositionTeachesTheNeighbours) {
  const TrainingPiece p = piece({60, 64, 67, 72}, 120);
  ConstraintOptions c;
  const PianoModel plain = train_piano_model({p}, geometry(0), c, kl(10));
  const PianoModel shifted = train_piano_model({p}, geometry(0), c, kl(10), 2);
  const Index r62 = plain.layout.pitch_row(62);
  Geometry g = geometry(1);
  EXPECT_EQ(plain.weights.decoder.col(r62), harmonic_template(62, g, c));  // untouched without
  EXPECT_NE(shifted.weights.decoder.col(r62), plain.weights.decoder.col(r62));  // 60 + 2 trained it
}

TEST(Pretrained, DecomposesANewPieceFromTheEncoder) {
  const PianoModel m = train_piano_model({piece({60, 62, 64, 65, 67, 69, 71, 72}, 200)}, geometry(0), ConstraintOptions{}, kl(30), 1);
  const TrainingPiece test = piece({72, 67, 64, 60, 65}, 150);
  DecomposeOptions o;
  o.pretrained = std::make_shared<PianoModel>(m);
  o.nmf.max_iterations = 0;
  const Geometry g = geometry(test.V.cols());
  const Decomposition forward = decompose(test.V, test.score, g, o);
  // The forward pass: the model's rows of the score's pitches, masked by the note windows.
  const std::vector<Index> rows = model_rows(m, forward.constraints.layout);
  ASSERT_EQ(static_cast<Index>(rows.size()), forward.W.cols());
  for (std::size_t r = 0; r < rows.size(); ++r) EXPECT_EQ(forward.W.col(static_cast<Index>(r)), m.weights.decoder.col(rows[r]));
  EXPECT_TRUE(((forward.constraints.H0.array() == 0).select(forward.H.array(), 0.0f) == 0).all());
  const Index r0 = rows[0];
  const VectorXf expect = (m.weights.encoder.row(r0) * test.V).transpose().cwiseMax(0.0f);
  int compared = 0;
  for (Index n = 0; n < g.frames; ++n)
    if (forward.constraints.H0(0, n) != 0 && expect[n] > 1e-3f) {
      EXPECT_NEAR(forward.H(0, n), expect[n], 1e-4f * expect[n]);
      ++compared;
    }
  EXPECT_GT(compared, 10);  // the comparison saw frames
  EXPECT_TRUE(forward.run.loss.empty());
  // Refinement lowers the loss from the encoder's start.
  o.nmf.max_iterations = 10;
  const Decomposition refined = decompose(test.V, test.score, g, o);
  EXPECT_NEAR(refined.run.initial_loss, forward.run.initial_loss, 1e-4 * forward.run.initial_loss);
  EXPECT_LT(refined.run.loss.back(), refined.run.initial_loss);
  // A model of another geometry, or an autoencoder method on top, is refused.
  DecomposeOptions bad = o;
  bad.method = Method::NaeMultiplicative;
  EXPECT_THROW(decompose(test.V, test.score, g, bad), InvalidArgument);
  PianoModel other = m;
  other.geometry.hop = 128;
  o.pretrained = std::make_shared<PianoModel>(other);
  EXPECT_THROW(decompose(test.V, test.score, g, o), InvalidArgument);
}
