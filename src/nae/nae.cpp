#include "notewise/nae/nae.hpp"

#include <cmath>
#include <limits>
#include <random>

#include <Eigen/QR>

#include "notewise/core/error.hpp"
#include "nmf/kernels.hpp"

namespace notewise::nae {
namespace {

template <class T>
constexpr T kEps = std::numeric_limits<T>::epsilon();

template <class T>
void check(const Model<T>& m, const Matrix<T>& V, const Matrix<T>& mask) {
  const Index K = V.rows(), N = V.cols(), R = m.decoder.cols();
  if (K == 0 || N == 0 || R == 0) throw InvalidArgument("nae: empty input");
  if (m.decoder.rows() != K || m.encoder.rows() != R || m.encoder.cols() != K || mask.rows() != R || mask.cols() != N)
    throw InvalidArgument("nae: shapes do not fit");
}

// x .* num ./ den, keeping entries whose numerator and denominator are both zero. Results
// below the smallest normal number become zero: multiplicative updates drive unused weights
// towards zero, and subnormal weights make every later product many times slower.
template <class T>
void multiply(Matrix<T>& x, const Matrix<T>& num, const Matrix<T>& den) {
  for (Index j = 0; j < x.cols(); ++j)
    for (Index i = 0; i < x.rows(); ++i) {
      if (num(i, j) == 0 && den(i, j) == 0) continue;
      const T v = x(i, j) * (num(i, j) / std::max(den(i, j), kEps<T>));
      x(i, j) = v < std::numeric_limits<T>::min() ? T(0) : v;
    }
}

// L(V, max(Z, 0)) for the decoder's pre-activation Z.
template <class T>
double loss_of(const Matrix<T>& V, const Matrix<T>& Z, Loss kind) {
  double s = 0;
  if (kind == Loss::Euclidean) {
    for (Index j = 0; j < V.cols(); ++j)
      for (Index i = 0; i < V.rows(); ++i) {
        const double d = static_cast<double>(V(i, j)) - std::max<double>(Z(i, j), 0);
        s += d * d;
      }
    return s;
  }
  for (Index j = 0; j < V.cols(); ++j)
    for (Index i = 0; i < V.rows(); ++i) {
      const double x = V(i, j), y = std::max<double>(Z(i, j), kEps<T>);
      s += (x > 0 ? x * std::log(x / y) : 0.0) - x + y;
    }
  return s;
}

// dL/dZ for the decoder's pre-activation Z (ReLU and the KL floor included).
template <class T>
Matrix<T> output_gradient(const Matrix<T>& V, const Matrix<T>& Z, Loss kind) {
  Matrix<T> G(V.rows(), V.cols());
  for (Index j = 0; j < V.cols(); ++j)
    for (Index i = 0; i < V.rows(); ++i) {
      const T z = Z(i, j);
      if (kind == Loss::Euclidean)
        G(i, j) = z > 0 ? T(2) * (z - V(i, j)) : T(0);
      else
        G(i, j) = z > kEps<T> ? T(1) - V(i, j) / z : T(0);
    }
  return G;
}

// V ./ max(Z, eps), in place of Z (nmf's vectorised kernel).
template <class T>
void ratio_in_place(const Matrix<T>& V, Matrix<T>& Z) {
  nmf::detail::kl_ratio(V.data(), Z.data(), Z.size(), false);
}

// The decoder's multiplicative update for a fixed code H' (the same for shallow and deep
// encoders). Returns V H'^T and H'H'^T for the squared error, whose loss reuses them.
template <class T>
std::pair<Matrix<T>, Matrix<T>> update_decoder(Matrix<T>& decoder, const Matrix<T>& V, const Matrix<T>& Hm, Loss kind) {
  if (kind == Loss::Euclidean) {
    Matrix<T> VHt = V * Hm.transpose(), HHt = Hm * Hm.transpose();
    multiply(decoder, VHt, Matrix<T>(decoder * HHt));
    return {std::move(VHt), std::move(HHt)};
  }
  Matrix<T> Q = decoder * Hm;
  ratio_in_place(V, Q);
  multiply(decoder, Matrix<T>(Q * Hm.transpose()), Matrix<T>(Matrix<T>::Ones(V.rows(), 1) * Hm.rowwise().sum().transpose()));
  return {};
}

template <class T>
Matrix<T> encoder_gradient(const Model<T>& m, const Matrix<T>& V, const Matrix<T>& mask, Loss kind) {
  const Matrix<T> Ze = m.encoder * V;
  const Matrix<T> Gd = output_gradient(V, Matrix<T>(m.decoder * Ze.cwiseMax(T(0)).cwiseProduct(mask)), kind);
  const Matrix<T> Ge = (m.decoder.transpose() * Gd).cwiseProduct(mask).cwiseProduct((Ze.array() > T(0)).template cast<T>().matrix());
  return Ge * V.transpose();
}

template <class T>
Matrix<T> decoder_gradient(const Model<T>& m, const Matrix<T>& V, const Matrix<T>& Hm, Loss kind) {
  return output_gradient(V, Matrix<T>(m.decoder * Hm), kind) * Hm.transpose();
}

// One gradient step on W (in place): Lipschitz-scaled or Adam, then the projection.
template <class T>
struct Stepper {
  const Options& o;
  double rate = 0;  // Adam: absolute learning rate
  Matrix<T> m1, m2;
  int t = 0;

