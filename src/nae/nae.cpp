#include "notewise/nae/nae.hpp"

#include <cmath>
#include <limits>

#include "notewise/core/error.hpp"

namespace notewise::nae {
namespace {

template <class T>
void check(const Model<T>& m, const Matrix<T>& V, const Matrix<T>& mask) {
  const Index K = V.rows(), N = V.cols(), R = m.decoder.cols();
  if (K == 0 || N == 0 || R == 0) throw InvalidArgument("nae: empty input");
  if (m.decoder.rows() != K || m.encoder.rows() != R || m.encoder.cols() != K || mask.rows() != R || mask.cols() != N)
    throw InvalidArgument("nae: shapes do not fit");
}

// x .* num ./ den, keeping entries whose numerator and denominator are both zero.
template <class T>
void multiply(Matrix<T>& x, const Matrix<T>& num, const Matrix<T>& den) {
  const T eps = std::numeric_limits<T>::epsilon();
  for (Index j = 0; j < x.cols(); ++j)
    for (Index i = 0; i < x.rows(); ++i) {
      if (num(i, j) == 0 && den(i, j) == 0) continue;
      x(i, j) *= num(i, j) / std::max(den(i, j), eps);
    }
}

}  // namespace

void Options::validate() const {
  require(epochs >= 0, "epochs", epochs, ">= 0");
  require(step > 0 && step <= 1.9, "step", step, "in (0, 1.9]");
}

template <class T>
Matrix<T> encode(const Model<T>& m, const Matrix<T>& V, const Matrix<T>& mask) {
  check(m, V, mask);
  return (m.encoder * V).cwiseMax(T(0)).cwiseProduct(mask);
}

template <class T>
double loss(const Model<T>& m, const Matrix<T>& V, const Matrix<T>& mask) {
  const Matrix<T> Vh = (m.decoder * encode(m, V, mask)).cwiseMax(T(0));
  return (V - Vh).template cast<double>().squaredNorm();
}

template <class T>
Model<T> gradients(const Model<T>& m, const Matrix<T>& V, const Matrix<T>& mask) {
  check(m, V, mask);
  const Matrix<T> Ze = m.encoder * V;
  const Matrix<T> Hm = Ze.cwiseMax(T(0)).cwiseProduct(mask);
  const Matrix<T> Zd = m.decoder * Hm;
  // dL/dZd = 2 (max(Zd,0) - V) .* [Zd > 0]
  const Matrix<T> Gd = (T(2) * (Zd.cwiseMax(T(0)) - V)).cwiseProduct((Zd.array() > T(0)).template cast<T>().matrix());
  Model<T> g;
  g.decoder = Gd * Hm.transpose();
  const Matrix<T> Ge = (m.decoder.transpose() * Gd).cwiseProduct(mask).cwiseProduct((Ze.array() > T(0)).template cast<T>().matrix());
  g.encoder = Ge * V.transpose();
  return g;
}

template <class T>
Parts<T> gradient_parts(const Model<T>& m, const Matrix<T>& V, const Matrix<T>& mask) {
  const Matrix<T> Hm = encode(m, V, mask);
  Parts<T> p;
  p.enc_neg = (m.decoder.transpose() * V).cwiseProduct(mask) * V.transpose();
  p.enc_pos = ((m.decoder.transpose() * m.decoder) * Hm).cwiseProduct(mask) * V.transpose();
  p.dec_neg = V * Hm.transpose();
  p.dec_pos = m.decoder * (Hm * Hm.transpose());
  return p;
}

template <class T>
Model<T> initial_model(const Matrix<T>& templates, const Matrix<T>& V, const Matrix<T>& mask) {
  Model<T> m{templates.transpose(), templates};
  check(m, V, mask);
  // min_s ||V - s A||^2 with A = W_D ((W_D' V) .* M): s = <V, A> / <A, A>.
  const Matrix<T> A = templates * (templates.transpose() * V).cwiseProduct(mask);
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
  if (m.encoder.minCoeff() < 0 || m.decoder.minCoeff() < 0) throw InvalidArgument("nae: weights must start nonnegative");
  const Eigen::Array<bool, Eigen::Dynamic, Eigen::Dynamic> template_zero = m.decoder.array() == T(0);
  Result<T> r;
  r.initial_loss = loss(m, V, mask);
  const double v_norm2 = V.template cast<double>().squaredNorm();
  for (int e = 1; e <= o.epochs; ++e) {
    if (o.update == Update::Multiplicative) {
      Parts<T> p = gradient_parts(m, V, mask);
      multiply(m.encoder, p.enc_neg, p.enc_pos);
      const Matrix<T> Hm = encode(m, V, mask);  // H' with the new encoder
      multiply(m.decoder, Matrix<T>(V * Hm.transpose()), Matrix<T>(m.decoder * (Hm * Hm.transpose())));
    } else {
      // Lipschitz bounds (Frobenius norms bound the spectral ones): encoder 2 |W_D'W_D| |VV'|,
      // decoder 2 |H'H'^T|.
      const double le = 2.0 * (m.decoder.transpose() * m.decoder).template cast<double>().norm() * v_norm2;
      const Model<T> ge = gradients(m, V, mask);
      if (le > 0) m.encoder = (m.encoder - static_cast<T>(o.step / le) * ge.encoder).cwiseMax(T(0));
      const Matrix<T> Hm = encode(m, V, mask);
      const double ld = 2.0 * (Hm * Hm.transpose()).template cast<double>().norm();
      const Model<T> gd = gradients(m, V, mask);
      if (ld > 0) m.decoder = (m.decoder - static_cast<T>(o.step / ld) * gd.decoder).cwiseMax(T(0));
      m.decoder = template_zero.select(T(0), m.decoder);  // template constraints
    }
    const double L = loss(m, V, mask);
    r.loss.push_back(L);
    if (callback && !callback(e, L)) break;
  }
  r.code = encode(m, V, mask);
  r.model = std::move(m);
  return r;
}

#define NOTEWISE_NAE_INSTANTIATE(T)                                                                        \
  template Matrix<T> encode<T>(const Model<T>&, const Matrix<T>&, const Matrix<T>&);                       \
  template double loss<T>(const Model<T>&, const Matrix<T>&, const Matrix<T>&);                            \
  template Model<T> gradients<T>(const Model<T>&, const Matrix<T>&, const Matrix<T>&);                     \
  template Parts<T> gradient_parts<T>(const Model<T>&, const Matrix<T>&, const Matrix<T>&);                \
  template Model<T> initial_model<T>(const Matrix<T>&, const Matrix<T>&, const Matrix<T>&);                \
  template Result<T> train<T>(const Matrix<T>&, const Matrix<T>&, Model<T>, const Options&, const Callback&);
NOTEWISE_NAE_INSTANTIATE(float)
NOTEWISE_NAE_INSTANTIATE(double)

}  // namespace notewise::nae
