#include "notewise/score/constraints.hpp"

#include <algorithm>
#include <cmath>

#include "notewise/core/error.hpp"
#include "notewise/nmf/nmf.hpp"

namespace notewise {

Index Geometry::frame_of(double seconds) const {
  const double f = std::floor(seconds / frame_seconds());
  return static_cast<Index>(std::clamp(f, 0.0, static_cast<double>(frames)));
}

void ConstraintOptions::validate() const {
  require(tolerance > 0 && tolerance < 0.5, "tolerance", tolerance, "in (0, 0.5)");
  require(tolerance_cents >= 0 && tolerance_cents <= 600, "tolerance_cents", tolerance_cents, "in [0, 600]");
  require(partials >= 0, "partials", partials, ">= 0");
  require(inharmonicity >= 0 && inharmonicity < 0.1, "inharmonicity", inharmonicity, "in [0, 0.1)");
  require(partial_power >= 0 && partial_power <= 4, "partial_power", partial_power, "in [0, 4]");
  require(before >= 0 && before <= 10, "before", before, "in [0, 10] s");
  require(after >= 0 && after <= 10, "after", after, "in [0, 10] s");
  require(onset_before >= 0 && onset_before <= 2, "onset_before", onset_before, "in [0, 2] s");
  require(onset_after >= 0 && onset_after <= 2, "onset_after", onset_after, "in [0, 2] s");
}

Index Layout::pitch_row(int pitch) const {
  const auto it = std::lower_bound(pitches.begin(), pitches.end(), pitch);
  return it != pitches.end() && *it == pitch ? static_cast<Index>(it - pitches.begin()) : -1;
}

Index Layout::onset_row(int pitch) const {
  const Index r = pitch_row(pitch);
  return onset_templates && r >= 0 ? r + static_cast<Index>(pitches.size()) : -1;
}

VectorXf harmonic_template(int pitch, const Geometry& g, const ConstraintOptions& o) {
  const Index K = g.bins();
  const double nyquist = g.sample_rate / 2, f0 = pitch_to_hz(pitch);
  const double lo = o.tolerance_cents > 0 ? std::pow(2.0, -o.tolerance_cents / 1200) : 1 - o.tolerance;
  const double hi = o.tolerance_cents > 0 ? std::pow(2.0, o.tolerance_cents / 1200) : 1 + o.tolerance;
  VectorXf t = VectorXf::Zero(K);
  for (int m = 1; o.partials == 0 || m <= o.partials; ++m) {
    const double fm = m * f0 * std::sqrt(1 + o.inharmonicity * m * m);
    if (lo * fm > nyquist) break;
    // As libfmp: the bins from floor(lo fm / df) to floor(hi fm / df), at least one bin.
    const Index a = std::max<Index>(0, static_cast<Index>(lo * fm / g.bin_hz()));
    const Index b = std::min<Index>(K - 1, static_cast<Index>(hi * fm / g.bin_hz()));
    const float w = static_cast<float>(1.0 / std::pow(m, o.partial_power));
    for (Index k = a; k <= b; ++k) t[k] = std::max(t[k], w);
  }
  return t;
}

ScoreConstraints build_constraints(const Score& score, const Geometry& g, const ConstraintOptions& o,
                                   const std::vector<int>& pitches) {
  o.validate();
  if (score.empty()) throw InvalidArgument("score-informed constraints: the score has no notes");
  require(g.frames >= 1, "frames", static_cast<double>(g.frames), ">= 1");
  ScoreConstraints c;
  c.layout.pitches = pitches.empty() ? score.pitches() : pitches;
  if (!std::is_sorted(c.layout.pitches.begin(), c.layout.pitches.end()) ||
      std::adjacent_find(c.layout.pitches.begin(), c.layout.pitches.end()) != c.layout.pitches.end())
    throw InvalidArgument("score-informed constraints: the pitches of the rows must ascend");
  for (int p : score.pitches())
    if (c.layout.pitch_row(p) < 0)
      throw InvalidArgument("score-informed constraints: the rows have no pitch " + std::to_string(p));
  c.layout.onset_templates = o.onset_templates;
  const Index P = static_cast<Index>(c.layout.pitches.size()), R = c.layout.rows(), K = g.bins();
  c.W0 = MatrixXf::Zero(K, R);
  for (Index p = 0; p < P; ++p) c.W0.col(p) = harmonic_template(c.layout.pitches[p], g, o);
  if (o.onset_templates) c.W0.rightCols(P).setOnes();
  if (!o.constrain_templates)  // random start: equal starts would stay equal under the updates
    c.W0 = (nmf::random_matrix<float>(K, R, 7).array() + 0.01f).matrix();

  c.H0 = MatrixXf::Zero(R, g.frames);
  c.windows.reserve(score.size());
  for (const Note& n : score.notes()) {
    NoteWindow w;
    // As libfmp: frames floor((t - before)/dt) .. floor((t_off + after)/dt), inclusive.
    w.begin = g.frame_of(n.onset - o.before);
    w.end = std::min(g.frames, g.frame_of(n.offset() + o.after) + 1);
    const float start = o.velocity_start ? static_cast<float>(std::max(n.velocity, 1.0) / 127.0) : 1.0f;
    const Index row = c.layout.pitch_row(n.pitch);
    for (Index f = w.begin; f < w.end; ++f) c.H0(row, f) = std::max(c.H0(row, f), start);
    if (o.onset_templates) {
      w.onset_begin = g.frame_of(n.onset - o.onset_before);
      w.onset_end = std::min(g.frames, g.frame_of(n.onset + o.onset_after) + 1);
      const Index orow = c.layout.onset_row(n.pitch);
      for (Index f = w.onset_begin; f < w.onset_end; ++f) c.H0(orow, f) = std::max(c.H0(orow, f), start);
    }
    c.windows.push_back(w);
  }
  if (!o.constrain_activations) {
    const float start = c.H0.maxCoeff() > 0 ? c.H0.maxCoeff() : 1.0f;
    c.H0.setConstant(start);
  }
  return c;
}

}  // namespace notewise
