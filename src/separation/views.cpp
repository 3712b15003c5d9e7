#include "notewise/separation/views.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "notewise/core/error.hpp"

namespace notewise {

// A left hand below 500 Hz gets as many rows per octave as a melody (a linear axis squeezed it
// into the bottom tenth).
double LogAxis::row_of(double hz) const { return std::log2(hz / fmin) * per_octave; }

LogAxis log_axis(double nyquist) {
  LogAxis a;
  const double top = std::min(nyquist, a.fmin * 256.0);
  a.rows = std::max<Index>(1, static_cast<Index>(std::floor(std::log2(top / a.fmin) * a.per_octave)));
  return a;
}

MatrixXf to_log_frequency(const Eigen::Ref<const MatrixXf>& m, double bin_hz, const LogAxis& a, bool mean) {
  MatrixXf out = MatrixXf::Zero(a.rows, m.cols());
  const Index K = m.rows();
  for (Index j = 0; j < a.rows; ++j) {
    const double fc = a.fmin * std::pow(2.0, static_cast<double>(j) / a.per_octave);
    const double lo = fc * std::pow(2.0, -0.5 / a.per_octave), hi = fc * std::pow(2.0, 0.5 / a.per_octave);
    const Index k0 = static_cast<Index>(std::ceil(lo / bin_hz)), k1 = std::min<Index>(K - 1, static_cast<Index>(std::floor(hi / bin_hz)));
    if (k0 <= k1) {
      for (Index k = k0; k <= k1; ++k) {
        if (mean) out.row(j) += m.row(k) / static_cast<float>(k1 - k0 + 1);
        else out.row(j) = out.row(j).cwiseMax(m.row(k));
      }
    } else {
      const double x = fc / bin_hz;
      const Index k = std::min<Index>(K - 2, static_cast<Index>(std::floor(x)));
      const float w = static_cast<float>(x - static_cast<double>(k));
      out.row(j) = (1 - w) * m.row(k) + w * m.row(k + 1);
    }
  }
  return out;
}

ViewBuilder::ViewBuilder(const Geometry& geometry, std::size_t groups, Index max_columns)
    : geometry_(geometry), groups_(groups) {
  if (geometry.frames < 1) throw InvalidArgument("views: no frames");
  require(max_columns >= 1, "views: max_columns", static_cast<double>(max_columns), ">= 1");
  views_.axis = log_axis(geometry.sample_rate / 2);
  views_.frames = geometry.frames;
  views_.frame_seconds = geometry.frame_seconds();
  const Index C = std::min(geometry.frames, max_columns), R = views_.axis.rows;
  views_.mix = MatrixXf::Zero(R, C);
  views_.stems.assign(groups, MatrixXf::Zero(R, C));
  views_.masks.assign(groups, MatrixXf::Zero(R, C));
  counts_ = VectorXf::Zero(C);
  const Index N = geometry.frames;
  for (Index j = 0; j < N; ++j) counts_(((j + 1) * C - 1) / N) += 1;
}

// Folds the log-frequency columns of one chunk into the views' columns: frame j belongs to
// column c = floor(((j + 1) C - 1) / N), the largest c with floor(c N / C) <= j (plot::pool's
// split). Magnitudes take the max, masks the sum (divided by the count in finish).
void ViewBuilder::fold(Index column0_frame, const MatrixXf& values, MatrixXf& into, bool mean) {
  const Index N = views_.frames, C = into.cols();
  for (Index i = 0; i < values.cols(); ++i) {
    const Index c = ((column0_frame + i + 1) * C - 1) / N;
    if (mean) into.col(c) += values.col(i);
    else into.col(c) = into.col(c).cwiseMax(values.col(i));
  }
}

void ViewBuilder::add(Index j0, const Eigen::Ref<const MatrixXf>& V, const std::vector<MatrixXf>& masks) {
  if (j0 != next_ || j0 + V.cols() > views_.frames)
    throw InvalidArgument("views: chunk at frame " + std::to_string(j0) + " (" + std::to_string(V.cols()) +
                          " frames) does not follow frame " + std::to_string(next_) + " of " + std::to_string(views_.frames));
  if (V.rows() != geometry_.bins() || masks.size() != groups_)
    throw InvalidArgument("views: a chunk of " + std::to_string(V.rows()) + " bins and " + std::to_string(masks.size()) +
                          " masks, expected " + std::to_string(geometry_.bins()) + " and " + std::to_string(groups_));
  for (const auto& m : masks)
    if (m.rows() != V.rows() || m.cols() != V.cols()) throw InvalidArgument("views: a mask's chunk is not V's shape");
  const double bin_hz = geometry_.bin_hz();
  if (V.size() > 0) views_.ref = std::max(views_.ref, V.maxCoeff());
  fold(j0, to_log_frequency(V, bin_hz, views_.axis, false), views_.mix, false);
  for (std::size_t k = 0; k < groups_; ++k) {
    fold(j0, to_log_frequency(masks[k].cwiseProduct(V), bin_hz, views_.axis, false), views_.stems[k], false);
    fold(j0, to_log_frequency(masks[k], bin_hz, views_.axis, true), views_.masks[k], true);
  }
  next_ = j0 + V.cols();
}

RunViews ViewBuilder::finish() {
  if (next_ != views_.frames)
    throw InvalidArgument("views: " + std::to_string(next_) + " of " + std::to_string(views_.frames) + " frames added");
  for (auto& m : views_.masks) m = m * counts_.cwiseInverse().asDiagonal();
  RunViews out = std::move(views_);
  views_ = RunViews();
  return out;
}

RunViews run_views(const Eigen::Ref<const MatrixXf>& V, const std::vector<MatrixXf>& masks, const Geometry& geometry,
                   Index max_columns) {
  Geometry g = geometry;
  g.frames = V.cols();
  ViewBuilder b(g, masks.size(), max_columns);
  const Index chunk = 1024;
  std::vector<MatrixXf> part(masks.size());
  for (Index j0 = 0; j0 < V.cols(); j0 += chunk) {
    const Index n = std::min(chunk, V.cols() - j0);
    for (std::size_t k = 0; k < masks.size(); ++k) part[k] = masks[k].middleCols(j0, n);
    b.add(j0, V.middleCols(j0, n), part);
  }
  return b.finish();
}

}  // namespace notewise
