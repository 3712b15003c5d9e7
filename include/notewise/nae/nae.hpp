#pragma once
// Nonnegative autoencoder (Smaragdis & Venkataramani, ICASSP 2017; lecture by Mueller & Oezer):
//   H = max(W_E V, 0)        encoder, W_E: R x K
//   H' = H .* M              structured dropout: M the binary mask of the score's note windows
//   V^ = max(W_D H', 0)      decoder, W_D: K x R (the templates)
//   L = ||V - V^||_F^2       or the KL divergence sum V log(V / V^) - V + V^ (V^ floored at eps)
// Nonnegativity by multiplicative updates (Zunner 2021), projected gradient descent, or (for
// comparison) by the ReLUs alone with free-sign weights. The updates are applied in turn, W_E
// first, then W_D with H' recomputed in between, which keeps the multiplicative version monotone.
// Entries of W_D that start at zero stay zero (template constraints); M's zeros give exactly
// zero H'.
//
// Multiplicative updates (the negative and positive parts of the gradient):
//   squared error: W_E <- W_E .* [((W_D' V) .* M) V'] ./ [((W_D' W_D H') .* M) V']
//                  W_D <- W_D .* [V H'^T] ./ [W_D H' H'^T]
//   KL:            W_E <- W_E .* [((W_D' (V ./ V^)) .* M) V'] ./ [((W_D' 1) .* M) V']
//                  W_D <- W_D .* [(V ./ V^) H'^T] ./ [1 H'^T]
// With nonnegative weights V^ is linear and nonnegative in either weight matrix, so both are the
// majorise-minimise updates of Lee & Seung and never increase the loss. An entry whose numerator
// and denominator are both zero (a row never active) keeps its value.
// Gradient steps: W <- W - step * g, with g the plain gradient (step 1/L, L a bound of the
// gradient's Lipschitz constant from Frobenius norms; squared error only) or Adam's normalised
// one; projected-gradient descent then clips at zero; W_D's template mask is re-applied after
// every step.
#include <cstdint>
#include <functional>
#include <vector>

#include "notewise/core/types.hpp"

namespace notewise::nae {

enum class Update {
  Multiplicative,     // Zunner 2021 (the default)
  ProjectedGradient,  // W <- max(W - step g, 0)
  FreeGradient,       // W <- W - step g: nonnegative outputs through the ReLUs only
};
enum class Loss { Euclidean, KullbackLeibler };
enum class Optimizer {
  Lipschitz,  // plain gradient, step / L (squared error only)
  Adam,       // Kingma & Ba 2015
};

struct Options {
  Update update = Update::Multiplicative;
  Loss loss = Loss::Euclidean;
  Optimizer optimizer = Optimizer::Lipschitz;  // gradient updates only
  int epochs = 50;
  double step = 1.9;         // Lipschitz: step in units of 1/L, in (0, 1.9] (larger diverged)
  // Adam: learning rate as a fraction of the RMS of each weight matrix's nonzero start (the weights'
  // scale follows the data's), and the moment decay rates.
  double adam_rate = 0.3;    // of 0.03, 0.1, 0.3: the lowest loss after 50 epochs (docs/RESULTS.md)
  double adam_beta1 = 0.9, adam_beta2 = 0.999;
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

// L(V, max(W_D H', 0)).
template <class T>
double loss(const Model<T>& m, const Matrix<T>& V, const Matrix<T>& mask, Loss kind = Loss::Euclidean);

// Gradients of the loss with respect to W_E and W_D (ReLU derivatives included; signs free).
template <class T>
Model<T> gradients(const Model<T>& m, const Matrix<T>& V, const Matrix<T>& mask, Loss kind = Loss::Euclidean);

// The multiplicative factors' numerators (negative parts) and denominators (positive parts):
// for nonnegative weights, gradient = 2 (positive - negative) for the squared error and
// positive - negative for KL.
template <class T>
struct Parts {
  Matrix<T> enc_neg, enc_pos, dec_neg, dec_pos;
};
template <class T>
Parts<T> gradient_parts(const Model<T>& m, const Matrix<T>& V, const Matrix<T>& mask, Loss kind = Loss::Euclidean);

// How the encoder starts (the decoder starts as the given templates):
enum class EncoderStart {
  ScaledTranspose,       // s templates' (the default)
  ClippedPseudoInverse,  // s max(pinv(templates), 0) (did not help in a prototype)
  Random,                // s U[0, 1), seeded
};

// Decoder = templates; encoder per `start`, times the least-squares scale s (min_s ||V - s A||,
// A the output of the unscaled start). Random: the encoder uniform in [0, 1) everywhere (seeded);
// for a random decoder too, pass random templates.
template <class T>
Model<T> initial_model(const Matrix<T>& templates, const Matrix<T>& V, const Matrix<T>& mask,
                       EncoderStart start = EncoderStart::ScaledTranspose, std::uint64_t seed = 1);

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

// ---- Deeper encoders (experimental; the lecture's outlook) ------------------------------
// With nonnegative weights and inputs every ReLU passes everything, so a deep nonnegative
// encoder is one linear map. Depth needs signed hidden layers; here they form a correction
// beside the shallow encoder, which keeps training from the shallow solution:
//   G_0 = V,  G_l = max(A_l G_{l-1}, 0)  (l = 1 .. L, A_l signed, width x ...)
//   H' = max(W_E V + B G_L, 0) .* M,     V^ = W_D H'
// No biases: the encoder stays positively homogeneous (a louder recording gives proportionally
// larger activations), as the shallow one is. The encoder weights (W_E, A_l, B; signed) are
// trained by Adam, the decoder by its multiplicative update (monotone for a fixed H').
template <class T>
struct DeepModel {
  Matrix<T> skip;                 // W_E, R x K
  std::vector<Matrix<T>> hidden;  // A_1 (width x K), A_2 .. A_L (width x width)
  Matrix<T> out;                  // B, R x width
  Matrix<T> decoder;              // W_D, K x R
};

template <class T>
Matrix<T> encode(const DeepModel<T>& m, const Matrix<T>& V, const Matrix<T>& mask);
template <class T>
double loss(const DeepModel<T>& m, const Matrix<T>& V, const Matrix<T>& mask, Loss kind = Loss::Euclidean);
// Gradients with respect to every weight matrix (same layout as the model).
template <class T>
DeepModel<T> gradients(const DeepModel<T>& m, const Matrix<T>& V, const Matrix<T>& mask, Loss kind = Loss::Euclidean);

// A deep model around a (trained) shallow one: hidden layers He-initialised from `seed`, B
// small, so that the start's output is within about 1 % of the shallow encoder's.
template <class T>
DeepModel<T> deepen(const Model<T>& shallow, const Matrix<T>& V, int layers, Index width, std::uint64_t seed);

template <class T>
struct DeepResult {
  DeepModel<T> model;
  double initial_loss = 0;
  std::vector<double> loss;
};

// options.epochs epochs; options.loss; Adam's rate and decay from options (update and
// optimizer are ignored).
template <class T>
DeepResult<T> train(const Matrix<T>& V, const Matrix<T>& mask, DeepModel<T> start, const Options& options,
                    const Callback& callback = {});

}  // namespace notewise::nae
