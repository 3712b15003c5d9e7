#pragma once
// Progress of long work as a person reads it: how long it took, how long is left, how fast it
// goes. The front ends draw it (the program's progress bars on stderr); the library computes
// and words it, so every front end says the same. Pure functions, thread safe.
#include <string>

namespace notewise {

// A duration in words: "0.42 s", "3.4 s", "1 min 05 s", "1 h 02 min" ("? s" if not finite or
// negative).
std::string format_seconds(double seconds);

// A duration as a clock: "mm:ss", "h:mm:ss" past an hour ("--:--" if not finite or negative),
// as tqdm shows elapsed<remaining.
std::string format_clock(double seconds);

// The seconds left when `fraction` (0..1) of the work took `elapsed` seconds, at the same pace
// (NaN before any progress).
double seconds_left(double elapsed, double fraction);

// Counts and rate: "20/50 it 7.9 it/s" (the rate with one decimal under 10 a second).
std::string format_rate(long done, long total, const std::string& unit, double elapsed);

}  // namespace notewise
