#pragma once
// Score readers and writers.
//
// CSV/TSV/text tables (.csv .tsv .txt), one note per row:
//   - a header naming start + (duration | end) + pitch, optionally velocity and label, in any
//     order and case, with synonyms: start onset onset_time OnsetTime begin time; duration dur
//     length; end offset offset_time OffsetTime end_time stop; pitch midi note MidiPitch
//     note_number key; velocity vel; label instrument track voice part hand staff. Units in
//     brackets are ignored ("Onset Time (s)"). E.g. libfmp's Start;Duration;Pitch;Velocity;
//     Instrument, pretty_midi's onset,offset,pitch, MAPS' OnsetTime OffsetTime MidiPitch;
//   - or no header: start end pitch [velocity] [label] (mir_eval's layout, pitch in MIDI);
//   - separated by the most frequent of tab, ';' or ',' in the first row, else by blanks;
//     fields may be "quoted"; with ';', a decimal comma (0,5) is read as a point;
//   - a UTF-8 byte-order mark, CRLF or CR line ends, blank lines and '#' comments are accepted;
//     UTF-16 is refused with a message saying so.
// Pitch is a MIDI note number or a note name (C4 = 60, F#3, Bb5); velocity is MIDI 0..127, or
// 0..1 (then scaled by 127) when no velocity in the file exceeds 1; without a label column
// every note is labelled "notes". Every rejection names the file, the line and what was
// expected.
//
// MIDI: Standard MIDI Files format 0 and 1, tempo maps with changes, running status, note-on
// with velocity 0 as note-off, overlapping notes of one pitch (note-offs end the earliest open
// note: first in, first out), several tracks and channels. Optionally the sustain pedal (CC64
// >= 64) holds notes released while it is down until it is lifted (or the key is struck again).
//
// Malformed files throw ParseError naming the file and the line (CSV) or byte offset (MIDI).
#include <string>
#include <vector>

#include "notewise/score/score.hpp"

namespace notewise::io {

// How notes get their labels.
//   Auto:    Track, except that a file whose notes all sit in one track but on several
//            channels (a type-0 file, a one-track export) is labelled by channel
//   Track:   the track name; tracks of the same name become "Piano", "Piano 2", ...; an
//            unnamed track "track<N>" (N from 0)
//   Channel: "channel<N>" (N from 0, as stored in the file)
//   Program: the General MIDI instrument's name ("Violin"; "Acoustic Grand Piano" where the
//            file names no program)
enum class LabelBy { Auto, Track, Channel, Program };

// "auto" | "track" | "channel" | "program" -> LabelBy; InvalidArgument otherwise.
LabelBy parse_label_by(const std::string& name);
inline constexpr const char* kLabelByNames = "auto | track | channel | program";

struct MidiOptions {
  LabelBy label_by = LabelBy::Auto;
  bool sustain_pedal = false;         // extend notes held by CC64
};

// A score with what reading it decided on the user's behalf, and the structure the file had
// (for a run that ends with fewer groups than the file has tracks or channels).
struct ScoreFile {
  Score score;
  std::string format;                 // "MIDI", "CSV"
  std::vector<std::string> notices;   // one line each: labels made distinct, labelled by channel
  std::vector<std::string> warnings;  // one line each: notes left out (GM percussion)
  int tracks = 0;                     // MIDI tracks holding pitched notes
  int channels = 0;                   // MIDI channels holding pitched notes
  std::size_t percussion_notes = 0;   // notes on GM channel 10 (index 9), left out of the score
};

Score read_csv_score(const std::string& path);
Score read_midi_score(const std::string& path, const MidiOptions& options = {});
ScoreFile read_midi_file(const std::string& path, const MidiOptions& options = {});
// By extension: .csv, .mid/.midi (case-insensitive). Throws ParseError for an empty score.
ScoreFile read_score_file(const std::string& path, const MidiOptions& options = {});
Score read_score(const std::string& path, const MidiOptions& options = {});  // read_score_file(...).score

// Parses MIDI bytes (`name` is used in messages). Exposed for the fuzzer and tests. Notes on
// channel 10 (index 9, General MIDI percussion) are left out: drums are not modelled yet.
ScoreFile parse_midi_file(const std::string& bytes, const std::string& name, const MidiOptions& options = {});
Score parse_midi(const std::string& bytes, const std::string& name, const MidiOptions& options = {});
Score parse_csv(const std::string& text, const std::string& name);

// The CSV text `original` (as parse_csv read it) with each note row's start and duration
// replaced by those of `score` (same notes, same order); every other byte is kept.
std::string replace_csv_times(const std::string& original, const Score& score, const std::string& name);

// The CSV text `original` with a column `column` holding values[row] (%.3f) for each note row,
// in the file's separator: a column of that name is replaced, else one is added at the end; a
// file without a header gets one naming how its rows are read (start end pitch ...).
std::string with_csv_column(const std::string& original, const std::string& column, const std::vector<double>& values,
                            const std::string& name);

// Writes a Standard MIDI File (format 1, one track per label named after it, channels in label
// order skipping channel 10 (GM percussion), 120 bpm at 480 ticks per quarter: 1 ms resolution), atomically. Reading it back with
// read_midi_score gives the same notes, times rounded to the millisecond.
void write_midi_score(const std::string& path, const Score& score, bool overwrite);

// Writes start,duration,pitch,velocity,label (the comma layout), atomically.
void write_csv_score(const std::string& path, const Score& score, bool overwrite);

}  // namespace notewise::io
