#pragma once
// Nonnegative autoencoder (Smaragdis & Venkataramani, ICASSP 2017; lecture by Mueller & Oezer):
//   H = max(W_E V, 0)        encoder, W_E: R x K
//   H' = H .* M              structured dropout: M the binary mask of the score's note windows
//   V^ = max(W_D H', 0)      decoder, W_D: K x R (the templates)
//   L = ||V - V^||_F^2
// Nonnegativity by multiplicative updates (Zunner 2021) or projected gradient descent. The
// updates are applied in turn, W_E first, then W_D with H' recomputed in between, which keeps
// the multiplicative version monotone. Entries of W_D that start at zero stay zero (template
// constraints); M's zeros give exactly zero H'.
//
// Multiplicative updates (the negative and positive parts of the gradient):
//   W_E <- W_E .* [((W_D' V) .* M) V'] ./ [((W_D' W_D H') .* M) V']
//   W_D <- W_D .* [V H'^T] ./ [W_D H' H'^T]
// An entry whose numerator and denominator are both zero (a row never active) keeps its value.
// Projected gradient: W <- max(W - (step / L) grad, 0) with L a bound of the gradient's Lipschitz
// constant (Frobenius norms), step <= 1.9; W_D's template mask is re-applied after every step.
#include <functional>
#include <vector>

#include "notewise/core/types.hpp"

namespace notewise::nae {

enum class Update { Multiplicative, ProjectedGradient };

struct Options {
  Update update = Update::Multiplicative;
  int epochs = 50;
  double step = 1.9;  // projected gradient: step size in units of 1/L, in (0, 1.9]
  void validate() const;
};

template <class T>
struct Model {
  Matrix<T> encoder;  // W_E, R x K
  Matrix<T> decoder;  // W_D, K x R
};

// H' = max(W_E V, 0) .* M  (R x N).
template <class T>
Matrix<T> encode(const Model<T>& m, const Matrix<T>& V, const Matrix<T>& mask);

// ||V - max(W_D H', 0)||^2.
template <class T>
double loss(const Model<T>& m, const Matrix<T>& V, const Matrix<T>& mask);

// Gradients of the loss with respect to W_E and W_D (ReLU derivatives included; signs free).
template <class T>
Model<T> gradients(const Model<T>& m, const Matrix<T>& V, const Matrix<T>& mask);

// The multiplicative factors' numerators (negative parts) and denominators (positive parts):
// for nonnegative weights, gradient = 2 (positive - negative).
template <class T>
struct Parts {
  Matrix<T> enc_neg, enc_pos, dec_neg, dec_pos;
};
template <class T>
Parts<T> gradient_parts(const Model<T>& m, const Matrix<T>& V, const Matrix<T>& mask);

// Decoder = templates; encoder = s templates' with the least-squares scale s.
template <class T>
Model<T> initial_model(const Matrix<T>& templates, const Matrix<T>& V, const Matrix<T>& mask);

template <class T>
struct Result {
  Model<T> model;
  Matrix<T> code;              // H' of the trained model
  double initial_loss = 0;
  std::vector<double> loss;    // after each epoch
};

// Callback after each epoch (epoch, loss); return false to stop.
using Callback = std::function<bool(int, double)>;

template <class T>
Result<T> train(const Matrix<T>& V, const Matrix<T>& mask, Model<T> start, const Options& options,
                const Callback& callback = {});

}  // namespace notewise::nae
