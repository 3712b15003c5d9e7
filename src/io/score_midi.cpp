// A small Standard MIDI File reader (format 0 and 1). Written here rather than taken from a
// library because only note timing is needed and every malformed byte must give a precise
// error; it is fuzzed (fuzz/fuzz_midi.cpp).
#include <algorithm>
#include <array>
#include <cmath>
#include <cctype>
#include <cstdint>
#include <deque>
#include <fstream>
#include <map>
#include <set>
#include <tuple>
#include <sstream>

#include "notewise/core/error.hpp"
#include "notewise/score/instrument.hpp"
#include "notewise/io/atomic_file.hpp"
#include "notewise/io/score_io.hpp"

namespace notewise::io {
namespace {

class Reader {
 public:
  Reader(const std::string& bytes, std::size_t begin, std::size_t end, const std::string& name)
      : b_(bytes), pos_(begin), end_(end), name_(name) {}
  bool done() const { return pos_ >= end_; }
  std::size_t pos() const { return pos_; }
  std::uint8_t u8() {
    if (pos_ >= end_) fail("unexpected end of data");
    return static_cast<std::uint8_t>(b_[pos_++]);
  }
  std::uint32_t be(int n) {
    std::uint32_t v = 0;
    for (int i = 0; i < n; ++i) v = (v << 8) | u8();
    return v;
  }
  std::uint32_t vlq() {  // variable-length quantity, at most 4 bytes
    std::uint32_t v = 0;
    for (int i = 0; i < 4; ++i) {
      const std::uint8_t c = u8();
      v = (v << 7) | (c & 0x7f);
      if (!(c & 0x80)) return v;
    }
    fail("variable-length number longer than 4 bytes");
  }
  void skip(std::size_t n) {
    if (n > end_ - pos_) fail("length " + std::to_string(n) + " runs past the end of the chunk");
    pos_ += n;
  }
  std::string str(std::size_t n) {
    const std::size_t at = pos_;
    skip(n);
    return b_.substr(at, n);
  }
  [[noreturn]] void fail(const std::string& what) const {
    throw ParseError(name_, 0, "byte " + std::to_string(pos_) + ": " + what);
  }

