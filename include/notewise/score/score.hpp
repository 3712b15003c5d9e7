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

  Score select(const std::function<bool(const Note&)>& keep) const;
  // Time map t -> t * factor + shift (onsets and durations); factor > 0.
  Score warped(double factor, double shift) const;
  // Cuts the score at `seconds`: notes starting at or after it are dropped, notes sounding past
  // it are shortened. Returns the number of notes dropped or shortened.
  std::size_t cut_at(double seconds);
  // Notes of both, sorted by onset; indices are renumbered 0..n-1 in that order.
  static Score merge(const Score& a, const Score& b);

 private:
  std::vector<Note> notes_;
};

}  // namespace notewise
