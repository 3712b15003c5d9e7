#include "notewise/separation/pitch_edit.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <stdexcept>
#include <string>

#include "notewise/core/error.hpp"
#include "notewise/core/parse.hpp"

namespace notewise {

Transposition parse_transposition(const std::string& text, bool time) {
  const std::size_t eq = text.rfind('=');
  const std::string value = eq == std::string::npos ? "" : text.substr(eq + 1);
  if (eq == std::string::npos || eq == 0 || value.empty() || text[eq - 1] == '=' || text[eq - 1] == '!' ||
      text[eq - 1] == '<' || text[eq - 1] == '>')
    throw InvalidArgument(time ? "expected SELECTION=SECONDS, e.g. 'pitch==64 && start>10'=+0.25"
                               : "expected SELECTION=SEMITONES, e.g. 'pitch==64 && start>10'=+1");
  Transposition t;
  t.selection = text.substr(0, eq);
  const std::optional<double> number = parse_number(value);
  if (!number) throw InvalidArgument("'" + value + "' is not a number of " + (time ? "seconds" : "semitones"));
  const double v = *number;
  if (time ? !std::isfinite(v) || std::abs(v) > 60 : !std::isfinite(v) || std::abs(v) > 24)
    throw InvalidArgument(time ? "seconds must be in -60 .. 60" : "semitones must be in -24 .. 24");
  (time ? t.seconds : t.semitones) = v;
  (void)parse_selection(t.selection);  // InvalidArgument naming what is wrong
  return t;
}

void PitchEditOptions::validate() const {
  require(std::isfinite(pre) && pre >= 0 && pre <= 10, "pre", pre, "in 0 .. 10 s");
  require(std::isfinite(post) && post >= 0 && post <= 10, "post", post, "in 0 .. 10 s");
  require(std::isfinite(fade) && fade >= 0 && fade <= 1, "fade", fade, "in 0 .. 1 s");
}

PitchEdit transpose_notes(const Eigen::Ref<const VectorXf>& analysis, double analysis_rate,
                          const Eigen::Ref<const MatrixXf>& native, double native_rate, const Score& score,
                          const std::vector<Transposition>& transpositions, const SeparationOptions& options,
                          const PitchEditOptions& edit, const nmf::Callback& on_iteration) {
  edit.validate();
  if (transpositions.empty()) throw InvalidArgument("transpose: no transposition");
  std::vector<GroupSpec> specs;
  for (std::size_t k = 0; k < transpositions.size(); ++k) {
    const double s = transpositions[k].semitones;
    require(std::isfinite(s) && std::abs(s) <= 24, "semitones of '" + transpositions[k].selection + "'", s, "in -24 .. 24");
    const double t = transpositions[k].seconds;
    require(std::isfinite(t) && std::abs(t) <= 60, "time shift of '" + transpositions[k].selection + "'", t, "in -60 .. 60 s");
    specs.push_back({"transpose" + std::to_string(k + 1), transpositions[k].selection});
  }
  // Notes no transposition takes form the rest (there may be none).
  std::vector<NotePredicate> preds;
  for (const auto& t : transpositions) preds.push_back(parse_selection(t.selection));
  const bool rest = std::any_of(score.notes().begin(), score.notes().end(), [&](const Note& n) {
    return std::none_of(preds.begin(), preds.end(), [&](const NotePredicate& p) { return p(n); });
  });
  if (rest) specs.push_back({"rest", "others"});
  const Grouping groups = group_notes(score, specs);

  PitchEdit out;
  out.separation = separate(analysis, analysis_rate, native, native_rate, score, groups, options, on_iteration);
  out.audio = native;
  const Index length = native.rows();
  const double half_window = 0.5 * options.stft.n_fft / analysis_rate;
  for (std::size_t k = 0; k < transpositions.size(); ++k) {
    // Where transposition k's notes may sound, as merged sample intervals.
    std::vector<std::pair<double, double>> spans;
    for (std::size_t i : groups.notes[k]) {
      const Note& n = score.notes()[i];
      for (double moved : {0.0, transpositions[k].seconds})  // where it sounded and where it will
        spans.push_back({n.onset + moved - edit.pre - half_window, n.offset() + moved + edit.post + half_window});
    }
    std::sort(spans.begin(), spans.end());
    std::vector<std::pair<Index, Index>> regions;
    for (const auto& [a, b] : spans) {
      const Index s = std::clamp<Index>(static_cast<Index>(std::floor(a * native_rate)), 0, length);
      const Index e = std::clamp<Index>(static_cast<Index>(std::ceil(b * native_rate)), 0, length);
      if (e <= s) continue;
      if (!regions.empty() && s <= regions.back().second) regions.back().second = std::max(regions.back().second, e);
      else regions.push_back({s, e});
    }
    const MatrixXf& stem = out.separation.stems[k];
    MatrixXf shifted = transpositions[k].semitones != 0 ? pitch_shift(stem, native_rate, transpositions[k].semitones) : stem;
    if (const Index d = static_cast<Index>(std::lround(transpositions[k].seconds * native_rate)); d != 0) {
      // Moved by d samples: what moves past either end is cut, where it moved from is silent.
      MatrixXf moved = MatrixXf::Zero(shifted.rows(), shifted.cols());
      const Index n = std::max<Index>(0, length - std::abs(d));
      if (d > 0) moved.middleRows(d, n) = shifted.topRows(n);
      else moved.topRows(n) = shifted.middleRows(-d, n);
      shifted = std::move(moved);
    }
    const Index ramp = static_cast<Index>(std::lround(edit.fade * native_rate));
    for (const auto& [s, e] : regions) {
      const Index r = std::min(ramp, (e - s) / 2);
      for (Index i = s; i < e; ++i) {
        // Raised-cosine ramps inside the region's edges, so the change starts and ends softly.
        double f = 1.0;
        if (i - s < r) f = 0.5 - 0.5 * std::cos(std::numbers::pi * (i - s + 0.5) / r);
        if (e - 1 - i < r) f = std::min(f, 0.5 - 0.5 * std::cos(std::numbers::pi * (e - 1 - i + 0.5) / r));
        out.audio.row(i) += static_cast<float>(f) * (shifted.row(i) - stem.row(i));
      }
    }
    out.regions.push_back(std::move(regions));
  }
  return out;
}

}  // namespace notewise
