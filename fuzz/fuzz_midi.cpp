// libFuzzer target: the MIDI, CSV and MusicXML (plain and .mxl) score parsers must turn any bytes into either a score or
// a notewise::Error (ParseError), never a crash, hang or sanitizer report.
#include <cstddef>
#include <cstdint>
#include <string>

#include "notewise/core/error.hpp"
#include "notewise/io/score_io.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  for (const bool pedal : {false, true}) {
    notewise::io::MidiOptions o;
    o.sustain_pedal = pedal;
    o.label_by = pedal ? notewise::io::LabelBy::Channel : notewise::io::LabelBy::Track;
    try {
      const notewise::Score s = notewise::io::parse_midi(bytes, "fuzz.mid", o);
      for (const auto& n : s.notes())
        if (!(n.duration >= 0) || n.pitch < 0 || n.pitch > 127) __builtin_trap();
    } catch (const notewise::Error&) {
    }
  }
  try {
    notewise::io::parse_csv(bytes, "fuzz.csv");
  } catch (const notewise::Error&) {
  }
  try {
    const std::string xml = bytes.compare(0, 2, "PK") == 0 ? notewise::io::unpack_mxl(bytes, "fuzz.mxl") : bytes;
    const notewise::Score s = notewise::io::parse_musicxml(xml, "fuzz.musicxml").score;
    for (const auto& n : s.notes())
      if (!(n.duration > 0) || !(n.onset >= 0) || n.pitch < 0 || n.pitch > 127) __builtin_trap();
  } catch (const notewise::Error&) {
  }
  return 0;
}
