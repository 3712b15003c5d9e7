#pragma once
// The bodies of the fuzz targets, one function per target, shared by the libFuzzer entry points
// (fuzz_<target>.cpp), the coverage driver (fuzz/replay_main.cpp through those entry points) and
// the corpus replay test (tests/unit/io/fuzz_corpus_test.cpp). Each turns any bytes into a
// result that satisfies the reader's documented bounds, or a notewise::Error; any other exception
// escapes, and a broken bound calls NOTEWISE_FUZZ_FAIL (a trap for libFuzzer; the test makes it
// throw so that the file is named).
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "fuzz_common.hpp"
#include "notewise/core/error.hpp"
#include "notewise/io/audio.hpp"
#include "notewise/io/model_io.hpp"
#include "notewise/io/npy.hpp"
#include "notewise/io/score_io.hpp"
#include "notewise/separation/groups.hpp"

#ifndef NOTEWISE_FUZZ_FAIL
#define NOTEWISE_FUZZ_FAIL(what) __builtin_trap()
#endif

namespace notewise::fuzz {

inline void require(bool ok, const char* what) {
  if (!ok) NOTEWISE_FUZZ_FAIL(what);
}

inline constexpr io::LabelBy kLabels[] = {io::LabelBy::Auto, io::LabelBy::Track, io::LabelBy::Channel,
                                          io::LabelBy::Program, io::LabelBy::Staff};

inline std::string text_of(const std::uint8_t* data, std::size_t size) {
  return std::string(reinterpret_cast<const char*>(data), size);
}

// Standard MIDI Files: every label option, the sustain pedal on and off.
inline void midi(const std::uint8_t* data, std::size_t size) {
  const std::string bytes = text_of(data, size);
  for (int i = 0; i < 5; ++i) {
    io::MidiOptions o;
    o.sustain_pedal = i % 2 == 1;
    o.label_by = kLabels[i];
    try {
      const Score s = i == 0 ? io::parse_midi(bytes, "fuzz.mid", o) : io::parse_midi_file(bytes, "fuzz.mid", o).score;
      for (const auto& n : s.notes())
        require(n.duration >= 0 && n.onset >= 0 && n.pitch >= 0 && n.pitch <= 127, "MIDI note out of bounds");
    } catch (const Error&) {
    }
  }
}

// CSV/TSV/text score tables; a parsed table is also rewritten (replace_csv_times,
// with_csv_column), which re-reads its rows. The text is also tried as a label option and a path.
inline void csv(const std::uint8_t* data, std::size_t size) {
  const std::string text = text_of(data, size);
  try {
    (void)io::parse_label_by(text);  // the option naming how notes are labelled
  } catch (const Error&) {
  }
  (void)io::is_musicxml_path(text);
  try {
    const Score s = io::parse_csv(text, "fuzz.csv");
    for (const auto& n : s.notes())
      require(n.duration >= 0 && n.pitch >= 0 && n.pitch <= 127 && std::isfinite(n.onset), "CSV note out of bounds");
    (void)io::replace_csv_times(text, s, "fuzz.csv");
    (void)io::with_csv_column(text, "fuzz", std::vector<double>(s.notes().size(), 0.5), "fuzz.csv");
  } catch (const Error&) {
  }
}

// MusicXML, plain or in an .mxl archive (bytes starting "PK"), under every label option.
inline void musicxml(const std::uint8_t* data, std::size_t size) {
  const std::string bytes = text_of(data, size);
  std::string xml;
  try {
    xml = bytes.compare(0, 2, "PK") == 0 ? io::unpack_mxl(bytes, "fuzz.mxl") : bytes;
  } catch (const Error&) {
    return;
  }
  for (const io::LabelBy label : kLabels) {
    io::MidiOptions o;
    o.label_by = label;
    try {
      const Score s = io::parse_musicxml(xml, "fuzz.musicxml", o).score;
      for (const auto& n : s.notes())
        require(n.duration > 0 && n.onset >= 0 && n.pitch >= 0 && n.pitch <= 127, "MusicXML note out of bounds");
    } catch (const Error&) {
    }
  }
}

// read_npy: a matrix of finite floats no larger than the file's bytes justify.
inline void npy(const std::uint8_t* data, std::size_t size) {
  MemFile f(data, size);
  try {
    const MatrixXf m = io::read_npy(f.path());
    require(m.size() > 0 && m.allFinite(), "npy: empty or non-finite matrix");
    require(static_cast<std::size_t>(m.size()) * 4 <= size, "npy: more values than bytes");  // >= 4 bytes a value
  } catch (const Error&) {
  }
}

// The selection language and group specs; evaluating and destroying a predicate never recurses.
inline void selection(const std::uint8_t* data, std::size_t size) {
  const std::string text = text_of(data, size);
  static const Score score(std::vector<Note>{
      {0.0, 1.0, 60, 90, "left", 0}, {0.5, 0.25, 72, 40, "right", 1}, {2.0, 3.0, 21, 127, "", 2}});
  try {
    const NotePredicate p = parse_selection(text);
    for (const auto& n : score.notes()) (void)p(n);
  } catch (const Error&) {
  }
  try {
    const GroupSpec g = parse_group_spec(text);
    require(!g.name.empty(), "group spec without a name");
    (void)group_notes(score, {g, {"rest", "others"}});
    (void)group_notes(score, {g});  // the notes it leaves go to an automatic "rest" (or "rest 2") group
  } catch (const Error&) {
  }
  // The text's lines as labels (as a score file may hold them): one group per label, with
  // file-safe, distinct stems.
  std::vector<Note> notes;
  for (std::size_t at = 0; at <= text.size() && notes.size() < 16;) {
    const std::size_t end = std::min(text.find('\n', at), text.size());
    notes.push_back({0.1 * static_cast<double>(notes.size()), 0.5, 60, 80, text.substr(at, end - at), notes.size()});
    at = end + 1;
  }
  try {
    const Score labelled(notes);
    const Grouping g = group_notes(labelled, label_group_specs(labelled));
    for (const auto& f : g.files) require(!f.empty() && f.find('/') == std::string::npos, "group file stem not file-safe");
  } catch (const Error&) {
  }
}

// A piano-model folder: the input split at each "\n--npy--\n" into model.json, encoder.npy,
// decoder.npy, out.npy and hidden1.npy .. hidden4.npy (those a model with hidden layers reads),
// each file written (empty where the input has no part) to one reused folder in /dev/shm (or the
// temporary folder).
inline void model(const std::uint8_t* data, std::size_t size) {
  static const std::string dir = [] {
    std::string tmpl = "/dev/shm/notewise-fuzz-model-XXXXXX";
    if (::mkdtemp(tmpl.data()) == nullptr) {
      tmpl = (std::filesystem::temp_directory_path() / "notewise-fuzz-model-XXXXXX").string();
      require(::mkdtemp(tmpl.data()) != nullptr, "cannot make a folder for the model");
    }
    return tmpl;
  }();
  const std::string all = text_of(data, size);
  static const std::string sep = "\n--npy--\n";
  const char* names[] = {"model.json", "encoder.npy", "decoder.npy", "out.npy", "hidden1.npy", "hidden2.npy", "hidden3.npy",
                         "hidden4.npy"};
  std::size_t at = 0;
  for (const char* name : names) {
    const std::size_t end = at >= all.size() ? std::string::npos : all.find(sep, at);
    std::ofstream(dir + "/" + name, std::ios::binary | std::ios::trunc)
        << (at >= all.size() ? std::string() : all.substr(at, end == std::string::npos ? std::string::npos : end - at));
    at = end == std::string::npos ? all.size() : end + sep.size();
  }
  try {
    const PianoModel m = io::read_piano_model(dir);
    m.check();  // what the reader returns is consistent
  } catch (const Error&) {
  }
}

// Audio through libsndfile: read_audio, read_audio_info and the block reader (AudioReader).
inline void audio(const std::uint8_t* data, std::size_t size) {
  MemFile f(data, size);
  try {
    const io::Audio a = io::read_audio(f.path());
    require(a.frames() >= 1 && a.channels() >= 1 && a.channels() <= io::kMaxChannels, "audio: bad shape");
    require(a.sample_rate >= io::kMinSampleRate && a.sample_rate <= io::kMaxSampleRate, "audio: bad rate");
    require(a.samples.allFinite() && a.samples.cwiseAbs().maxCoeff() <= io::kMaxSampleMagnitude, "audio: bad sample");
    require(a.mono().size() == a.frames(), "audio: mono mix-down of another length");
  } catch (const Error&) {
  }
  try {
    (void)io::read_audio_info(f.path());
  } catch (const Error&) {
  }
  try {
    io::AudioReader r(f.path());
    require(r.frames() >= 1 && r.channels() >= 1 && r.channels() <= io::kMaxChannels, "AudioReader: bad shape");
    // Two blocks of at most 4096 frames: the start and, after a seek, the middle.
    MatrixXf block(std::min<Index>(r.frames(), 4096), r.channels());
    r.read(0, block);
    if (r.seekable()) r.read(r.frames() - block.rows(), block);
  } catch (const Error&) {
  }
}

}  // namespace notewise::fuzz
