#include "notewise/score/constraints.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

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
  for (const auto& s : sources) {
    require(s.tolerance_cents >= 0 && s.tolerance_cents <= 600, "tolerance_cents of source " + s.name, s.tolerance_cents,
            "in [0, 600]");
    require(s.partials >= 0, "partials of source " + s.name, s.partials, ">= 0");
    require(s.after <= 10, "after of source " + s.name, s.after, "<= 10 s");
  }
}

Index Layout::rows() const {
  const Index P = pitch_rows();
  if (onset_of.empty()) return onset_templates ? 2 * P : P;
  return P + static_cast<Index>(std::count_if(onset_of.begin(), onset_of.end(), [](Index r) { return r >= 0; }));
}

Index Layout::pitch_row(int pitch, int source) const {
  if (sources.empty()) {
    if (source != 0) return -1;
    const auto it = std::lower_bound(pitches.begin(), pitches.end(), pitch);
    return it != pitches.end() && *it == pitch ? static_cast<Index>(it - pitches.begin()) : -1;
  }
  for (std::size_t r = 0; r < pitches.size(); ++r)
    if (sources[r] == source && pitches[r] == pitch) return static_cast<Index>(r);
  return -1;
}

Index Layout::onset_row_of(Index r) const {
  if (r < 0 || r >= pitch_rows()) return -1;
  if (onset_of.empty()) return onset_templates ? r + pitch_rows() : -1;
  return onset_of[static_cast<std::size_t>(r)];
}

Index Layout::onset_row(int pitch, int source) const { return onset_row_of(pitch_row(pitch, source)); }

