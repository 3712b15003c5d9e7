#pragma once
// Generated drum strokes and patterns for the drum-decomposition tests: a kick (a sine falling
// from 120 to 45 Hz, 0.25 s decay, a click), a snare (a 190 Hz tone and band-limited noise,
// 0.12 s decay) and a closed hi-hat (noise high-passed by three first differences, 0.04 s),
// each class's strokes summed into a true stem.
#include <cmath>
#include <numbers>
#include <random>
#include <vector>

#include "notewise/core/types.hpp"
#include "notewise/score/score.hpp"

namespace notewise::test {

inline VectorXf drum_stroke(int pitch, int rate, std::uint64_t seed) {
  std::mt19937_64 gen(seed);
  std::normal_distribution<float> noise(0.0f, 1.0f);
  const Index n = static_cast<Index>(0.5 * rate);
  VectorXf x = VectorXf::Zero(n);
  if (pitch == 36) {
    double phase = 0;
    for (Index i = 0; i < n; ++i) {
      const double t = static_cast<double>(i) / rate;
      phase += 2 * std::numbers::pi * (45 + 75 * std::exp(-t / 0.04)) / rate;
      x[i] = static_cast<float>(0.8 * std::sin(phase) * std::exp(-t / 0.25) + (i < rate / 500 ? 0.3 * noise(gen) : 0));
    }
  } else if (pitch == 38) {
    float lp = 0;
    for (Index i = 0; i < n; ++i) {
      const double t = static_cast<double>(i) / rate;
      lp = 0.6f * lp + 0.4f * noise(gen);  // noise with less of the top octave
      x[i] = static_cast<float>((0.3 * std::sin(2 * std::numbers::pi * 190 * t) * std::exp(-t / 0.05) + 0.25 * lp) *
                                std::exp(-t / 0.12));
    }
  } else {
    VectorXf w(n);
    for (Index i = 0; i < n; ++i) w[i] = noise(gen);
    for (int pass = 0; pass < 3; ++pass)
      for (Index i = n - 1; i > 0; --i) w[i] = 0.5f * (w[i] - w[i - 1]);
    for (Index i = 0; i < n; ++i) x[i] = static_cast<float>(0.5 * w[i] * std::exp(-static_cast<double>(i) / rate / 0.04));
  }
  return x;
}

struct DrumMix {
  VectorXf mix;
  std::vector<VectorXf> stems;  // kick, snare, hihat
  std::vector<Note> notes;      // pitches 36, 38, 42
};

// A rock beat at 120 bpm for `bars` bars: kick on 1 and 3 (and the "and" of 3 in odd bars),
// snare on 2 and 4, hi-hat on the eighths (the last eighth of each bar left out); velocities
// and timing vary a little (seeded), so that the classes do not always sound together.
inline DrumMix rock_beat(int bars, int rate, std::uint64_t seed = 7) {
  std::mt19937_64 gen(seed);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  const double eighth = 0.25;
  const Index length = static_cast<Index>((bars * 8 * eighth + 0.6) * rate);
  DrumMix d;
  d.stems.assign(3, VectorXf::Zero(length));
  const int pitches[] = {36, 38, 42};
  std::uint64_t stroke = 0;
  for (int b = 0; b < bars; ++b)
    for (int e = 0; e < 8; ++e) {
      std::vector<int> cls;
      if (e == 0 || e == 4 || (e == 5 && b % 2 == 1)) cls.push_back(0);
      if (e == 2 || e == 6) cls.push_back(1);
      if (e != 7) cls.push_back(2);
      for (int c : cls) {
        const double onset = (b * 8 + e) * eighth + 0.1 + 0.004 * (u(gen) - 0.5);
        const double velocity = 90 + 30 * u(gen);
        const VectorXf s = drum_stroke(pitches[c], rate, seed * 1000 + ++stroke) * static_cast<float>(velocity / 127);
        const Index at = static_cast<Index>(std::lround(onset * rate));
        const Index len = std::min<Index>(s.size(), length - at);
        d.stems[static_cast<std::size_t>(c)].segment(at, len) += s.head(len);
        Note n;
        n.onset = onset;
        n.duration = 0.1;
        n.pitch = pitches[c];
        n.velocity = velocity;
        n.label = "drums";
        n.channel = 9;
        d.notes.push_back(n);
      }
    }
  d.mix = d.stems[0] + d.stems[1] + d.stems[2];
  return d;
}

}  // namespace notewise::test
