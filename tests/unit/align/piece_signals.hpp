#pragma once
// A generated piano piece for the alignment tests: a melody of random pitches and lengths over
// a bass note every 1.2 s, seeded, so that no two stretches of it sound alike and an excerpt
// of its recording has one place in its score. Rendered by test::piano_like.
#include <random>
#include <vector>

#include "notewise/score/score.hpp"
#include "unit/separation/pitch_signals.hpp"

namespace notewise::test {

inline Score random_piece(double seconds, unsigned seed) {
  std::mt19937 g(seed);
  std::uniform_int_distribution<int> melody(60, 83), bass(36, 55);
  std::uniform_real_distribution<double> length(0.2, 0.6);
  std::vector<Note> notes;
  for (double t = 0.5; t < seconds - 1.0;) {
    const double d = length(g);
    notes.push_back({t, d, melody(g), 90, "right", notes.size()});
    t += d;
  }
  for (double t = 0.5; t < seconds - 1.2; t += 1.2) notes.push_back({t, 1.1, bass(g), 80, "left", notes.size()});
  return Score(std::move(notes));
}

}  // namespace notewise::test
