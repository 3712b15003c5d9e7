#include "notewise/core/griffin_lim.hpp"

#include <cmath>
#include <string>

#include "notewise/core/error.hpp"

namespace notewise {

void GriffinLimOptions::validate() const {
  require(iterations >= 0, "griffin_lim iterations", iterations, ">= 0");
  require(std::isfinite(momentum) && momentum >= 0 && momentum < 2, "griffin_lim momentum", momentum, "in [0, 2)");
}

namespace {
// Unit phasors of X (1 where X is zero, so that a silent bin keeps phase 0).
MatrixXcf phasors(const MatrixXcf& X) {
  MatrixXcf P(X.rows(), X.cols());
  for (Index j = 0; j < X.cols(); ++j)
    for (Index i = 0; i < X.rows(); ++i) {
      const float a = std::abs(X(i, j));
      P(i, j) = a > 0 ? X(i, j) / a : std::complex<float>(1, 0);
    }
  return P;
}
}  // namespace

VectorXf griffin_lim(const MatrixXf& magnitude, const MatrixXcf& start, const StftOptions& options, Index length,
                     const GriffinLimOptions& gl) {
  options.validate();
  gl.validate();
  if (magnitude.rows() != options.bins() || start.rows() != magnitude.rows() || start.cols() != magnitude.cols())
    throw InvalidArgument("griffin_lim: magnitude " + std::to_string(magnitude.rows()) + "x" +
                          std::to_string(magnitude.cols()) + " and start " + std::to_string(start.rows()) + "x" +
                          std::to_string(start.cols()) + " must both be bins x frames of the STFT");
  if (length < 1 || options.frames(length) != magnitude.cols())
    throw InvalidArgument("griffin_lim: length " + std::to_string(length) + " does not give " +
                          std::to_string(magnitude.cols()) + " frames");
  if (!magnitude.allFinite() || (magnitude.size() > 0 && magnitude.minCoeff() < 0))
    throw InvalidArgument("griffin_lim: magnitude must be finite and nonnegative");
  const MatrixXcf mag = magnitude.cast<std::complex<float>>();
  MatrixXcf phase = phasors(start);
  MatrixXcf previous = MatrixXcf::Zero(magnitude.rows(), magnitude.cols());
  const float m = static_cast<float>(gl.momentum / (1.0 + gl.momentum));
  for (int it = 0; it < gl.iterations; ++it) {
    const VectorXf y = istft((mag.array() * phase.array()).matrix(), options, length);
    const MatrixXcf rebuilt = stft(y, options);
    phase = phasors(rebuilt - m * previous);
    previous = rebuilt;
  }
  return istft((mag.array() * phase.array()).matrix(), options, length);
}

double spectral_convergence(const Eigen::Ref<const VectorXf>& y, const MatrixXf& magnitude, const StftOptions& options) {
  const MatrixXf a = stft(y, options).cwiseAbs();
  if (a.rows() != magnitude.rows() || a.cols() != magnitude.cols())
    throw InvalidArgument("spectral_convergence: the signal's STFT does not have the magnitude's shape");
  const double ref = magnitude.cast<double>().norm();
  return ref > 0 ? (a - magnitude).cast<double>().norm() / ref : (a.cast<double>().norm() > 0 ? 1.0 : 0.0);
}

}  // namespace notewise
