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
// every note is labelled "notes". Rows labelled drums, drum, drum kit, drumkit, drum set,
// drumset, kit or percussion (any case) are drum notes (Note::channel 9; pitch: the GM drum
// map's key, 36 kick, 38 snare, 42 hi-hat, ...; is_drum_label below). Every rejection names the file, the line and what was
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

// A label that names a drum kit (drums, drum, drum kit, drumkit, drum set, drumset, kit or
// percussion, any case): a table's rows with it are drum notes.
bool is_drum_label(std::string label);

// Bounds on what a score file may ask, checked by every reader before anything is sized from
// the score (a MusicXML file's repeats are counted before they are expanded): no piece of music
// comes near either, and a crafted file must not drive an allocation or a run of hours.
inline constexpr std::size_t kMaxScoreNotes = 2000000;  // notes, repeats expanded
inline constexpr double kMaxScoreSeconds = 86400;       // the last note's end: 24 hours

// How notes get their labels.
//   Auto:    Track, except that a file whose notes all sit in one track but on several
//            channels (a type-0 file, a one-track export) is labelled by channel
//   Track:   the track name; tracks of the same name become "Piano", "Piano 2", ...; an
//            unnamed track "track<N>" (N from 0)
//   Channel: "channel<N>" (N from 0, as stored in the file)
//   Program: the General MIDI instrument's name ("Violin"; "Acoustic Grand Piano" where the
//            file names no program)
//   Staff:   MusicXML: a part's staves ("Piano staff 1", "Piano staff 2": a piano's hands);
//            MIDI: as Track (notation programs export a track per staff)
// For MusicXML, Track means the part (its part-name), Channel its midi-channel, Program its
// midi-program; Auto labels a score of one part on several staves by staff.
enum class LabelBy { Auto, Track, Channel, Program, Staff };

// "auto" | "track" | "channel" | "program" | "staff" -> LabelBy; InvalidArgument otherwise.
LabelBy parse_label_by(const std::string& name);
inline constexpr const char* kLabelByNames = "auto | track | channel | program | staff";

struct MidiOptions {
  LabelBy label_by = LabelBy::Auto;
  bool sustain_pedal = false;         // extend notes held by CC64
};

// A score with what reading it decided on the user's behalf, and the structure the file had
// (for a run that ends with fewer groups than the file has tracks or channels).
struct ScoreFile {
  Score score;
  std::string format;                 // "MIDI", "CSV", "MusicXML"
  std::vector<std::string> notices;   // one line each: labels made distinct, labelled by channel
  std::vector<std::string> warnings;  // one line each: notes left out (unpitched notes with no GM key)
  int tracks = 0;                     // MIDI tracks / MusicXML parts holding pitched notes
  int channels = 0;                   // MIDI channels holding pitched notes (MusicXML: midi-channels)
  int staves = 0;                     // MusicXML: staves of the parts holding notes
  std::size_t percussion_notes = 0;   // drum notes (is_drum: GM channel 10, unpitched, drum rows)
};

Score read_csv_score(const std::string& path);
Score read_midi_score(const std::string& path, const MidiOptions& options = {});
ScoreFile read_midi_file(const std::string& path, const MidiOptions& options = {});
// By extension: .csv/.tsv/.txt, .mid/.midi, .musicxml/.xml/.mxl (case-insensitive). Throws
// ParseError for an empty score.
ScoreFile read_score_file(const std::string& path, const MidiOptions& options = {});
// True for .musicxml, .xml and .mxl (any case): scores timed as written, not as played.
bool is_musicxml_path(const std::string& path);
Score read_score(const std::string& path, const MidiOptions& options = {});  // read_score_file(...).score

// Parses MIDI bytes (`name` is used in messages). Exposed for the fuzzer and tests. Notes on
// channel 10 (index 9, General MIDI percussion) are drum notes (Note::channel 9, is_drum).
ScoreFile parse_midi_file(const std::string& bytes, const std::string& name, const MidiOptions& options = {});
Score parse_midi(const std::string& bytes, const std::string& name, const MidiOptions& options = {});
Score parse_csv(const std::string& text, const std::string& name);

// MusicXML (score-partwise; .musicxml, .xml, or .mxl: a zip holding one, found through
// META-INF/container.xml). What sounds is read: each part's notes with divisions, chords,
// backup/forward, voices and staves, ties (one longer note), <transpose> (sounding pitch),
// tempo from <sound tempo> or a metronome mark (120 bpm until the first), velocities from
// <sound dynamics>, a note's dynamics attribute or dynamics marks (80 where none), repeats
// and first/second endings expanded as written (da capo / dal segno once, then al fine / al
// coda). Grace notes play on the beat and take their time from the note they lead into (a
// slashed one 65 ms, as MuseScore plays it; an appoggiatura half the note). Unpitched notes
// (percussion) are drum notes (channel 9) at the GM key their <instrument> names through the
// part's <midi-instrument><midi-unpitched> (those without one are left out with a warning);
// pitched notes of a part on MIDI channel 10 are drum notes at their pitch. ParseError names
// the file and line.
ScoreFile parse_musicxml(const std::string& text, const std::string& name, const MidiOptions& options = {});
ScoreFile read_musicxml_file(const std::string& path, const MidiOptions& options = {});
// The score file inside an .mxl archive (ParseError naming `path` if there is none).
std::string unpack_mxl(const std::string& bytes, const std::string& path);

// The CSV text `original` (as parse_csv read it) with each note row's start and duration
// replaced by those of `score` (same notes, same order); every other byte is kept.
std::string replace_csv_times(const std::string& original, const Score& score, const std::string& name);

// The CSV text `original` with a column `column` holding values[row] (`decimals` decimals: 3 for
// a confidence, 6 for a time in seconds, as the start column) for each note row,
// in the file's separator: a column of that name is replaced, else one is added at the end; a
// file without a header gets one naming how its rows are read (start end pitch ...).
std::string with_csv_column(const std::string& original, const std::string& column, const std::vector<double>& values,
                            const std::string& name, int decimals = 3);

// Writes a Standard MIDI File (format 1, one track per label named after it, channels in label
// order skipping channel 10 (GM percussion), 120 bpm at 480 ticks per quarter: 1 ms resolution), atomically. Reading it back with
// read_midi_score gives the same notes, times rounded to the millisecond.
void write_midi_score(const std::string& path, const Score& score, bool overwrite);

// start,duration,pitch,velocity,label (the comma layout); a label holding a comma or a quote
// is quoted ("Grand Piano, right"), as parse_csv reads it.
std::string csv_score_text(const Score& score);
// Writes csv_score_text atomically.
void write_csv_score(const std::string& path, const Score& score, bool overwrite);

}  // namespace notewise::io