  Stepper(const Options& options, const Matrix<T>& start) : o(options) {
    // The scale of the weights that can move: the RMS of the nonzero entries (structural zeros
    // would make the rate depend on how sparse the templates are).
    const double nonzero = static_cast<double>((start.array() != T(0)).count());
    const double rms = nonzero > 0 ? start.template cast<double>().norm() / std::sqrt(nonzero) : 0;
    rate = o.adam_rate * (rms > 0 ? rms : 1.0);
  }

  void step(Matrix<T>& W, const Matrix<T>& g, double lipschitz) {
    if (o.optimizer == Optimizer::Lipschitz) {
      if (lipschitz > 0) W -= static_cast<T>(o.step / lipschitz) * g;
    } else {
      if (t++ == 0) m1 = m2 = Matrix<T>::Zero(g.rows(), g.cols());  // Adam's moments, on first use
      const T b1 = static_cast<T>(o.adam_beta1), b2 = static_cast<T>(o.adam_beta2);
      m1 = b1 * m1 + (1 - b1) * g;
      m2 = b2 * m2 + (1 - b2) * g.cwiseAbs2();
      const T c1 = static_cast<T>(1 - std::pow(o.adam_beta1, t)), c2 = static_cast<T>(1 - std::pow(o.adam_beta2, t));
      // epsilon relative to the gradients' scale, which follows the data's
      const T eps = std::max(static_cast<T>(1e-8) * std::sqrt(m2.maxCoeff() / c2), std::numeric_limits<T>::min());
      W.array() -= static_cast<T>(rate) * (m1.array() / c1) / ((m2.array() / c2).sqrt() + eps);
    }
    if (o.update == Update::ProjectedGradient) W = W.cwiseMax(T(0));
  }
};

}  // namespace

void Options::validate() const {
  require(epochs >= 0, "epochs", epochs, ">= 0");
  require(step > 0 && step <= 1.9, "step", step, "in (0, 1.9]");
  require(adam_rate > 0, "adam_rate", adam_rate, "> 0");
  require(adam_beta1 >= 0 && adam_beta1 < 1, "adam_beta1", adam_beta1, "in [0, 1)");
  require(adam_beta2 >= 0 && adam_beta2 < 1, "adam_beta2", adam_beta2, "in [0, 1)");
  if (update != Update::Multiplicative && loss == Loss::KullbackLeibler && optimizer == Optimizer::Lipschitz)
    throw InvalidArgument("nae: gradient steps on the KL loss need Adam (its gradient has no Lipschitz bound)");
}

template <class T>
Matrix<T> encode(const Model<T>& m, const Matrix<T>& V, const Matrix<T>& mask) {
  check(m, V, mask);
  return (m.encoder * V).cwiseMax(T(0)).cwiseProduct(mask);
}

template <class T>
double loss(const Model<T>& m, const Matrix<T>& V, const Matrix<T>& mask, Loss kind) {
  return loss_of(V, Matrix<T>(m.decoder * encode(m, V, mask)), kind);
}

template <class T>
Model<T> gradients(const Model<T>& m, const Matrix<T>& V, const Matrix<T>& mask, Loss kind) {
  check(m, V, mask);
  return {encoder_gradient(m, V, mask, kind), decoder_gradient(m, V, encode(m, V, mask), kind)};
}

template <class T>
Parts<T> gradient_parts(const Model<T>& m, const Matrix<T>& V, const Matrix<T>& mask, Loss kind) {
  const Matrix<T> Hm = encode(m, V, mask);
  Parts<T> p;
  if (kind == Loss::Euclidean) {
    p.enc_neg = (m.decoder.transpose() * V).cwiseProduct(mask) * V.transpose();
    p.enc_pos = ((m.decoder.transpose() * m.decoder) * Hm).cwiseProduct(mask) * V.transpose();
    p.dec_neg = V * Hm.transpose();
    p.dec_pos = m.decoder * (Hm * Hm.transpose());
    return p;
  }
  Matrix<T> Q = m.decoder * Hm;
  ratio_in_place(V, Q);
  const Matrix<T> colsum = m.decoder.colwise().sum().transpose();  // W_D' 1
  p.enc_neg = (m.decoder.transpose() * Q).cwiseProduct(mask) * V.transpose();
  p.enc_pos = (mask.array().colwise() * colsum.col(0).array()).matrix() * V.transpose();
  p.dec_neg = Q * Hm.transpose();
  p.dec_pos = Matrix<T>::Ones(V.rows(), 1) * Hm.rowwise().sum().transpose();
  return p;
}

template <class T>
Model<T> initial_model(const Matrix<T>& templates, const Matrix<T>& V, const Matrix<T>& mask, EncoderStart start,
                       std::uint64_t seed) {
  Model<T> m{templates.transpose(), templates};
  check(m, V, mask);
  if (start == EncoderStart::ClippedPseudoInverse) {
    m.encoder = Eigen::CompleteOrthogonalDecomposition<Matrix<T>>(templates).pseudoInverse().cwiseMax(T(0));
  } else if (start == EncoderStart::Random) {
    std::mt19937_64 rng(seed);
    std::uniform_real_distribution<double> u(0.0, 1.0);
    for (Index j = 0; j < m.encoder.cols(); ++j)
      for (Index i = 0; i < m.encoder.rows(); ++i) m.encoder(i, j) = static_cast<T>(u(rng));
  }
  // min_s ||V - s A||^2 with A = W_D ((E V) .* M): s = <V, A> / <A, A>.
  const Matrix<T> A = templates * (m.encoder * V).cwiseProduct(mask);
  const double aa = A.template cast<double>().squaredNorm();
  const double s = aa > 0 ? V.template cast<double>().cwiseProduct(A.template cast<double>()).sum() / aa : 1.0;
  m.encoder *= static_cast<T>(s);
  return m;
}

template <class T>
Result<T> train(const Matrix<T>& V, const Matrix<T>& mask, Model<T> m, const Options& o, const Callback& callback) {
  o.validate();
  check(m, V, mask);
  if (!V.allFinite() || V.minCoeff() < 0) throw InvalidArgument("nae: V must be finite and nonnegative");
  if (!m.encoder.allFinite() || !m.decoder.allFinite()) throw InvalidArgument("nae: weights must be finite");
  if (o.update != Update::FreeGradient && (m.encoder.minCoeff() < 0 || m.decoder.minCoeff() < 0))
    throw InvalidArgument("nae: weights must start nonnegative");
  const Eigen::Array<bool, Eigen::Dynamic, Eigen::Dynamic> template_zero = m.decoder.array() == T(0);
  Result<T> r;
  Matrix<T> Hm = encode(m, V, mask);
  const Matrix<T> Z = m.decoder * Hm;  // the decoder's pre-activation at the start
  r.initial_loss = loss_of(V, Z, o.loss);
  const double v_norm2 = V.template cast<double>().squaredNorm();
  // Multiplicative KL: Q = V ./ (W_D H') of the current weights, formed together with the loss
  // in one fused pass (nmf's vectorised kernel; its floor is the same eps as loss_of's).
  auto kl_ratio = [&](Matrix<T>& z, bool with_loss) { return nmf::detail::kl_ratio(V.data(), z.data(), z.size(), with_loss); };
  Matrix<T> Q;
  if (o.update == Update::Multiplicative && o.loss == Loss::KullbackLeibler) {
    Q = Z;
    ratio_in_place(V, Q);
  }
  Stepper<T> enc_step(o, m.encoder), dec_step(o, m.decoder);
  const bool euclid = o.loss == Loss::Euclidean;
  for (int e = 1; e <= o.epochs; ++e) {
    double L = 0;
    if (o.update == Update::Multiplicative) {
      // Encoder (the negative and positive parts of its gradient share the product with V').
      Matrix<T> parts(2 * Hm.rows(), V.cols());
      if (euclid) {
        parts.topRows(Hm.rows()) = (m.decoder.transpose() * V).cwiseProduct(mask);
        parts.bottomRows(Hm.rows()) = ((m.decoder.transpose() * m.decoder) * Hm).cwiseProduct(mask);
      } else {
        parts.topRows(Hm.rows()) = (m.decoder.transpose() * Q).cwiseProduct(mask);
        parts.bottomRows(Hm.rows()) = mask.array().colwise() * m.decoder.colwise().sum().transpose().array();
      }
      const Matrix<T> both = parts * V.transpose();
      multiply(m.encoder, Matrix<T>(both.topRows(Hm.rows())), Matrix<T>(both.bottomRows(Hm.rows())));
      Hm = encode(m, V, mask);  // H' with the new encoder
      // Decoder, then the loss from products at hand: for the squared error
      // ||V||^2 - 2 <W_D, V H'^T> + <W_D' W_D, H' H'^T> (no K x N pass; as the NMF's Euclidean
      // path), for KL the fused pass that also gives the next epoch's Q.
      const auto [VHt, HHt] = update_decoder(m.decoder, V, Hm, o.loss);
      if (euclid) {
        const Matrix<T> WtW = m.decoder.transpose() * m.decoder;
        L = std::max(0.0, v_norm2 - 2.0 * m.decoder.template cast<double>().cwiseProduct(VHt.template cast<double>()).sum() +
                              WtW.template cast<double>().cwiseProduct(HHt.template cast<double>()).sum());
      } else {
        Q.noalias() = m.decoder * Hm;
        L = kl_ratio(Q, true);
      }
    } else {
      // Lipschitz bounds (Frobenius norms bound the spectral ones; squared error):
      // encoder 2 |W_D'W_D| |VV'|, decoder 2 |H'H'^T|.
      const double le = euclid ? 2.0 * (m.decoder.transpose() * m.decoder).template cast<double>().norm() * v_norm2 : 0;
      enc_step.step(m.encoder, encoder_gradient(m, V, mask, o.loss), le);
      Hm = encode(m, V, mask);
      const double ld = euclid ? 2.0 * (Hm * Hm.transpose()).template cast<double>().norm() : 0;
      dec_step.step(m.decoder, decoder_gradient(m, V, Hm, o.loss), ld);
      m.decoder = template_zero.select(T(0), m.decoder);  // template constraints
      L = loss_of(V, Matrix<T>(m.decoder * Hm), o.loss);
    }
    r.loss.push_back(L);
    if (callback && !callback(e, L)) break;
  }
  r.code = std::move(Hm);
  r.model = std::move(m);
  return r;
}

namespace {

// The forward pass with what backpropagation needs.
template <class T>
struct DeepPass {
  std::vector<Matrix<T>> Z, G;  // pre-activations and outputs of the hidden layers (G[0] = V)
  Matrix<T> out;                // W_E V + B G_L
  Matrix<T> Hm;                 // max(out, 0) .* M
};

template <class T>
void check(const DeepModel<T>& m, const Matrix<T>& V, const Matrix<T>& mask) {
  check(Model<T>{m.skip, m.decoder}, V, mask);
  Index in = V.rows();
  for (const auto& A : m.hidden) {
    if (A.cols() != in) throw InvalidArgument("nae: hidden layers do not chain");
    in = A.rows();
  }
  if (m.out.rows() != m.skip.rows() || m.out.cols() != (m.hidden.empty() ? 0 : in))
    throw InvalidArgument("nae: the output layer does not fit the hidden layers");
}

template <class T>
DeepPass<T> forward(const DeepModel<T>& m, const Matrix<T>& V, const Matrix<T>& mask) {
  check(m, V, mask);
  DeepPass<T> p;
  p.G.push_back(V);
  for (const auto& A : m.hidden) {
    p.Z.push_back(A * p.G.back());
    p.G.push_back(p.Z.back().cwiseMax(T(0)));
  }
  p.out = m.skip * V;
  if (!m.hidden.empty()) p.out.noalias() += m.out * p.G.back();
  p.Hm = p.out.cwiseMax(T(0)).cwiseProduct(mask);
  return p;
}

// Gradients of the encoder weights for the decoder-side gradient Gd = dL/dZ of the output.
template <class T>
void backward(const DeepModel<T>& m, const DeepPass<T>& p, const Matrix<T>& mask, const Matrix<T>& Gd, DeepModel<T>& g) {
  const Matrix<T> Go = (m.decoder.transpose() * Gd).cwiseProduct(mask).cwiseProduct((p.out.array() > T(0)).template cast<T>().matrix());
  g.skip = Go * p.G[0].transpose();
  g.hidden.assign(m.hidden.size(), Matrix<T>());
  if (m.hidden.empty()) {
    g.out = Matrix<T>::Zero(m.out.rows(), m.out.cols());
    return;
  }
  g.out = Go * p.G.back().transpose();
  Matrix<T> dG = m.out.transpose() * Go;
  for (std::size_t l = m.hidden.size(); l-- > 0;) {
    const Matrix<T> dZ = dG.cwiseProduct((p.Z[l].array() > T(0)).template cast<T>().matrix());
    g.hidden[l] = dZ * p.G[l].transpose();
    if (l > 0) dG = m.hidden[l].transpose() * dZ;
  }
}

}  // namespace

template <class T>
Matrix<T> encode(const DeepModel<T>& m, const Matrix<T>& V, const Matrix<T>& mask) {
  return forward(m, V, mask).Hm;
}

template <class T>
double loss(const DeepModel<T>& m, const Matrix<T>& V, const Matrix<T>& mask, Loss kind) {
  return loss_of(V, Matrix<T>(m.decoder * encode(m, V, mask)), kind);
}

template <class T>
DeepModel<T> gradients(const DeepModel<T>& m, const Matrix<T>& V, const Matrix<T>& mask, Loss kind) {
  const DeepPass<T> p = forward(m, V, mask);
  const Matrix<T> Gd = output_gradient(V, Matrix<T>(m.decoder * p.Hm), kind);
  DeepModel<T> g;
  backward(m, p, mask, Gd, g);
  g.decoder = Gd * p.Hm.transpose();
  return g;
}

template <class T>
DeepModel<T> deepen(const Model<T>& shallow, const Matrix<T>& V, int layers, Index width, std::uint64_t seed) {
  require(layers >= 1 && layers <= 4, "layers", layers, "in [1, 4]");
  require(width >= 1, "width", static_cast<double>(width), ">= 1");
  DeepModel<T> m{shallow.encoder, {}, {}, shallow.decoder};
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal(0.0, 1.0);
  auto gaussian = [&](Index r, Index c, double sd) {
    Matrix<T> A(r, c);
    for (Index j = 0; j < c; ++j)
      for (Index i = 0; i < r; ++i) A(i, j) = static_cast<T>(sd * normal(rng));
    return A;
  };
  Index in = V.rows();
  Matrix<T> G = V;
  for (int l = 0; l < layers; ++l) {
    m.hidden.push_back(gaussian(width, in, std::sqrt(2.0 / static_cast<double>(in))));  // He
    G = (m.hidden.back() * G).cwiseMax(T(0));
    in = width;
  }
  m.out = gaussian(shallow.encoder.rows(), width, 1.0);
  // Scale B so that the correction starts at 1 % of the shallow encoder's output (RMS).
  const double shallow_rms = (shallow.encoder * V).template cast<double>().norm();
  const double deep_rms = (m.out * G).template cast<double>().norm();
  if (deep_rms > 0) m.out *= static_cast<T>(0.01 * shallow_rms / deep_rms);
  return m;
}

template <class T>
DeepResult<T> train(const Matrix<T>& V, const Matrix<T>& mask, DeepModel<T> m, const Options& options, const Callback& callback) {
  Options o = options;
  o.update = Update::FreeGradient;
  o.optimizer = Optimizer::Adam;
  o.validate();
  check(m, V, mask);
  if (!V.allFinite() || V.minCoeff() < 0) throw InvalidArgument("nae: V must be finite and nonnegative");
  if (m.decoder.minCoeff() < 0) throw InvalidArgument("nae: the decoder must start nonnegative");
  DeepResult<T> r;
  DeepPass<T> p = forward(m, V, mask);
  Matrix<T> Z = m.decoder * p.Hm;
  r.initial_loss = loss_of(V, Z, o.loss);
  Stepper<T> skip_step(o, m.skip), out_step(o, m.out);
  std::vector<Stepper<T>> hidden_step;
  for (const auto& A : m.hidden) hidden_step.emplace_back(o, A);
  out_step.rate *= 100;  // B starts at 1 % of the scale it may need (deepen): rate as for the full scale
  for (int e = 1; e <= o.epochs; ++e) {
    DeepModel<T> g;
    backward(m, p, mask, output_gradient(V, Z, o.loss), g);
    skip_step.step(m.skip, g.skip, 0);
    for (std::size_t l = 0; l < m.hidden.size(); ++l) hidden_step[l].step(m.hidden[l], g.hidden[l], 0);
    if (!m.hidden.empty()) out_step.step(m.out, g.out, 0);
    p = forward(m, V, mask);
    update_decoder(m.decoder, V, p.Hm, o.loss);
    Z = m.decoder * p.Hm;
    const double L = loss_of(V, Z, o.loss);
    r.loss.push_back(L);
    if (callback && !callback(e, L)) break;
  }
  r.model = std::move(m);
  return r;
}

#define NOTEWISE_NAE_INSTANTIATE(T)                                                                        \
  template Matrix<T> encode<T>(const Model<T>&, const Matrix<T>&, const Matrix<T>&);                       \
  template double loss<T>(const Model<T>&, const Matrix<T>&, const Matrix<T>&, Loss);                      \
  template Model<T> gradients<T>(const Model<T>&, const Matrix<T>&, const Matrix<T>&, Loss);               \
  template Parts<T> gradient_parts<T>(const Model<T>&, const Matrix<T>&, const Matrix<T>&, Loss);          \
  template Model<T> initial_model<T>(const Matrix<T>&, const Matrix<T>&, const Matrix<T>&, EncoderStart,   \
                                     std::uint64_t);                                                       \
  template Result<T> train<T>(const Matrix<T>&, const Matrix<T>&, Model<T>, const Options&, const Callback&);    \
  template Matrix<T> encode<T>(const DeepModel<T>&, const Matrix<T>&, const Matrix<T>&);                   \
  template double loss<T>(const DeepModel<T>&, const Matrix<T>&, const Matrix<T>&, Loss);                  \
  template DeepModel<T> gradients<T>(const DeepModel<T>&, const Matrix<T>&, const Matrix<T>&, Loss);       \
  template DeepModel<T> deepen<T>(const Model<T>&, const Matrix<T>&, int, Index, std::uint64_t);           \
  template DeepResult<T> train<T>(const Matrix<T>&, const Matrix<T>&, DeepModel<T>, const Options&, const Callback&);
NOTEWISE_NAE_INSTANTIATE(float)
NOTEWISE_NAE_INSTANTIATE(double)

}  // namespace notewise::nae
