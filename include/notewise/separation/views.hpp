#pragma once
// Views of a run for pictures (the report, `notewise plot`): the mix's magnitude, each group's
// stem magnitude (mask x mix) and each mask, on a log-frequency axis and at most a given number
// of columns. They are built chunk by chunk of frames while V is at hand, so the figures of a
// long recording need neither V nor the masks whole: an hour's views at 32 768 columns are
// about 38 MB each, where V alone is 1.3 GB.
#include <vector>

#include "notewise/core/types.hpp"
#include "notewise/score/constraints.hpp"

namespace notewise {

// The frequency axis of the views and figures: 36 rows per octave from C1 (32.7 Hz) up to
// `nyquist` (at most C9). Row j is the same frequency on every axis, so an axis to a lower top
// is the first rows of one to a higher top.
struct LogAxis {
  double fmin = 32.703195662574829;
  int per_octave = 36;
  Index rows = 0;
  double row_of(double hz) const;  // fractional row of a frequency
};
LogAxis log_axis(double nyquist);

// Rows of a linear-frequency matrix (K x C, bin k at k * bin_hz) on the log axis: the max (or
// mean) of the bins inside each row's band, or, where a band is narrower than a bin (low
// frequencies), the linear interpolation at its centre.
MatrixXf to_log_frequency(const Eigen::Ref<const MatrixXf>& m, double bin_hz, const LogAxis& axis, bool mean);

struct RunViews {
  LogAxis axis;         // log_axis of the analysis Nyquist
  Index frames = 0;     // analysis frames the columns cover
  double frame_seconds = 0;
  float ref = 0;        // the largest value of V (the figures' 0 dB)
  // axis.rows x columns, columns = min(frames, max_columns): frames split into columns as
  // plot::pool splits them (column c holds frames [c N / C, (c + 1) N / C)); magnitudes are
  // the max over a column's frames, masks the mean, each after to_log_frequency per frame, so
  // that with one frame a column they are to_log_frequency of V, M_g V and M_g exactly.
  MatrixXf mix;
  std::vector<MatrixXf> stems, masks;  // per group; empty when the run formed no masks

  Index columns() const { return mix.cols(); }
  bool empty() const { return mix.size() == 0; }
  double seconds() const { return static_cast<double>(frames) * frame_seconds; }
};

// Accumulates RunViews from consecutive chunks of frames (V's columns and every group's mask
// for them), in order from frame 0 to frames - 1.
class ViewBuilder {
 public:
  // groups: how many masks each chunk brings (0: the mix only). InvalidArgument for frames < 1
  // or max_columns < 1.
  ViewBuilder(const Geometry& geometry, std::size_t groups, Index max_columns);
  // V's columns [j0, j0 + V.cols()) and each group's mask there (same shape as V). j0 must be
  // where the previous chunk ended (InvalidArgument otherwise, or for a wrong shape).
  void add(Index j0, const Eigen::Ref<const MatrixXf>& V, const std::vector<MatrixXf>& masks);
  // The views; InvalidArgument unless every frame was added.
  RunViews finish();

 private:
  void fold(Index column, const MatrixXf& values, MatrixXf& into, bool mean);
  Geometry geometry_;
  std::size_t groups_;
  Index next_ = 0;
  RunViews views_;
  VectorXf counts_;  // frames per column, for the masks' means
};

// Views of a whole V and its masks (as model_groups keeps them): one chunk after another.
RunViews run_views(const Eigen::Ref<const MatrixXf>& V, const std::vector<MatrixXf>& masks, const Geometry& geometry,
                   Index max_columns);

}  // namespace notewise