Index Layout::base_row(Index r) const {
  if (r < pitch_rows()) return r;
  if (onset_of.empty()) return r - pitch_rows();
  const auto it = std::find(onset_of.begin(), onset_of.end(), r);
  return it == onset_of.end() ? -1 : static_cast<Index>(it - onset_of.begin());
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

Index count_pitch_rows(const Score& score, const std::vector<SourceModel>& sources) {
  std::map<std::string, std::size_t> source_of;
  for (std::size_t s = 0; s < sources.size(); ++s)
    for (const auto& l : sources[s].labels) source_of.emplace(l, s);
  std::set<std::pair<std::size_t, int>> rows;
  for (const Note& n : score.notes()) {
    const auto it = source_of.find(n.label);
    rows.insert({it == source_of.end() ? 0 : it->second, n.pitch});
  }
  return static_cast<Index>(rows.size());
}

ScoreConstraints build_constraints(const Score& score, const Geometry& g, const ConstraintOptions& o,
                                   const std::vector<int>& pitches) {
  o.validate();
  if (score.empty()) throw InvalidArgument("score-informed constraints: the score has no notes");
  require(g.frames >= 1, "frames", static_cast<double>(g.frames), ">= 1");
  ScoreConstraints c;
  Layout& L = c.layout;

  // The source of each note: its label's (one source if none are given).
  const std::size_t S = std::max<std::size_t>(1, o.sources.size());
  std::vector<int> source_of(score.size(), 0);
  if (!o.sources.empty()) {
    if (!pitches.empty()) throw InvalidArgument("score-informed constraints: fixed pitch rows need a single timbre source");
    for (std::size_t i = 0; i < score.size(); ++i) {
      const std::string& label = score.notes()[i].label;
      int found = -1;
      for (std::size_t s = 0; s < o.sources.size() && found < 0; ++s)
        for (const auto& l : o.sources[s].labels)
          if (l == label) found = static_cast<int>(s);
      if (found < 0) throw InvalidArgument("score-informed constraints: label '" + label + "' belongs to no timbre source");
      source_of[i] = found;
    }
    for (const auto& s : o.sources) L.source_names.push_back(s.name);
  }
  // Pitch rows: per source, the pitches it plays, ascending.
  if (!pitches.empty()) {
    L.pitches = pitches;
    if (!std::is_sorted(L.pitches.begin(), L.pitches.end()) ||
        std::adjacent_find(L.pitches.begin(), L.pitches.end()) != L.pitches.end())
      throw InvalidArgument("score-informed constraints: the pitches of the rows must ascend");
    for (int p : score.pitches())
      if (L.pitch_row(p) < 0) throw InvalidArgument("score-informed constraints: the rows have no pitch " + std::to_string(p));
  } else {
    std::vector<std::vector<int>> played(S);
    for (std::size_t i = 0; i < score.size(); ++i) played[static_cast<std::size_t>(source_of[i])].push_back(score.notes()[i].pitch);
    for (std::size_t s = 0; s < S; ++s) {
      auto& p = played[s];
      std::sort(p.begin(), p.end());
      p.erase(std::unique(p.begin(), p.end()), p.end());
      for (int pitch : p) {
        L.pitches.push_back(pitch);
        if (!o.sources.empty()) L.sources.push_back(static_cast<int>(s));
      }
    }
  }
  const Index P = L.pitch_rows(), K = g.bins();
  if (P > kMaxPitchRows)
    throw InvalidArgument("score-informed constraints: " + std::to_string(P) + " pitch templates (one per pitch of each timbre source), at most " +
                          std::to_string(kMaxPitchRows));
  // Onset rows: for the pitch rows of sources with onset templates.
  // Each source's options: the fields above with its overrides.
  std::vector<ConstraintOptions> per_source(S, o);
  for (std::size_t s = 0; s < S; ++s) {
    ConstraintOptions& so = per_source[s];
    so.sources.clear();
    if (o.sources.empty()) continue;
    const SourceModel& m = o.sources[s];
    if (m.tolerance_cents > 0) so.tolerance_cents = m.tolerance_cents;
    if (m.partials > 0) so.partials = m.partials;
    if (m.after >= 0) so.after = m.after;
    so.onset_templates = o.onset_templates && m.onset_templates;
  }
  auto source_options = [&](int s) -> const ConstraintOptions& { return per_source[static_cast<std::size_t>(s)]; };
  if (o.sources.empty()) {
    L.onset_templates = o.onset_templates;
  } else {
    Index next = P;
    L.onset_of.assign(static_cast<std::size_t>(P), -1);
    for (Index r = 0; r < P; ++r)
      if (source_options(L.source_of_row(r)).onset_templates) L.onset_of[static_cast<std::size_t>(r)] = next++;
    L.onset_templates = next > P;
  }
  const Index R = L.rows();
  c.W0 = MatrixXf::Zero(K, R);
  for (Index r = 0; r < P; ++r) {
    c.W0.col(r) = harmonic_template(L.pitches[static_cast<std::size_t>(r)], g, source_options(L.source_of_row(r)));
    const Index orow = L.onset_row_of(r);
    if (orow >= 0) c.W0.col(orow).setOnes();
  }
  if (!o.constrain_templates)  // random start: equal starts would stay equal under the updates
    c.W0 = (nmf::random_matrix<float>(K, R, 7).array() + 0.01f).matrix();

  c.H0 = MatrixXf::Zero(R, g.frames);
  c.windows.reserve(score.size());
  for (std::size_t i = 0; i < score.size(); ++i) {
    const Note& n = score.notes()[i];
    NoteWindow w;
    // As libfmp: frames floor((t - before)/dt) .. floor((t_off + after)/dt), inclusive.
    w.begin = g.frame_of(n.onset - o.before);
    w.end = std::min(g.frames, g.frame_of(n.offset() + source_options(source_of[i]).after) + 1);
    const float start = o.velocity_start ? static_cast<float>(std::max(n.velocity, 1.0) / 127.0) : 1.0f;
    w.row = L.pitch_row(n.pitch, source_of[i]);
    for (Index f = w.begin; f < w.end; ++f) c.H0(w.row, f) = std::max(c.H0(w.row, f), start);
    w.onset_row = L.onset_row_of(w.row);
    if (w.onset_row >= 0) {
      w.onset_begin = g.frame_of(n.onset - o.onset_before);
      w.onset_end = std::min(g.frames, g.frame_of(n.onset + o.onset_after) + 1);
      for (Index f = w.onset_begin; f < w.onset_end; ++f) c.H0(w.onset_row, f) = std::max(c.H0(w.onset_row, f), start);
    }
    c.windows.push_back(w);
  }
  if (!o.onsets_under_sustained && L.onset_templates && !o.sources.empty()) {
    // The frames where a sustained source's note sounds (score time: onset to offset).
    std::vector<bool> held(static_cast<std::size_t>(g.frames), false);
    bool any = false;
    for (std::size_t i = 0; i < score.size(); ++i) {
      const SourceModel& m = o.sources[static_cast<std::size_t>(source_of[i])];
      if (m.onset_templates || is_struck(m.family)) continue;
      const Note& n = score.notes()[i];
      const Index f0 = std::max<Index>(0, g.frame_of(n.onset)), f1 = std::min(g.frames, g.frame_of(n.offset()) + 1);
      for (Index f = f0; f < f1; ++f) held[static_cast<std::size_t>(f)] = any = true;
    }
    if (any)
      for (Index r = L.pitch_rows(); r < L.rows(); ++r)
        for (Index f = 0; f < g.frames; ++f)
          if (held[static_cast<std::size_t>(f)]) c.H0(r, f) = 0;
  }
  if (!o.constrain_activations) {
    const float start = c.H0.maxCoeff() > 0 ? c.H0.maxCoeff() : 1.0f;
    c.H0.setConstant(start);
  }
  return c;
}

}  // namespace notewise
