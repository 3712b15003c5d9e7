#pragma once
// Score readers and writers.
//
// CSV: a header row, then one note per row. Both layouts of libfmp / the FMP notebooks:
//   Start;Duration;Pitch;Velocity;Instrument     (semicolon, fields may be "quoted")
//   start,duration,pitch,velocity,label          (comma)
// Header names are case-insensitive ("instrument" and "label" are synonyms); velocity is MIDI
// 0..127, or 0..1 (then scaled by 127) when no velocity in the file exceeds 1.
//
// MIDI: Standard MIDI Files format 0 and 1, tempo maps with changes, running status, note-on
// with velocity 0 as note-off, overlapping notes of one pitch (note-offs end the earliest open
// note: first in, first out), several tracks and channels. Optionally the sustain pedal (CC64
// >= 64) holds notes released while it is down until it is lifted (or the key is struck again).
//
// Malformed files throw ParseError naming the file and the line (CSV) or byte offset (MIDI).
#include <string>

#include "notewise/score/score.hpp"

namespace notewise::io {

enum class LabelBy { Track, Channel, Program };

struct MidiOptions {
  LabelBy label_by = LabelBy::Track;  // track name (else "track<N>"), "channel<N>" or "program<N>"
  bool sustain_pedal = false;         // extend notes held by CC64
};

Score read_csv_score(const std::string& path);
Score read_midi_score(const std::string& path, const MidiOptions& options = {});
// By extension: .csv, .mid/.midi (case-insensitive). Throws ParseError for an empty score.
Score read_score(const std::string& path, const MidiOptions& options = {});

// Parses MIDI bytes (`name` is used in messages). Exposed for the fuzzer and tests.
Score parse_midi(const std::string& bytes, const std::string& name, const MidiOptions& options = {});
Score parse_csv(const std::string& text, const std::string& name);

// The CSV text `original` (as parse_csv read it) with each note row's start and duration
// replaced by those of `score` (same notes, same order); every other byte is kept.
std::string replace_csv_times(const std::string& original, const Score& score, const std::string& name);

// Writes a Standard MIDI File (format 1, one track per label named after it, channels in label
// order, 120 bpm at 480 ticks per quarter: 1 ms resolution), atomically. Reading it back with
// read_midi_score gives the same notes, times rounded to the millisecond.
void write_midi_score(const std::string& path, const Score& score, bool overwrite);

// Writes start,duration,pitch,velocity,label (the comma layout), atomically.
void write_csv_score(const std::string& path, const Score& score, bool overwrite);

}  // namespace notewise::io
