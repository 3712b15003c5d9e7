#include "notewise/score/score.hpp"

#include <algorithm>
#include <cmath>
#include <set>

#include "notewise/core/error.hpp"

namespace notewise {

double pitch_to_hz(double pitch) { return 440.0 * std::pow(2.0, (pitch - 69.0) / 12.0); }

Score::Score(std::vector<Note> notes) : notes_(std::move(notes)) {}

double Score::end() const {
  double e = 0;
  for (const Note& n : notes_) e = std::max(e, n.offset());
  return e;
}

std::vector<std::string> Score::labels() const {
  std::vector<std::string> out;
  for (const Note& n : notes_)
    if (std::find(out.begin(), out.end(), n.label) == out.end()) out.push_back(n.label);
  return out;
}

std::vector<int> Score::pitches() const {
  std::set<int> s;
  for (const Note& n : notes_) s.insert(n.pitch);
  return {s.begin(), s.end()};
}

void Score::set_bars(std::vector<Bar> bars) {
  for (std::size_t i = 0; i < bars.size(); ++i) {
    const Bar& b = bars[i];
    const std::string where = "bar " + std::to_string(i + 1) + " (number " + std::to_string(b.number) + ")";
    if (b.beats.empty() || !std::isfinite(b.start) || b.beats[0] != b.start)
      throw InvalidArgument("score: " + where + " has no beats or does not start with its first");
    for (std::size_t k = 1; k < b.beats.size(); ++k)
      if (!(std::isfinite(b.beats[k]) && b.beats[k] > b.beats[k - 1])) throw InvalidArgument("score: " + where + ": beats do not increase");
    if (i + 1 < bars.size() && !(bars[i + 1].start > b.beats.back()))
      throw InvalidArgument("score: " + where + " runs into the next bar");
  }
  bars_ = std::move(bars);
}

BarBeat bar_beat(const std::vector<Bar>& bars, double t) {
  if (bars.empty() || !(t >= bars.front().start)) return {};
  const auto it = std::upper_bound(bars.begin(), bars.end(), t, [](double v, const Bar& b) { return v < b.start; });
  const Bar& b = *(it - 1);
  const auto& beats = b.beats;
  const std::size_t k = static_cast<std::size_t>(std::upper_bound(beats.begin(), beats.end(), t) - beats.begin()) - 1;
  double next = 0;
  if (k + 1 < beats.size()) next = beats[k + 1];
  else if (it != bars.end()) next = it->start;
  else if (k > 0) next = beats[k] + (beats[k] - beats[k - 1]);
  const double frac = next > beats[k] ? std::min((t - beats[k]) / (next - beats[k]), 1.0 - 1e-9) : 0.0;
  return {b.number, static_cast<double>(k) + 1 + frac};
}

BarBeat Score::bar_beat(double seconds) const { return notewise::bar_beat(bars_, seconds); }

Score Score::select(const std::function<bool(const Note&)>& keep) const {
  std::vector<Note> out;
  std::copy_if(notes_.begin(), notes_.end(), std::back_inserter(out), keep);
  Score s(std::move(out));
  s.bars_ = bars_;
  return s;
}

Score Score::warped(double factor, double shift) const {
  require(factor > 0 && std::isfinite(factor), "time scale factor", factor, "> 0");
  std::vector<Note> out = notes_;
  for (Note& n : out) {
    n.onset = n.onset * factor + shift;
    n.duration *= factor;
  }
  Score s(std::move(out));
  s.bars_ = bars_;
  for (Bar& b : s.bars_) {
    b.start = b.start * factor + shift;
    for (double& t : b.beats) t = t * factor + shift;
  }
  return s;
}

std::size_t Score::cut_at(double seconds) {
  std::size_t changed = 0;
  std::vector<Note> kept;
  for (Note n : notes_) {
    if (n.onset >= seconds) {
      ++changed;
      continue;
    }
    if (n.offset() > seconds) {
      n.duration = seconds - n.onset;
      ++changed;
    }
    kept.push_back(std::move(n));
  }
  notes_ = std::move(kept);
  while (!bars_.empty() && bars_.back().start >= seconds) bars_.pop_back();
  return changed;
}

Score Score::merge(const Score& a, const Score& b) {
  std::vector<Note> all = a.notes_;
  all.insert(all.end(), b.notes_.begin(), b.notes_.end());
  std::stable_sort(all.begin(), all.end(), [](const Note& x, const Note& y) { return x.onset < y.onset; });
  for (std::size_t i = 0; i < all.size(); ++i) all[i].index = i;
  Score s(std::move(all));
  s.bars_ = a.bars_.empty() ? b.bars_ : a.bars_;
  return s;
}

}  // namespace notewise
