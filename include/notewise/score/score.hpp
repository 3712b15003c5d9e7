#pragma once
// The score: a list of notes in seconds. Readers for MIDI and CSV live in io/score_io.hpp.
#include <cstddef>
#include <functional>
#include <string>
#include <vector>

namespace notewise {

struct Note {
  double onset = 0;      // seconds
  double duration = 0;   // seconds, >= 0
  int pitch = 60;        // MIDI pitch 0..127 (60 = middle C, 69 = A4 = 440 Hz)
  double velocity = 100; // MIDI velocity 0..127
  std::string label;     // a hand, a voice, an instrument ("left", "right", "track1", ...)
  std::size_t index = 0; // stable index: the note's row in the score it was read from
  int program = -1;      // General MIDI program 0..127 from the file, -1 if it names none
  // MIDI channel 0..15, -1 if the file names none. 9 (MIDI's channel 10) marks a drum note
  // (General MIDI percussion, its pitch a key of the GM drum map) whatever the format: MIDI's
  // channel 10, MusicXML's unpitched notes, CSV rows labelled as drums (score_io.hpp).
  int channel = -1;

  double offset() const { return onset + duration; }
};

// A drum note (channel 9): modelled by drum templates, not by a harmonic one.
inline bool is_drum(const Note& n) { return n.channel == 9; }

// A bar (measure) of the score, where the file has them (MusicXML measures; MIDI bars from its
// time signatures), in score seconds. Beats count the time signature's unit (3/4: three
// quarters, 6/8: six eighths); a bar shorter than its signature (a pickup) has fewer.
struct Bar {
  int number = 1;             // as written (MusicXML's measure number; MIDI: 1, 2, ... from tick 0)
  double start = 0;           // s
  std::vector<double> beats;  // s: each beat's start, beats[0] == start, increasing
};

// A position in bars: the bar's number and the beat in it, 1-based with the fraction of the
// beat gone (2.5: half-way through the second beat).
struct BarBeat {
  int bar = 0;
  double beat = 0;
};

// Frequency in Hz of a MIDI pitch (equal temperament, A4 = 440 Hz).
double pitch_to_hz(double pitch);

class Score {
 public:
  Score() = default;
  explicit Score(std::vector<Note> notes);  // keeps each note's index as given

  const std::vector<Note>& notes() const { return notes_; }
  std::size_t size() const { return notes_.size(); }
  bool empty() const { return notes_.empty(); }
  double end() const;                        // latest offset (0 if empty)
  std::vector<std::string> labels() const;   // distinct labels in order of first appearance
  std::vector<int> pitches() const;          // distinct pitches, ascending

  // The bars, in time order (empty where the file has none: CSV, MIDI without a time signature).
  // set_bars: InvalidArgument unless every bar has beats, starts with its first beat, its beats
  // increase and end before the next bar starts (all finite). Notes are not checked against them.
  const std::vector<Bar>& bars() const { return bars_; }
  void set_bars(std::vector<Bar> bars);
  // The bar and beat at `seconds` (score time): the last bar starting at or before it, the beat
  // interpolated between beat starts (the last beat of the last bar as long as the one before,
  // and no longer than its bar's beat count + 1 allows). {0, 0} without bars or before the first.
  BarBeat bar_beat(double seconds) const;

  Score select(const std::function<bool(const Note&)>& keep) const;
  // Time map t -> t * factor + shift (onsets, durations and bars); factor > 0.
  Score warped(double factor, double shift) const;
  // Cuts the score at `seconds`: notes starting at or after it are dropped, notes sounding past
  // it are shortened, bars starting at or after it dropped. Returns the number of notes dropped
  // or shortened.
  std::size_t cut_at(double seconds);
  // Notes of both, sorted by onset; indices are renumbered 0..n-1 in that order; a's bars (b's
  // if a has none).
  static Score merge(const Score& a, const Score& b);

 private:
  std::vector<Note> notes_;
  std::vector<Bar> bars_;
};

BarBeat bar_beat(const std::vector<Bar>& bars, double seconds);  // Score::bar_beat on bars alone

}  // namespace notewise
