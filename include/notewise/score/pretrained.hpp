#pragma once
// Amortised decomposition: a nonnegative autoencoder trained once, over the whole piano, on one
// or several recordings with their scores (notewise nae train). Its encoder then gives the
// activations of a new recording in one pass, which a few NMF iterations refine
// (DecomposeOptions::pretrained).
//
// The model's rows are the 88 piano pitches (MIDI 21 .. 108), then their 88 onset rows when the
// constraints have onset templates, so that one model fits any piano piece; a new score uses
// the rows of its own pitches. Rows no training note touched keep their harmonic start.
#include <functional>
#include <string>
#include <vector>

#include "notewise/nae/nae.hpp"
#include "notewise/score/constraints.hpp"

namespace notewise {

struct PianoModel {
  static constexpr int kLowest = 21, kHighest = 108;  // A0 .. C8
  Geometry geometry;              // sample rate, n_fft, hop of its spectrograms (frames unused)
  ConstraintOptions constraints;  // templates and note windows it was trained with
  Layout layout;                  // the 88 pitches (+ onset rows)
  nae::Model<float> weights;      // encoder rows x bins, decoder bins x rows
  // Experimental deeper encoder (nae.hpp): signed hidden layers beside weights.encoder, and
  // their output layer (rows x width). Empty: the shallow encoder alone.
  std::vector<MatrixXf> hidden;
  MatrixXf out;
  nae::Loss loss = nae::Loss::KullbackLeibler;
  int epochs = 0;
  double final_loss = 0;          // per spectrogram entry, after training

  // The layout of a model with these constraints.
  static Layout piano_layout(bool onset_templates);
  // Throws InvalidArgument if the weights do not fit geometry and layout.
  void check() const;
};

struct TrainingPiece {
  MatrixXf V;   // magnitude spectrogram, geometry's bins x frames
  Score score;  // synchronised with it; pitches within 21 .. 108
};

// The experimental deeper encoder: after the shallow training, `layers` signed hidden layers
// of `width` units are added and everything trained `epochs` more epochs by Adam at `rate`.
struct DeepOptions {
  int layers = 0;  // 0: none
  Index width = 256;
  int epochs = 100;
  double rate = 0.01;
};

// Trains the autoencoder on all pieces at once (their frames side by side), decoder from the
// harmonic templates, structured dropout from each score's note windows. With transpositions
// T > 0 every piece is also used transposed by -T .. +T semitones (spectrogram stretched along
// frequency, score shifted), so that the rows of pitches the pieces lack learn from their
// neighbours' sound: a model trained on a piece in one key then fits pieces in other keys.
PianoModel train_piano_model(const std::vector<TrainingPiece>& pieces, const Geometry& geometry,
                             const ConstraintOptions& constraints, const nae::Options& options,
                             int transpositions = 0, const nae::Callback& callback = {},
                             const DeepOptions& deep = {});

// H' of the model's rows `rows` for V: the encoder (shallow or deep), ReLU, times the mask.
MatrixXf encode_rows(const PianoModel& model, const std::vector<Index>& rows, const Eigen::Ref<const MatrixXf>& V,
                     const MatrixXf& mask);

// V transposed by `semitones`: column n's content at f Hz moves to f * 2^(semitones/12)
// (linear interpolation between bins; what leaves the band is dropped, what enters is zero).
MatrixXf transpose_spectrogram(const MatrixXf& V, double semitones);

// The score transposed by `semitones`; notes that leave the piano (21 .. 108) are dropped.
Score transpose_score(const Score& score, int semitones);

// The model's rows for a score's layout (pitch rows, then onset rows); InvalidArgument if a
// pitch is outside the piano or the layouts disagree on onset rows.
std::vector<Index> model_rows(const PianoModel& model, const Layout& layout);

}  // namespace notewise
