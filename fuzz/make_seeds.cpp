// Writes the seed corpora of the fuzz targets (generated, so that no binary is committed):
//   make_seeds OUTDIR   ->  OUTDIR/{midi,csv,musicxml,npy,selection,audio,model}/...
// Audio seeds are tiny WAV, FLAC, OGG/Vorbis, MP3, AIFF and AU files written by libsndfile.
#include <sndfile.h>
#include <zip.h>
#include <sys/stat.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

namespace {

void put(const std::string& path, const std::string& bytes) { std::ofstream(path, std::ios::binary) << bytes; }

std::string npy(const std::string& dict, const std::string& data, int major = 1) {
  std::string h = dict;
  const std::size_t pre = major == 1 ? 10 : 12;
  h.append((64 - (pre + h.size() + 1) % 64) % 64, ' ');
  h.push_back('\n');
  std::string out = std::string("\x93NUMPY", 6) + static_cast<char>(major) + '\0';
  const std::uint32_t n = static_cast<std::uint32_t>(h.size());
  out.push_back(static_cast<char>(n & 0xff));
  out.push_back(static_cast<char>((n >> 8) & 0xff));
  if (major != 1) {
    out.push_back(static_cast<char>((n >> 16) & 0xff));
    out.push_back(static_cast<char>(n >> 24));
  }
  return out + h + data;
}

template <class T>
std::string values(std::size_t n, double scale) {
  std::string s;
  for (std::size_t i = 0; i < n; ++i) {
    const T v = static_cast<T>(scale * (1.0 + std::sin(0.37 * static_cast<double>(i))));
    s.append(reinterpret_cast<const char*>(&v), sizeof v);
  }
  return s;
}

// A libsndfile-written file of `frames` frames: a sine, or `value` in every sample when given.
void audio(const std::string& path, int format, int rate = 8000, int channels = 2, int frames = 400, float value = -1) {
  SF_INFO info{};
  info.samplerate = rate;
  info.channels = channels;
  info.format = format;
  SNDFILE* f = sf_open(path.c_str(), SFM_WRITE, &info);
  if (f == nullptr) {
    std::fprintf(stderr, "make_seeds: %s: %s (skipped)\n", path.c_str(), sf_strerror(nullptr));
    return;
  }
  std::vector<float> x(static_cast<std::size_t>(channels) * frames);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = value >= 0 || std::isnan(value) ? value : 0.5f * std::sin(0.05f * static_cast<float>(i));
  sf_writef_float(f, x.data(), frames);
  sf_close(f);
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// Audio the reader rejects or bounds: too many channels, rates outside the range, no frames,
// non-finite and huge float samples, a header promising more data than the file holds.
void audio_seeds(const std::string& dir) {
  audio(dir + "/channels.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_U8, 8000, 65, 2);
  audio(dir + "/slow.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16, 100, 1, 40);
  audio(dir + "/fast.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16, 1000000, 1, 40);
  audio(dir + "/empty.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16, 8000, 1, 0);
  audio(dir + "/nan.wav", SF_FORMAT_WAV | SF_FORMAT_FLOAT, 8000, 1, 40, std::nanf(""));
  audio(dir + "/loud.wav", SF_FORMAT_WAV | SF_FORMAT_FLOAT, 8000, 1, 40, 5000.0f);
  audio(dir + "/mono.flac", SF_FORMAT_FLAC | SF_FORMAT_PCM_16, 8000, 1, 5000);
  const std::string wav = slurp(dir + "/a.wav");
  if (wav.size() > 100) put(dir + "/cut.wav", wav.substr(0, wav.size() - 100));
  const std::string aiff = slurp(dir + "/f.aiff");
  if (aiff.size() > 100) put(dir + "/cut.aiff", aiff.substr(0, aiff.size() - 100));
}


// .npy headers the reader rejects or reads the long way round.
void npy_seeds(const std::string& dir) {
  const std::string f4 = values<float>(6, 1);
  const char* dicts[] = {
      "{'descr': '>f4', 'fortran_order': False, 'shape': (2, 3), }",  // big-endian: refused
      "{'descr': '=f8', 'fortran_order': True, 'shape': (3L, 1L), }",
      "{\"descr\": \"<f4\", \"fortran_order\": False, \"shape\": (6,)}",
      "{'descr': '<f4', 'fortran_order': False, 'shape': (), }",
      "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2, 3), }",
      "{'descr': '<f4', 'fortran_order': False, 'shape': (-2, 3), }",
      "{'descr': '<f4', 'fortran_order': False, 'shape': (1234567890123, 1), }",
      "{'descr': '<f4', 'fortran_order': False, 'shape': (100000, 100000), }",
      "{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }",
      "{'descr': '<f4', 'fortran_order': Maybe, 'shape': (2, 3), }",
      "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), 'extra': 1}",
      "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), } trailing",
      "{'descr': '<f4', 'fortran_order': False}",
      "{'descr': '<f4', 'shape': (6,)}",
      "{'fortran_order': False, 'shape': (6,)}",
      "{'descr': '<i4', 'fortran_order': False, 'shape': (6,), }",
      "{'descr': '<f4', 'fortran_order': False, 'shape': (0, 3), }",
      "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 3), }",  // truncated data
      "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1), }",  // data left over
  };
  int i = 0;
  for (const char* d : dicts) put(dir + "/h" + std::to_string(i++) + ".npy", npy(d, f4));
  const float bad[] = {std::nanf(""), 1.0f};
  put(dir + "/nan.npy", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }",
                            std::string(reinterpret_cast<const char*>(bad), sizeof bad)));
  const double big[] = {1e300, 1.0};
  put(dir + "/big.npy", npy("{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }",
                            std::string(reinterpret_cast<const char*>(big), sizeof big), 2));
  put(dir + "/v4.npy", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (6,), }", f4, 4));
  put(dir + "/longheader.npy", std::string("\x93NUMPY\x02\x00\x00\x00\x02\x00", 12) + "{}");
  put(dir + "/cut.npy", std::string("\x93NUMPY\x01\x00\x40", 9));
}

// Model folders (model.json, encoder.npy, decoder.npy, out.npy, hidden1.npy ... separated by
// "\n--npy--\n"): fields of the wrong type or range, hidden layers, an invalid geometry.
void model_seeds(const std::string& dir, const std::string& json) {
  const std::string sep = "\n--npy--\n";
  const std::string small = npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", values<float>(6, 0.1));
  const auto with = [&](const std::string& from, const std::string& to) {
    std::string j = json;
    const std::size_t at = j.find(from);
    if (at != std::string::npos) j.replace(at, from.size(), to);
    return j;
  };
  const std::pair<const char*, const char*> edits[] = {
      {"\"version\": 1", "\"version\": 1.0"},      {"\"version\": 1", "\"version\": 2"},
      {"\"version\": 1", "\"version\": 1.5"},      {"\"version\": 1", "\"version\": \"1\""},
      {"\"version\": 1", "\"version\": 99999999999"}, {"\"n_fft\": 16", "\"n_fft\": 1.4e75"},
      {"\"n_fft\": 16", "\"n_fft\": 17"},          {"\"hidden_layers\": 0", "\"hidden_layers\": 5"},
      {"\"hidden_layers\": 0", "\"hidden_layers\": 1"}, {"\"loss\": \"kl\"", "\"loss\": \"l2\""},
      {"\"tolerance\": 0.03", "\"tolerance\": -1"}, {"\"partials\": 0", "\"partials\": \"x\""},
      {"notewise-nae-model", "other"},            {"\"epochs\": 3, ", ""},
      {"\"hop\": 8}", "\"hop\": 8, \"sample_rate\": 1}"}};
  int i = 1;
  for (const auto& [from, to] : edits)
    put(dir + "/m" + std::to_string(i++), with(from, to) + sep + small + sep + small + sep + small + sep + small);
  put(dir + "/json", "{\"format\": ");
  put(dir + "/fields", "{\"format\": \"notewise-nae-model\", \"version\": 1}");
}

// Score tables besides the fixtures' dialects: note names, velocities in 0..1, drum rows, a
// column the fuzz target replaces (with_csv_column "fuzz"), UTF-16, quotes and comments.
void csv_seeds(const std::string& dir) {
  put(dir + "/names.csv", "start,duration,pitch,velocity,label\n0,1,C#4,0.5,right\n0.5,1,Bb5,1,\"left, low\"\n1,1,Fb-1,0,x\n");
  put(dir + "/drums.tsv", "onset\tend\tnote\tvel\tinstrument\n# kit\n0\t0.1\t36\t100\tDrums\n0.5\t0.6\t38\t90\tdrum kit\n");
  put(dir + "/column.csv", "start;duration;pitch;fuzz\n0,5;1;60;x\n1;1,5;62;y\n");
  put(dir + "/utf16.csv", std::string("\xff\xfes\0t\0a\0r\0t\0", 12));
  put(dir + "/blank.txt", "\r\n0 1 60 80 a\r\r1.5 2 61\n  \n");
}

// MIDI: a big-endian number, a chunk, a header, bytes.
std::string be(std::uint32_t v, int bytes) {
  std::string s;
  for (int i = bytes - 1; i >= 0; --i) s.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  return s;
}
std::string chunk(const std::string& id, const std::string& body) { return id + be(static_cast<std::uint32_t>(body.size()), 4) + body; }
std::string smf(int format, int tracks, std::uint16_t division, const std::string& rest, int head_len = 6) {
  return "MThd" + be(head_len, 4) + be(format, 2) + be(tracks, 2) + be(division, 2) + std::string(head_len - 6, '\0') + rest;
}
std::string bytes(std::initializer_list<int> b) {
  std::string s;
  for (int c : b) s.push_back(static_cast<char>(c));
  return s;
}

// The MIDI seeds: the events and layouts the parser handles besides plain note-on/off.
void midi_seeds(const std::string& dir) {
  const std::string eot = bytes({0, 0xff, 0x2f, 0});
  // Format 0, one track, two channels (labelled by channel under Auto); running status, note-on
  // with velocity 0 as note-off, overlapping notes of one pitch, sysex (F0 and F7), meta text,
  // a padded track name and a second one (ignored), program change, channel pressure, the pedal,
  // a drum note on channel 10, a tempo change, an unknown chunk before the track.
  const std::string t0 = bytes({0, 0xff, 0x03, 6}) + std::string("Solo\0 ", 6) + bytes({0, 0xff, 0x03, 1, 'X'}) +
                         bytes({0, 0xff, 0x51, 3, 0x07, 0xa1, 0x20}) + bytes({0, 0xf0, 3, 0x7e, 0x7f, 0xf7}) +
                         bytes({0, 0xf7, 1, 0x00}) + bytes({0, 0xff, 0x01, 2, 'h', 'i'}) + bytes({0, 0xc0, 5, 0, 0xc1, 41}) +
                         bytes({0, 0xd0, 64}) + bytes({0, 0xb0, 64, 127}) + bytes({0, 0x90, 60, 90}) + bytes({10, 62, 80}) +
                         bytes({10, 60, 70}) + bytes({20, 0x80, 60, 0}) + bytes({0, 0x90, 62, 0}) + bytes({10, 0xb0, 64, 0}) +
                         bytes({0, 0x91, 48, 100}) + bytes({0, 0x99, 36, 100}) + bytes({0, 0xe0, 0, 64}) +
                         bytes({0, 0xa0, 60, 10}) + bytes({0, 0xb0, 7, 100}) + bytes({0, 0xff, 0x51, 3, 0x0f, 0x42, 0x40}) +
                         bytes({40, 0x81, 48, 64}) + bytes({0, 0x89, 36, 0}) + bytes({0, 0x90, 64, 60}) + eot;
  put(dir + "/format0.mid", smf(0, 1, 96, chunk("XFIH", "junk") + chunk("MTrk", t0)));
  // Format 1: a tempo track and two tracks of one name ("Piano", "Piano 2"), one unnamed; a
  // longer header; a note left sounding at the end.
  const std::string tempo = bytes({0, 0xff, 0x51, 3, 0x07, 0xa1, 0x20, 0x83, 0x00, 0xff, 0x51, 3, 0x03, 0xd0, 0x90}) + eot;
  const std::string piano = bytes({0, 0xff, 0x03, 5}) + "Piano" + bytes({0, 0x90, 60, 90, 0x81, 0x40, 0x80, 60, 0}) + eot;
  const std::string other = bytes({0, 0x92, 67, 50, 0x60, 67, 0, 0, 69, 40});
  put(dir + "/format1.mid", smf(1, 4, 480, chunk("MTrk", tempo) + chunk("MTrk", piano) + chunk("MTrk", piano) + chunk("MTrk", other), 8));
  // SMPTE timing: 25 frames per second, 40 ticks per frame (one tick per millisecond).
  put(dir + "/smpte.mid", smf(0, 1, 0xe728, chunk("MTrk", bytes({0, 0x90, 60, 90, 0x83, 0x68, 0x80, 60, 0}) + eot)));
  // Rejected: format 2, SMPTE with 0 ticks per frame, division 0, a missing track, a data byte
  // before any status, a variable-length number of five bytes, a tempo of the wrong length.
  put(dir + "/format2.mid", smf(2, 1, 96, chunk("MTrk", eot)));
  put(dir + "/smpte0.mid", smf(0, 1, 0xe700, chunk("MTrk", eot)));
  put(dir + "/division0.mid", smf(0, 1, 0, chunk("MTrk", eot)));
  put(dir + "/missing.mid", smf(1, 2, 96, chunk("MTrk", eot)));
  put(dir + "/nostatus.mid", smf(0, 1, 96, chunk("MTrk", bytes({0, 60, 90}) + eot)));
  put(dir + "/longvlq.mid", smf(0, 1, 96, chunk("MTrk", bytes({0x81, 0x81, 0x81, 0x81, 0x01, 0x90, 60, 90}) + eot)));
  put(dir + "/badtempo.mid", smf(0, 1, 96, chunk("MTrk", bytes({0, 0xff, 0x51, 2, 1, 2}) + eot)));
}

// An .mxl archive (zip) of the given members.
void mxl(const std::string& path, const std::vector<std::pair<std::string, std::string>>& members) {
  int err = 0;
  zip_t* z = zip_open(path.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &err);
  if (z == nullptr) return;
  for (const auto& [name, text] : members) {
    zip_source_t* src = zip_source_buffer(z, text.data(), text.size(), 0);
    if (src == nullptr || zip_file_add(z, name.c_str(), src, ZIP_FL_OVERWRITE) < 0) zip_source_free(src);
  }
  zip_close(z);
}

// MusicXML: one score that uses what the parser reads (part-list instruments and drum keys,
// transposition, staves, a metronome mark and dynamics marks without <sound>, <sound tempo> and
// dynamics, grace notes, chords, backup/forward, ties as <tie> and as <tied>, repeats with
// times, first/second endings, segno/coda/dal segno/fine), and scores it rejects.
const char* kFeatures = R"(<?xml version="1.0" encoding="UTF-8"?>
<score-partwise version="4.0">
 <part-list>
  <score-part id="P1"><part-name>Clarinet in Bb</part-name>
   <midi-instrument id="P1-I1"><midi-channel>1</midi-channel><midi-program>72</midi-program></midi-instrument></score-part>
  <score-part id="P2"><part-name></part-name><part-abbreviation>Tom</part-abbreviation>
   <midi-instrument id="P2-I1"><midi-channel>10</midi-channel><midi-program>300</midi-program></midi-instrument></score-part>
  <score-part id="P3">
   <midi-instrument id="P3-I1"><midi-unpitched>36</midi-unpitched></midi-instrument>
   <midi-instrument id="P3-I2"><midi-unpitched>39</midi-unpitched></midi-instrument>
   <midi-instrument id="P3-I3"><midi-unpitched>999</midi-unpitched></midi-instrument></score-part>
  <score-part id="P5"><part-name>Empty</part-name></score-part>
 </part-list>
 <part id="P1">
  <measure number="1">
   <attributes><divisions>2</divisions><staves>2</staves><transpose><chromatic>-2</chromatic><octave-change>-1</octave-change></transpose></attributes>
   <direction><direction-type><metronome><beat-unit>half</beat-unit><beat-unit-dot/><per-minute>60</per-minute></metronome></direction-type>
    <direction-type><dynamics><ff/><other-dynamics>x</other-dynamics></dynamics></direction-type></direction>
   <barline location="left"><repeat direction="forward"/></barline>
   <note><grace slash="yes"/><pitch><step>D</step><octave>5</octave></pitch><voice>1</voice></note>
   <note><pitch><step>C</step><alter>1</alter><octave>5</octave></pitch><duration>2</duration><tie type="start"/><staff>1</staff></note>
   <note><chord/><pitch><step>E</step><octave>5</octave></pitch><duration>2</duration><staff>1</staff></note>
   <backup><duration>2</duration></backup>
   <note><pitch><step>G</step><octave>3</octave></pitch><duration>2</duration><staff>2</staff><notations><tied type="start"/></notations></note>
   <forward><duration>1</duration></forward>
   <note><rest/><duration>1</duration></note>
   <note><cue/><pitch><step>A</step><octave>4</octave></pitch><duration>1</duration></note>
   <note dynamics="50"><pitch><step>B</step><alter>-1</alter><octave>4</octave></pitch><duration>1</duration></note>
  </measure>
  <measure number="2">
   <barline location="left"><ending number="1" type="start"/></barline>
   <note><pitch><step>C</step><alter>1</alter><octave>5</octave></pitch><duration>2</duration><tie type="stop"/><staff>1</staff></note>
   <note><pitch><step>G</step><octave>3</octave></pitch><duration>2</duration><staff>2</staff><notations><tied type="stop"/></notations></note>
   <barline location="right"><ending number="1" type="stop"/><repeat direction="backward" times="3"/></barline>
  </measure>
  <measure number="3">
   <barline location="left"><ending number="2, 3" type="start"/></barline>
   <sound tempo="90" dynamics="70"/>
   <note><pitch><step>F</step><octave>4</octave></pitch><duration>4</duration></note>
   <barline location="right"><ending number="2, 3" type="discontinue"/></barline>
  </measure>
  <measure number="4">
   <direction><direction-type><segno/></direction-type><offset>1</offset><sound segno="s1" tempo="100"/></direction>
   <note><pitch><step>D</step><octave>4</octave></pitch><duration>4</duration></note>
  </measure>
  <measure number="5">
   <direction><direction-type><words>To Coda</words></direction-type><sound tocoda="c1"/></direction>
   <note><pitch><step>E</step><octave>4</octave></pitch><duration>4</duration></note>
  </measure>
  <measure number="6">
   <direction><direction-type><words>Fine</words></direction-type><sound fine="yes"/></direction>
   <note><pitch><step>F</step><octave>4</octave></pitch><duration>4</duration></note>
  </measure>
  <measure number="7">
   <note><pitch><step>G</step><octave>4</octave></pitch><duration>4</duration></note>
   <sound dalsegno="s1"/>
  </measure>
  <measure number="8">
   <direction><direction-type><coda/></direction-type><sound coda="c1"/></direction>
   <note><pitch><step>A</step><octave>4</octave></pitch><duration>4</duration></note>
   <note><grace/><pitch><step>B</step><octave>4</octave></pitch></note>
  </measure>
 </part>
 <part id="P2">
  <measure number="1"><attributes><divisions>1</divisions></attributes>
   <note><pitch><step>C</step><octave>2</octave></pitch><duration>2</duration></note></measure>
 </part>
 <part id="P3">
  <measure number="1"><attributes><divisions>1</divisions></attributes>
   <note><unpitched><display-step>C</display-step><display-octave>4</display-octave></unpitched><duration>1</duration><instrument id="P3-I1"/></note>
   <note><unpitched/><duration>1</duration><instrument id="P3-I9"/></note>
   <note><unpitched/><duration>1</duration></note>
   <note><grace/><pitch><step>C</step><octave>4</octave></pitch></note>
   <note><grace/><pitch><step>D</step><octave>4</octave></pitch></note>
   <note><pitch><step>E</step><octave>4</octave></pitch><duration>1</duration></note>
  </measure>
 </part>
 <part id="P4"><measure number="1"><note><pitch><step>C</step><octave>4</octave></pitch><duration>1</duration></note></measure></part>
 <part><measure number="1"><note><pitch><step>C</step><octave>4</octave></pitch><duration>1</duration></note></measure></part>
</score-partwise>
)";

// Da capo al fine, a one-part drum kit with one instrument, a metronome in quarters.
const char* kDaCapo = R"(<score-partwise><part-list><score-part id="D"><part-name>Kit</part-name>
 <midi-instrument id="D-1"><midi-unpitched>38</midi-unpitched></midi-instrument></score-part></part-list>
 <part id="D">
  <measure><direction><direction-type><metronome><beat-unit>quarter</beat-unit><per-minute>80</per-minute></metronome></direction-type></direction>
   <direction><direction-type><dynamics><p/></dynamics></direction-type></direction>
   <note><unpitched/><duration>1</duration></note><sound fine="yes"/></measure>
  <measure><note><unpitched/><duration>1</duration></note><sound dacapo="yes"/></measure>
  <measure><note><unpitched/><duration>1</duration></note></measure>
 </part></score-partwise>
)";

std::string xml_score(const std::string& measure) {
  return "<score-partwise><part-list><score-part id=\"P\"/></part-list><part id=\"P\"><measure>" + measure +
         "</measure></part></score-partwise>";
}

void musicxml_seeds(const std::string& dir) {
  put(dir + "/features.musicxml", kFeatures);
  put(dir + "/dacapo.musicxml", kDaCapo);
  put(dir + "/timewise.musicxml", "<score-timewise><part-list/></score-timewise>");
  put(dir + "/other.musicxml", "<?xml version=\"1.0\"?>\n<opus/>");
  put(dir + "/notxml.musicxml", "<score-partwise><part>");
  put(dir + "/noparts.musicxml", "<score-partwise><part-list/></score-partwise>");
  const char* bad[] = {"<attributes><divisions>0</divisions></attributes>",
                       "<attributes><divisions>x</divisions></attributes>",
                       "<note><pitch><step>H</step><octave>4</octave></pitch><duration>1</duration></note>",
                       "<note><pitch><step>C</step></pitch><duration>1</duration></note>",
                       "<note><pitch><step>C</step><octave>12</octave></pitch><duration>1</duration></note>",
                       "<note><pitch><step>C</step><octave>4</octave></pitch><duration>-1</duration></note>",
                       "<barline><repeat direction=\"backward\" times=\"0\"/></barline>",
                       "<barline><repeat direction=\"backward\" times=\"x\"/></barline>",
                       "<barline><ending type=\"start\" number=\"\"/></barline>"};
  // Whole numbers far beyond int (once undefined behaviour when converted): accepted, clamped.
  put(dir + "/huge.musicxml",
      "<score-partwise><part-list><score-part id=\"P\"><midi-instrument id=\"I\"><midi-program>1e12</midi-program>"
      "<midi-channel>-1e12</midi-channel><midi-unpitched>1e12</midi-unpitched></midi-instrument></score-part></part-list>"
      "<part id=\"P\"><measure><attributes><staves>1e12</staves><transpose><chromatic>-1e12</chromatic>"
      "<octave-change>1e9</octave-change></transpose></attributes><note><pitch><step>C</step><octave>1e300</octave></pitch>"
      "<duration>1</duration><staff>1e12</staff></note></measure></part></score-partwise>");
  put(dir + "/staff.musicxml", xml_score("<note><pitch><step>C</step><alter>-1e300</alter><octave>4</octave></pitch><duration>1</duration>"
                                         "<staff>1e12</staff></note><note><pitch><step>D</step><octave>4</octave></pitch>"
                                         "<duration>1</duration><staff>3e9</staff></note>"));
  // 101 measures, each repeated 1000 times: more than the 100,000 measures repeats may expand to.
  std::string many;
  for (int k = 0; k < 101; ++k) many += "<measure><barline><repeat direction=\"backward\" times=\"1000\"/></barline></measure>";
  put(dir + "/expand.musicxml", "<score-partwise><part-list><score-part id=\"P\"/></part-list><part id=\"P\">" + many +
                                    "</part></score-partwise>");
  int i = 0;
  for (const char* m : bad) put(dir + "/bad" + std::to_string(i++) + ".musicxml", xml_score(m));
  // .mxl: with META-INF/container.xml, without one (the first .musicxml member), with nothing
  // to read, and bytes that start like a zip but are not one.
  mxl(dir + "/container.mxl", {{"META-INF/container.xml", "<container><rootfiles><rootfile full-path=\"s/score.xml\"/></rootfiles></container>"},
                               {"s/score.xml", kDaCapo}});
  mxl(dir + "/nocontainer.mxl", {{"META-INF/other.xml", "<x/>"}, {"readme.txt", "hi"}, {"score.musicxml", kDaCapo}});
  mxl(dir + "/empty.mxl", {{"META-INF/container.xml", "<container"}, {"readme.txt", "hi"}});
  mxl(dir + "/missing.mxl", {{"META-INF/container.xml", "<container><rootfile full-path=\"gone.xml\"/></container>"}});
  put(dir + "/notzip.mxl", std::string("PK\x03\x04", 4) + "not a zip");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  const std::string out = argv[1];
  for (const char* d : {"", "/midi", "/csv", "/musicxml", "/npy", "/selection", "/audio", "/model"}) ::mkdir((out + d).c_str(), 0777);
  put(out + "/npy/c_f4.npy", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }", values<float>(12, 1)));
  put(out + "/npy/f_f8.npy", npy("{'descr': '<f8', 'fortran_order': True, 'shape': (2, 3), }", values<double>(6, 1), 2));
  put(out + "/npy/vec.npy", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (5,), }", values<float>(5, 1), 3));
  const char* selections[] = {"label==right && pitch>=72", "!(pitch<60 || velocity>100) && start>=1.5",
                              "label='a b' || label!=\"x\"", "((duration<0.5))", "index==2 || end<=3"};
  for (int i = 0; i < 5; ++i) put(out + "/selection/s" + std::to_string(i), selections[i]);
  audio(out + "/audio/a.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16);
  audio(out + "/audio/b.wav", SF_FORMAT_WAV | SF_FORMAT_FLOAT);
  audio(out + "/audio/c.flac", SF_FORMAT_FLAC | SF_FORMAT_PCM_16);
  audio(out + "/audio/d.ogg", SF_FORMAT_OGG | SF_FORMAT_VORBIS);
  audio(out + "/audio/e.mp3", SF_FORMAT_MPEG | SF_FORMAT_MPEG_LAYER_III);
  audio(out + "/audio/f.aiff", SF_FORMAT_AIFF | SF_FORMAT_PCM_24);
  audio(out + "/audio/g.au", SF_FORMAT_AU | SF_FORMAT_PCM_S8);
  // A valid model of the smallest geometry: 176 rows (88 pitches + onsets), n_fft 16 -> 9 bins.
  const std::string json =
      "{\"format\": \"notewise-nae-model\", \"version\": 1, \"geometry\": {\"sample_rate\": 22050, \"n_fft\": 16, "
      "\"hop\": 8}, \"constraints\": {\"tolerance\": 0.03, \"tolerance_cents\": 0, \"partials\": 0, \"inharmonicity\": 0, "
      "\"partial_power\": 2, \"before\": 0.1, \"after\": 0.2, \"onset_templates\": true, \"onset_before\": 0.15, "
      "\"onset_after\": 0.1, \"velocity_start\": false}, \"encoder\": {\"hidden_layers\": 0, \"width\": 0}, \"loss\": \"kl\", "
      "\"epochs\": 3, \"final_loss_per_entry\": 0.5, \"training\": {}}";
  put(out + "/model/m0", json + "\n--npy--\n" +
                             npy("{'descr': '<f4', 'fortran_order': False, 'shape': (176, 9), }", values<float>(176 * 9, 0.1)) +
                             "\n--npy--\n" +
                             npy("{'descr': '<f4', 'fortran_order': False, 'shape': (9, 176), }", values<float>(176 * 9, 0.1)));
  audio_seeds(out + "/audio");
  npy_seeds(out + "/npy");
  model_seeds(out + "/model", json);
  csv_seeds(out + "/csv");
  midi_seeds(out + "/midi");
  musicxml_seeds(out + "/musicxml");
  return 0;
}
