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

Score Score::select(const std::function<bool(const Note&)>& keep) const {
  std::vector<Note> out;
  std::copy_if(notes_.begin(), notes_.end(), std::back_inserter(out), keep);
  return Score(std::move(out));
}

Score Score::warped(double factor, double shift) const {
  require(factor > 0 && std::isfinite(factor), "time scale factor", factor, "> 0");
  std::vector<Note> out = notes_;
  for (Note& n : out) {
    n.onset = n.onset * factor + shift;
    n.duration *= factor;
  }
  return Score(std::move(out));
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
  return changed;
}

Score Score::merge(const Score& a, const Score& b) {
  std::vector<Note> all = a.notes_;
  all.insert(all.end(), b.notes_.begin(), b.notes_.end());
  std::stable_sort(all.begin(), all.end(), [](const Note& x, const Note& y) { return x.onset < y.onset; });
  for (std::size_t i = 0; i < all.size(); ++i) all[i].index = i;
  return Score(std::move(all));
}

}  // namespace notewise