 private:
  const std::string& b_;
  std::size_t pos_, end_;
  const std::string& name_;
};

struct RawNote {
  std::uint64_t on_tick, off_tick;
  int pitch, velocity, channel, program;
  std::size_t track;
  std::uint64_t order;  // for a stable sort
};

// A channel event kept for the second pass (note pairing and pedal need all tracks in time
// order: in format 1 the pedal of a channel often sits in another track than its notes).
struct Event {
  std::uint64_t tick;
  std::size_t track;
  std::uint64_t order;
  std::uint8_t kind, channel, d1, d2;
};

struct TempoChange {
  std::uint64_t tick;
  double us_per_quarter;
};

}  // namespace

// Bars kept at most (a file whose notes run for days in 1/64 bars would otherwise make millions).
constexpr std::size_t kMaxBars = 100000;

ScoreFile parse_midi_file(const std::string& bytes, const std::string& name, const MidiOptions& options) {
  Reader head(bytes, 0, bytes.size(), name);
  if (bytes.size() < 14 || bytes.compare(0, 4, "MThd") != 0) head.fail("not a MIDI file (no MThd header)");
  head.skip(4);
  const std::uint32_t head_len = head.be(4);
  if (head_len < 6) head.fail("MThd chunk too short");
  const int format = static_cast<int>(head.be(2));
  const int tracks = static_cast<int>(head.be(2));
  const std::uint16_t division = static_cast<std::uint16_t>(head.be(2));
  if (format > 2) head.fail("unknown MIDI format " + std::to_string(format));
  if (format == 2) head.fail("MIDI format 2 (independent sequences) is not supported");
  if (division == 0) head.fail("division (ticks per quarter note) is 0");
  head.skip(head_len - 6);
  // SMPTE division: ticks are a fixed fraction of a second, tempo events do not apply.
  const bool smpte = division & 0x8000;
  double seconds_per_tick_smpte = 0;
  if (smpte) {
    const int fps = 256 - (division >> 8);
    const int per_frame = division & 0xff;
    if (fps <= 0 || per_frame == 0) head.fail("invalid SMPTE division");
    seconds_per_tick_smpte = 1.0 / (fps * per_frame);
  }

  std::vector<Event> events;
  std::vector<TempoChange> tempi;
  struct Meter {
    std::uint64_t tick;
    int beats, power;  // beats per bar, of 1 / 2^power notes
  };
  std::vector<Meter> meters;
  std::uint64_t end_tick = 0;
  std::vector<std::string> track_names(tracks);
  std::uint64_t order = 0;
  std::size_t pos = head.pos();
  for (int t = 0; t < tracks; ++t) {
    Reader chunk(bytes, pos, bytes.size(), name);
    if (bytes.size() - pos < 8) chunk.fail("missing track " + std::to_string(t + 1) + " of " + std::to_string(tracks) + " (file truncated)");
    const std::string id = chunk.str(4);
    const std::uint32_t len = chunk.be(4);
    if (len > bytes.size() - chunk.pos()) chunk.fail("chunk '" + id + "' of " + std::to_string(len) + " bytes runs past the end of the file (truncated)");
    const std::size_t body = chunk.pos();
    pos = body + len;
    if (id != "MTrk") {  // unknown chunks are skipped, as the standard asks
      --t;
      continue;
    }
    Reader r(bytes, body, body + len, name);
    std::uint64_t tick = 0;
    std::uint8_t status = 0;
    while (!r.done()) {
      tick += r.vlq();
      std::uint8_t c = r.u8();
      if (c == 0xff) {  // meta event
        const std::uint8_t type = r.u8();
        const std::uint32_t n = r.vlq();
        if (type == 0x2f) break;  // end of track
        if (type == 0x51) {
          if (n != 3) r.fail("tempo event of length " + std::to_string(n) + " (expected 3)");
          const std::uint32_t us = r.be(3);
          if (us == 0) r.fail("tempo of 0 microseconds per quarter note");
          tempi.push_back({tick, static_cast<double>(us)});
        } else if (type == 0x58 && n == 4) {  // time signature: nn dd cc bb (the beat 1 / 2^dd)
          const std::uint32_t nn = r.u8(), dd = r.u8();
          r.skip(2);
          if (nn >= 1 && nn <= 64 && dd <= 6) meters.push_back({tick, static_cast<int>(nn), static_cast<int>(dd)});
        } else if (type == 0x03 && track_names[t].empty()) {
          track_names[t] = r.str(n);
          while (!track_names[t].empty() && (track_names[t].back() == '\0' || std::isspace(static_cast<unsigned char>(track_names[t].back()))))
            track_names[t].pop_back();
        } else {
          r.skip(n);
        }
        continue;
      }
      if (c == 0xf0 || c == 0xf7) {  // system exclusive
        r.skip(r.vlq());
        continue;
      }
      if (c >= 0xf0) r.fail("unexpected system message 0x" + std::to_string(c));
      std::uint8_t d1;
      if (c < 0x80) {  // running status: c is the first data byte of a repeated status
        if (status == 0) r.fail("data byte without a status (running status before any event)");
        d1 = c;
      } else {
        status = c;
        d1 = r.u8();
      }
      if (d1 > 127) r.fail("data byte above 127");
      const std::uint8_t kind = status & 0xf0, ch = status & 0x0f;
      std::uint8_t d2 = 0;
      if (kind != 0xc0 && kind != 0xd0) {
        d2 = r.u8();
        if (d2 > 127) r.fail("data byte above 127");
      }
      if (kind == 0x80 || kind == 0x90 || kind == 0xc0 || (kind == 0xb0 && d1 == 64))
        events.push_back({tick, static_cast<std::size_t>(t), order++, kind, ch, d1, d2});
    }
    end_tick = std::max(end_tick, tick);
  }

  // Second pass, all tracks in time order: pair note-ons with note-offs (first in, first out,
  // per track, channel and pitch), apply programs and the pedal per channel.
  std::stable_sort(events.begin(), events.end(), [](const Event& a, const Event& b) { return a.tick < b.tick; });
  std::vector<RawNote> notes;
  std::array<int, 16> program;
  program.fill(-1);  // no program change yet: the file names no instrument
  std::array<bool, 16> pedal{};
  std::map<std::tuple<std::size_t, int, int>, std::deque<std::size_t>> open;
  std::array<std::vector<std::size_t>, 16> held;  // released while the pedal was down
  for (const Event& e : events) {
    const int ch = e.channel;
    if (e.kind == 0xc0) {
      program[ch] = e.d1;
    } else if (e.kind == 0xb0) {
      const bool down = e.d2 >= 64;
      if (pedal[ch] && !down) {
        for (std::size_t i : held[ch]) notes[i].off_tick = e.tick;
        held[ch].clear();
      }
      pedal[ch] = down;
    } else if (e.kind == 0x90 && e.d2 > 0) {
      // A key struck again ends a note of the same pitch still sounding under the pedal.
      auto& h = held[ch];
      for (auto it = h.begin(); it != h.end();)
        if (notes[*it].pitch == e.d1) {
          notes[*it].off_tick = e.tick;
          it = h.erase(it);
        } else {
          ++it;
        }
      notes.push_back({e.tick, e.tick, e.d1, e.d2, ch, program[ch], e.track, e.order});
      open[{e.track, ch, e.d1}].push_back(notes.size() - 1);
    } else {  // note-off, or note-on with velocity 0
      auto& q = open[{e.track, ch, e.d1}];
      if (q.empty()) continue;  // a note-off without a note-on is ignored, as players do
      if (options.sustain_pedal && pedal[ch]) held[ch].push_back(q.front());
      else notes[q.front()].off_tick = e.tick;
      q.pop_front();
    }
  }
  // Notes still sounding at the end of the file end there.
  for (auto& [key, q] : open)
    for (std::size_t i : q) notes[i].off_tick = end_tick;
  for (auto& h : held)
    for (std::size_t i : h) notes[i].off_tick = end_tick;

  // Tick -> seconds through the tempo map (default 120 bpm until the first tempo event).
  std::stable_sort(tempi.begin(), tempi.end(), [](const TempoChange& a, const TempoChange& b) { return a.tick < b.tick; });
  std::vector<double> seconds_at;  // time at each tempo change
  {
    double sec = 0, us = 500000;
    std::uint64_t last = 0;
    for (const auto& tc : tempi) {
      sec += static_cast<double>(tc.tick - last) * us / 1e6 / division;
      seconds_at.push_back(sec);
      last = tc.tick;
      us = tc.us_per_quarter;
    }
  }
  auto to_seconds = [&](std::uint64_t tick) {
    if (smpte) return static_cast<double>(tick) * seconds_per_tick_smpte;
    const auto it = std::upper_bound(tempi.begin(), tempi.end(), tick,
                                     [](std::uint64_t v, const TempoChange& tc) { return v < tc.tick; });
    if (it == tempi.begin()) return static_cast<double>(tick) * 0.5 / division;
    const std::size_t i = static_cast<std::size_t>(it - tempi.begin()) - 1;
    return seconds_at[i] + static_cast<double>(tick - tempi[i].tick) * tempi[i].us_per_quarter / 1e6 / division;
  };

  std::stable_sort(notes.begin(), notes.end(), [](const RawNote& a, const RawNote& b) {
    return a.on_tick != b.on_tick ? a.on_tick < b.on_tick : a.order < b.order;
  });
  ScoreFile file;
  file.format = "MIDI";
  // GM percussion (channel 10) is kept as drum notes (channel 9: is_drum): separate models them
  // with drum templates, the commands that model only pitched notes leave them out.
  std::vector<std::size_t> used_tracks;  // in track order (all notes: labels for the drums too)
  std::vector<int> used_channels;
  std::set<std::size_t> pitched_tracks;
  std::set<int> pitched_channels;
  for (const RawNote& rn : notes) {
    if (rn.channel == 9) ++file.percussion_notes;
    else {
      pitched_tracks.insert(rn.track);
      pitched_channels.insert(rn.channel);
    }
    if (std::find(used_tracks.begin(), used_tracks.end(), rn.track) == used_tracks.end()) used_tracks.push_back(rn.track);
    if (std::find(used_channels.begin(), used_channels.end(), rn.channel) == used_channels.end()) used_channels.push_back(rn.channel);
  }
  std::sort(used_tracks.begin(), used_tracks.end());
  std::sort(used_channels.begin(), used_channels.end());
  file.tracks = static_cast<int>(pitched_tracks.size());
  file.channels = static_cast<int>(pitched_channels.size());
  LabelBy by = options.label_by == LabelBy::Staff ? LabelBy::Track : options.label_by;  // a track per staff
  if (by == LabelBy::Auto) {
    // One track with several channels (a type-0 file, or both hands in one track on two
    // channels): by track it would be one stem equal to the mix.
    by = used_tracks.size() == 1 && used_channels.size() > 1 ? LabelBy::Channel : LabelBy::Track;
    if (by == LabelBy::Channel) {
      std::string list;
      for (int c : used_channels) list += (list.empty() ? "" : ", ") + ("channel" + std::to_string(c));
      file.notices.push_back(name + ": all notes are in one track, on " + std::to_string(used_channels.size()) +
                             " channels: labelled by channel (" + list + "; {setting:label_by=track} keeps one label)");
    }
  }
  // Track labels, made distinct: two staves exported as two tracks both named "Piano" become
  // "Piano" and "Piano 2" rather than one label (one stem equal to the mix).
  std::map<std::size_t, std::string> track_label;
  if (by == LabelBy::Track) {
    std::vector<std::string> assigned;
    std::map<std::string, std::vector<std::string>> renamed;  // base name -> labels given
    for (std::size_t t : used_tracks) {
      const std::string base = track_names[t].empty() ? "track" + std::to_string(t) : track_names[t];
      std::string label = base;
      for (int k = 2; std::find(assigned.begin(), assigned.end(), label) != assigned.end(); ++k)
        label = base + " " + std::to_string(k);
      assigned.push_back(label);
      track_label[t] = label;
      renamed[base].push_back(label);
    }
    for (const auto& [base, labels] : renamed)
      if (labels.size() > 1) {
        std::string list;
        for (const auto& l : labels) list += (list.empty() ? "'" : ", '") + l + "'";
        file.notices.push_back(name + ": " + std::to_string(labels.size()) + " tracks are named '" + base +
                               "': labelled " + list);
      }
  }
  std::vector<Note> out;
  out.reserve(notes.size());
  for (const RawNote& rn : notes) {
    Note n;
    n.onset = to_seconds(rn.on_tick);
    n.duration = to_seconds(rn.off_tick) - n.onset;
    n.pitch = rn.pitch;
    n.velocity = rn.velocity;
    switch (by) {
      case LabelBy::Auto:
      case LabelBy::Staff:
      case LabelBy::Track: n.label = track_label[rn.track]; break;
      case LabelBy::Channel: n.label = "channel" + std::to_string(rn.channel); break;
      case LabelBy::Program: {
        // GM names ("Violin"); the GM default instrument where the file names none.
        const std::string gm = gm_program_name(std::max(0, rn.program));
        n.label = gm.empty() ? "program" + std::to_string(rn.program) : gm;
        break;
      }
    }
    n.program = rn.program;
    n.channel = rn.channel;
    n.index = out.size();
    out.push_back(std::move(n));
  }
  file.score = Score(std::move(out));
  // Bars from the time signatures (none without one, or with SMPTE time): from tick 0 to the
  // last note's end; a signature takes effect at its tick (a new bar starts there).
  if (!smpte && !meters.empty() && !notes.empty()) {
    std::stable_sort(meters.begin(), meters.end(), [](const Meter& a, const Meter& b) { return a.tick < b.tick; });
    std::uint64_t last = 0;
    for (const RawNote& rn : notes) last = std::max(last, rn.off_tick);
    std::vector<Bar> bars;
    Meter cur{0, 4, 2};  // 4/4 until the first signature
    std::size_t next = 0;
    for (std::uint64_t tick = 0; tick < last && bars.size() < kMaxBars;) {
      while (next < meters.size() && meters[next].tick <= tick) cur = meters[next++];
      const std::uint64_t beat = static_cast<std::uint64_t>(division) * 4 >> cur.power;
      if (beat == 0) break;
      std::uint64_t end = tick + beat * static_cast<std::uint64_t>(cur.beats);
      if (next < meters.size() && meters[next].tick < end) end = meters[next].tick;
      Bar b;
      b.number = static_cast<int>(bars.size()) + 1;
      b.start = to_seconds(tick);
      for (std::uint64_t at = tick; at < end; at += beat) b.beats.push_back(to_seconds(at));
      bars.push_back(std::move(b));
      tick = end;
    }
    try {
      file.score.set_bars(std::move(bars));
    } catch (const InvalidArgument&) {  // ticks past double precision: beats that do not increase
      file.warnings.push_back(name + ": its bars could not be placed in time (left out)");
    }
  }
  return file;
}

Score parse_midi(const std::string& bytes, const std::string& name, const MidiOptions& options) {
  return parse_midi_file(bytes, name, options).score;
}

namespace {
void put_be(std::string& out, std::uint32_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
void put_vlq(std::string& out, std::uint32_t v) {
  char buf[5];
  int n = 0;
  buf[n++] = static_cast<char>(v & 0x7f);
  while (v >>= 7) buf[n++] = static_cast<char>((v & 0x7f) | 0x80);
  while (n > 0) out.push_back(buf[--n]);
}
}  // namespace

void write_midi_score(const std::string& path, const Score& score, bool overwrite) {
  constexpr int kDivision = 480;  // ticks per quarter; at 120 bpm, 960 ticks per second
  std::string file = "MThd";
  put_be(file, 6, 4);
  const std::vector<std::string> labels = score.labels();
  put_be(file, 1, 2);
  put_be(file, static_cast<std::uint32_t>(labels.size() + 1), 2);
  put_be(file, kDivision, 2);
  auto chunk = [&](const std::string& body) {
    file += "MTrk";
    put_be(file, static_cast<std::uint32_t>(body.size()), 4);
    file += body;
  };
  std::string tempo;
  put_vlq(tempo, 0);
  tempo += std::string("\xff\x51\x03", 3);
  put_be(tempo, 500000, 3);
  tempo += std::string("\x00\xff\x2f\x00", 4);
  chunk(tempo);
  for (std::size_t t = 0; t < labels.size(); ++t) {
    struct Ev {
      std::uint32_t tick;
      int order;  // note-offs before note-ons at the same tick
      std::uint8_t status, d1, d2;
    };
    std::vector<Ev> events;
    // Channel 10 (index 9) is GM percussion: pitched labels skip it, drum notes use it.
    const auto channel = static_cast<std::uint8_t>(t % 15 < 9 ? t % 15 : t % 15 + 1);
    for (const Note& n : score.notes()) {
      if (n.label != labels[t]) continue;
      const auto on = static_cast<std::uint32_t>(std::lround(std::max(0.0, n.onset) * 960));
      const auto off = std::max(on + 1, static_cast<std::uint32_t>(std::lround(std::max(0.0, n.offset()) * 960)));
      const auto vel = static_cast<std::uint8_t>(std::clamp<long>(std::lround(n.velocity), 1, 127));
      const std::uint8_t ch = is_drum(n) ? 9 : channel;
      events.push_back({on, 1, static_cast<std::uint8_t>(0x90 | ch), static_cast<std::uint8_t>(n.pitch), vel});
      events.push_back({off, 0, static_cast<std::uint8_t>(0x80 | ch), static_cast<std::uint8_t>(n.pitch), 0});
    }
    std::stable_sort(events.begin(), events.end(),
                     [](const Ev& a, const Ev& b) { return a.tick != b.tick ? a.tick < b.tick : a.order < b.order; });
    std::string body;
    put_vlq(body, 0);
    body += std::string("\xff\x03", 2);
    put_vlq(body, static_cast<std::uint32_t>(labels[t].size()));
    body += labels[t];
    std::uint32_t last = 0;
    for (const Ev& e : events) {
      put_vlq(body, e.tick - last);
      last = e.tick;
      body.push_back(static_cast<char>(e.status));
      body.push_back(static_cast<char>(e.d1));
      body.push_back(static_cast<char>(e.d2));
    }
    body += std::string("\x00\xff\x2f\x00", 4);
    chunk(body);
  }
  write_text(path, file, overwrite);
}

ScoreFile read_midi_file(const std::string& path, const MidiOptions& options) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError(path, "cannot open score");
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_midi_file(ss.str(), path, options);
}

Score read_midi_score(const std::string& path, const MidiOptions& options) { return read_midi_file(path, options).score; }

}  // namespace notewise::io
