// End-to-end tests of the lecture's applications (issue #20): mosaic, drums, pitch editing.
// Each runs the real binary on generated signals and checks a property one can hear.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <filesystem>

#include "notewise/core/stft.hpp"
#include "notewise/io/audio.hpp"
#include "notewise/io/npy.hpp"
#include "notewise/io/score_io.hpp"
#include "test_util.hpp"
#include "unit/mosaic/test_signals.hpp"
#include "unit/separation/drum_signals.hpp"
#include "unit/separation/pitch_signals.hpp"
#include <nlohmann/json.hpp>

using namespace notewise;
using notewise::test::CliRun;
using notewise::test::notewise_cli;
using notewise::test::TempDir;

namespace {
int lines(const std::string& s) { return static_cast<int>(std::count(s.begin(), s.end(), '\n')); }
}  // namespace

TEST(CliMosaic, GlidePieces_DiagonalActivationsAndTargetLikeSpectrogram) {
  TempDir dir;
  const int rate = 22050;
  const auto [source, target] = test::glide_source_and_target(rate);
  io::write_wav(dir.file("source.wav"), source, rate, io::SampleFormat::Float32);
  // The target at another rate and in stereo: the command mixes down and resamples.
  const VectorXf target44 = test::glide_source_and_target(44100).second;
  MatrixXf stereo(target44.size(), 2);
  stereo.col(0) = target44;
  stereo.col(1) = target44;
  io::write_wav(dir.file("target.wav"), stereo, 44100, io::SampleFormat::Float32);
  const CliRun r = notewise_cli("-q mosaic " + dir.file("target.wav") + " --source " + dir.file("source.wav") + " --out " +
                           dir.file("m.wav") + " --figures " + dir.file("fig"));
  ASSERT_EQ(r.code, 0) << r.err;
  for (const char* f : {"activations.png", "target.png", "mosaic.png", "loss.png", "H.npy", "loss.csv", "report.json"})
    EXPECT_TRUE(std::filesystem::exists(dir.file(std::string("fig/") + f))) << f;
  const MatrixXf H = io::read_npy(dir.file("fig/H.npy"));
  const StftOptions s{2048, 512};
  ASSERT_EQ(H.rows(), s.frames(source.size()));
  ASSERT_EQ(H.cols(), s.frames(target.size()));
  const Index piece = rate / s.hop;
  EXPECT_GT(test::diagonal_fraction(H, {piece, 2 * piece, 3 * piece}), 0.9);
  const io::Audio m = io::read_audio(dir.file("m.wav"));
  EXPECT_EQ(m.sample_rate, rate);
  ASSERT_EQ(m.frames(), target.size());
  EXPECT_GT(test::log_correlation(stft(m.mono(), s).cwiseAbs(), stft(target, s).cwiseAbs()), 0.8);
  // Kept unless --force.
  EXPECT_EQ(notewise_cli("-q mosaic " + dir.file("target.wav") + " --source " + dir.file("source.wav") + " --out " + dir.file("m.wav")).code, 1);
}

TEST(CliMosaic, BadInput) {
  TempDir dir;
  io::write_wav(dir.file("t.wav"), test::glide(0, 0.5, 22050), 22050);
  const CliRun missing = notewise_cli("-q mosaic " + dir.file("t.wav") + " --source " + dir.file("none.wav") + " --out " + dir.file("m.wav"));
  EXPECT_EQ(missing.code, 1);
  EXPECT_EQ(lines(missing.err), 1) << missing.err;
  EXPECT_NE(missing.err.find("none.wav"), std::string::npos) << missing.err;
  EXPECT_FALSE(std::filesystem::exists(dir.file("m.wav")));
  const CliRun even = notewise_cli("-q mosaic " + dir.file("t.wav") + " --source " + dir.file("t.wav") + " --continuity 4 --out " + dir.file("m.wav"));
  EXPECT_EQ(even.code, 2);
  EXPECT_NE(even.err.find("continuity"), std::string::npos) << even.err;
  EXPECT_EQ(notewise_cli("-q mosaic " + dir.file("t.wav") + " --out " + dir.file("m.wav")).code, 2);  // no --source
  EXPECT_FALSE(std::filesystem::exists(dir.file("m.wav")));
}

TEST(CliDrums, GeneratedRockBeat_StemsAboveFloorAndSumToMix) {
  TempDir dir;
  const int rate = 22050;
  const test::DrumMix d = test::rock_beat(4, rate);
  io::write_wav(dir.file("mix.wav"), d.mix, rate, io::SampleFormat::Float32);
  std::filesystem::create_directories(dir.file("truth"));
  const char* names[] = {"kick", "snare", "hihat"};
  for (int c = 0; c < 3; ++c)
    io::write_wav(dir.file(std::string("truth/") + names[c] + ".wav"), d.stems[static_cast<std::size_t>(c)], rate, io::SampleFormat::Float32);
  std::string csv = "start,duration,pitch,velocity,label\n";
  for (const auto& n : d.notes)
    csv += std::to_string(n.onset) + "," + std::to_string(n.duration) + "," + std::to_string(n.pitch) + "," +
           std::to_string(n.velocity) + ",drums\n";
  test::write_bytes(dir.file("score.csv"), csv);
  const CliRun r = notewise_cli("-q drums " + dir.file("mix.wav") + " --score " + dir.file("score.csv") + " --out " +
                           dir.file("out") + " --reference " + dir.file("truth") + " --format float32");
  ASSERT_EQ(r.code, 0) << r.err;
  for (const char* f : {"kick.wav", "snare.wav", "hihat.wav", "W.npy", "H.npy", "H0.npy", "loss.csv", "activations.png", "templates.png"})
    EXPECT_TRUE(std::filesystem::exists(dir.file(std::string("out/") + f))) << f;
  const auto report = nlohmann::json::parse(test::read_bytes(dir.file("out/report.json")));
  for (const char* c : {"kick", "snare", "hihat"}) {
    const double sdr = report["scores"]["stems"][c]["SDR"].get<double>();
    // Measured 21.1, 10.6, 10.0 dB on this 4-bar beat; the floor is 6 dB.
    std::printf("%s: SDR %.2f dB\n", c, sdr);
    EXPECT_GT(sdr, 6.0) << c;
  }
  MatrixXf sum = MatrixXf::Zero(d.mix.size(), 1);
  for (const char* c : {"kick", "snare", "hihat"}) sum += io::read_audio(dir.file(std::string("out/") + c + ".wav")).samples;
  EXPECT_LE((sum.col(0) - d.mix).cwiseAbs().maxCoeff(), 1e-4f);
  // User classes: the hi-hat and the snare as one class.
  const CliRun u = notewise_cli("-q drums " + dir.file("mix.wav") + " --score " + dir.file("score.csv") + " --out " + dir.file("out2") +
                           " --class low='pitch==36' --class high=others -n 5 --template-iterations 5");
  ASSERT_EQ(u.code, 0) << u.err;
  EXPECT_TRUE(std::filesystem::exists(dir.file("out2/low.wav")));
  EXPECT_TRUE(std::filesystem::exists(dir.file("out2/high.wav")));
}

TEST(CliDrums, BadInput) {
  TempDir dir;
  io::write_wav(dir.file("mix.wav"), test::glide(0, 1, 22050), 22050);
  test::write_bytes(dir.file("score.csv"), "start,duration,pitch,velocity,label\n0.1,0.1,36,100,drums\n");
  const std::string base = "-q drums " + dir.file("mix.wav") + " --score " + dir.file("score.csv") + " --out " + dir.file("o");
  const CliRun nomatch = notewise_cli(base + " --class snare='pitch==38'");
  EXPECT_EQ(nomatch.code, 1);
  EXPECT_EQ(lines(nomatch.err), 1) << nomatch.err;
  EXPECT_FALSE(std::filesystem::exists(dir.file("o")));
  EXPECT_EQ(notewise_cli(base + " --alpha 0").code, 2);
  EXPECT_EQ(notewise_cli(base + " --fix-templates").code, 2);
  const CliRun missing = notewise_cli("-q drums " + dir.file("mix.wav") + " --score " + dir.file("none.csv") + " --out " + dir.file("o"));
  EXPECT_EQ(missing.code, 1);
  EXPECT_NE(missing.err.find("none.csv"), std::string::npos) << missing.err;
  EXPECT_FALSE(std::filesystem::exists(dir.file("o")));
}

namespace {
// A band of generated signals: the 4-bar rock beat of the drum tests with a bass line and
// piano triads (piano-like partials), the true stems in truth/, the score as CSV (drum rows
// labelled drums) and MIDI (drums on channel 10).
struct Band {
  std::vector<std::string> stems = {"bass", "piano", "kick", "snare", "hihat"};
};
Band write_band(const TempDir& dir, int rate) {
  const test::DrumMix d = test::rock_beat(4, rate);
  std::vector<Note> bass, piano, all;
  for (int b = 0; b < 4; ++b) {
    for (int k = 0; k < 4; ++k) {
      Note n;
      n.onset = 0.1 + b * 2.0 + k * 0.5;
      n.duration = 0.4;
      n.pitch = (b % 2 ? 43 : 40) + (k == 3 ? 7 : 0);
      n.label = "bass";
      bass.push_back(n);
    }
    for (int p : {64, 67, 71}) {
      Note n;
      n.onset = 0.1 + b * 2.0;
      n.duration = 1.8;
      n.pitch = p - (b % 2) * 2;
      n.label = "piano";
      piano.push_back(n);
    }
  }
  const double seconds = static_cast<double>(d.mix.size()) / rate;
  VectorXf vb = test::piano_like(bass, seconds, rate), vp = test::piano_like(piano, seconds, rate);
  vb.conservativeResize(d.mix.size());
  vp.conservativeResize(d.mix.size());
  std::filesystem::create_directories(dir.file("truth"));
  io::write_wav(dir.file("truth/bass.wav"), vb, rate, io::SampleFormat::Float32);
  io::write_wav(dir.file("truth/piano.wav"), vp, rate, io::SampleFormat::Float32);
  const char* names[] = {"kick", "snare", "hihat"};
  for (int c = 0; c < 3; ++c)
    io::write_wav(dir.file(std::string("truth/") + names[c] + ".wav"), d.stems[static_cast<std::size_t>(c)], rate, io::SampleFormat::Float32);
  io::write_wav(dir.file("truth/drums.wav"), d.mix, rate, io::SampleFormat::Float32);
  io::write_wav(dir.file("mix.wav"), VectorXf(d.mix + vb + vp), rate, io::SampleFormat::Float32);
  std::string csv = "start,duration,pitch,velocity,label\n";
  const auto row = [&](const Note& n, const std::string& label) {
    csv += std::to_string(n.onset) + "," + std::to_string(n.duration) + "," + std::to_string(n.pitch) + "," +
           std::to_string(n.velocity) + "," + label + "\n";
  };
  for (const auto& n : bass) row(n, "bass"), all.push_back(n);
  for (const auto& n : piano) row(n, "piano"), all.push_back(n);
  for (Note n : d.notes) {
    row(n, "drums");
    n.label = "drums";
    n.channel = 9;  // written on MIDI channel 10
    all.push_back(n);
  }
  test::write_bytes(dir.file("score.csv"), csv);
  io::write_midi_score(dir.file("score.mid"), Score(all), true);
  return {};
}
}  // namespace

TEST(CliEdit, ShiftTime_MovesTheNotesOnsetByTheAskedTimeAndLeavesTheRestBitIdentical) {
  TempDir dir;
  const int rate = 22050;
  std::vector<Note> notes(4);
  const double on[] = {0.0, 2.0, 2.0, 4.5};
  const int pitch[] = {60, 64, 72, 67};
  std::string csv = "start,duration,pitch,velocity,label\n";
  for (std::size_t i = 0; i < 4; ++i) {
    notes[i].onset = on[i];
    notes[i].duration = 1.0;
    notes[i].pitch = pitch[i];
    csv += std::to_string(on[i]) + ",1.0," + std::to_string(pitch[i]) + ",100,piano\n";
  }
  test::write_bytes(dir.file("s.csv"), csv);
  io::write_wav(dir.file("mix.wav"), test::piano_like(notes, 6.5, rate), rate, io::SampleFormat::Pcm16);
  const double moved = 0.5;
  const CliRun r = notewise_cli("-q edit " + dir.file("mix.wav") + " --score " + dir.file("s.csv") +
                                " --shift-time 'pitch==64'=+0.5 --out " + dir.file("edited.wav"));
  ASSERT_EQ(r.code, 0) << r.err;
  const io::Audio in = io::read_audio(dir.file("mix.wav")), out = io::read_audio(dir.file("edited.wav"));
  ASSERT_EQ(out.frames(), in.frames());
  // Untouched before E4 can sound (2.0 - 0.25 s - half the 4096-point window) and after it can
  // no longer sound where it went (3.5 + 1.2 s + the same).
  const Index a = static_cast<Index>((2.0 - 0.25 - 0.093) * rate), b = static_cast<Index>((3.0 + moved + 1.2 + 0.093) * rate) + 1;
  EXPECT_EQ(out.samples.topRows(a), in.samples.topRows(a));
  EXPECT_EQ(out.samples.bottomRows(in.frames() - b), in.samples.bottomRows(in.frames() - b));
  // The onset of E4's fundamental (no other note has a partial near 330 Hz): the first frame
  // where its bin reaches half its peak, in the input and in the edit.
  const StftOptions so{4096, 512};
  const Index bin = static_cast<Index>(std::lround(pitch_to_hz(64) * so.n_fft / rate));
  const auto onset = [&](const io::Audio& x) {
    const MatrixXf S = stft(x.mono(), so).cwiseAbs();
    const float peak = S.row(bin).maxCoeff();
    Index n = 0;
    while (n < S.cols() && S(bin, n) < 0.5f * peak) ++n;
    return static_cast<double>(n * so.hop) / rate;
  };
  const double before = onset(in), after = onset(out), hop = static_cast<double>(so.hop) / rate;
  std::printf("E4 onset: %.3f s in the input, %.3f s edited (asked +%.2f s)\n", before, after, moved);
  EXPECT_NEAR(after - before, moved, hop);
  // The other notes' fundamentals keep their level where E4 left (C5 at 2.0 .. 3.0 s).
  const VectorXf seg_in = in.samples.col(0).segment(static_cast<Index>(2.1 * rate), static_cast<Index>(0.3 * rate));
  const VectorXf seg_out = out.samples.col(0).segment(static_cast<Index>(2.1 * rate), static_cast<Index>(0.3 * rate));
  EXPECT_NEAR(test::magnitude_at(seg_out, pitch_to_hz(72), rate) / test::magnitude_at(seg_in, pitch_to_hz(72), rate), 1.0, 0.1);
  EXPECT_LT(test::magnitude_at(seg_out, pitch_to_hz(64), rate), 0.1 * test::magnitude_at(seg_in, pitch_to_hz(64), rate));
  const std::string base = "-q --force edit " + dir.file("mix.wav") + " --score " + dir.file("s.csv") + " --out " + dir.file("e2.wav");
  EXPECT_EQ(notewise_cli(base + " --shift-time 'pitch==64'=soon").code, 2);
  EXPECT_EQ(notewise_cli(base + " --shift-time 'pitch==64'=+100").code, 2);
  EXPECT_FALSE(std::filesystem::exists(dir.file("e2.wav")));
}

TEST(CliSeparate, Band_DrumClassesBesideThePitchedGroups_StemsAboveFloorAndPitchedBetterThanDrumsIgnored) {
  TempDir dir;
  const int rate = 22050;
  const Band band = write_band(dir, rate);
  const std::string base = "-q separate " + dir.file("mix.wav") + " --no-report --format float32 --reference " + dir.file("truth");
  const CliRun r = notewise_cli(base + " --score " + dir.file("score.csv") + " --out " + dir.file("out"));
  ASSERT_EQ(r.code, 0) << r.err;
  for (const char* f : {"bass.wav", "piano.wav", "kick.wav", "snare.wav", "hihat.wav", "drums_W.npy", "drums_H.npy", "W.npy", "index.json"})
    EXPECT_TRUE(std::filesystem::exists(dir.file(std::string("out/") + f))) << f;
  EXPECT_FALSE(std::filesystem::exists(dir.file("out/drums.wav")));  // the drum track's label is no pitched group
  const auto report = nlohmann::json::parse(test::read_bytes(dir.file("out/report.json")));
  const auto index = nlohmann::json::parse(test::read_bytes(dir.file("out/index.json")));
  ASSERT_EQ(report["groups"].size(), 5u);
  EXPECT_EQ(report["groups"][0]["model"], "harmonic");
  EXPECT_EQ(report["groups"][2]["name"], "kick");
  EXPECT_EQ(report["groups"][2]["model"], "drum template (NMFD)");
  EXPECT_EQ(report["drums"]["classes"].size(), 3u);
  ASSERT_EQ(index["drums"]["classes"].size(), 3u);
  EXPECT_EQ(index["drums"]["classes"][1]["class"], "snare");
  const MatrixXf Hd = io::read_npy(dir.file("out/drums_H.npy"));
  EXPECT_EQ(Hd.rows(), 3);
  // The stems sum to the mix (masks sum to one).
  const io::Audio mix = io::read_audio(dir.file("mix.wav"));
  MatrixXf sum = MatrixXf::Zero(mix.frames(), 1);
  for (const auto& g : band.stems) sum += io::read_audio(dir.file("out/" + g + ".wav")).samples;
  EXPECT_LE((sum - mix.samples).cwiseAbs().maxCoeff(), 1e-4f);
  // The same mix with the drums left out of the model: their sound goes to the pitched stems.
  const CliRun ig = notewise_cli(base + " --score " + dir.file("score.csv") + " --out " + dir.file("ignored") + " --drums ignore");
  ASSERT_EQ(ig.code, 0) << ig.err;
  EXPECT_FALSE(std::filesystem::exists(dir.file("ignored/kick.wav")));
  const auto ignored = nlohmann::json::parse(test::read_bytes(dir.file("ignored/report.json")));
  for (const auto& g : band.stems) {
    const double sdr = report["scores"]["stems"][g]["SDR"].get<double>();
    std::printf("%s: SDR %.2f dB", g.c_str(), sdr);
    if (g == "bass" || g == "piano") {
      const double without = ignored["scores"]["stems"][g]["SDR"].get<double>();
      std::printf(" (drums ignored: %.2f dB)", without);
      EXPECT_GE(sdr, without) << g;
    }
    std::printf("\n");
    // Measured 7.7, 12.7, 15.0, 6.6, 6.2 dB (drums ignored: bass -3.4, piano -1.4 dB); the floor is 4 dB.
    EXPECT_GT(sdr, 4.0) << g;
  }
  // The MIDI score (drums on channel 10), one 'drums' stem (--drums kit).
  const CliRun kit = notewise_cli(base + " --score " + dir.file("score.mid") + " --out " + dir.file("kit") + " --drums kit");
  ASSERT_EQ(kit.code, 0) << kit.err;
  for (const char* f : {"bass.wav", "piano.wav", "drums.wav"}) EXPECT_TRUE(std::filesystem::exists(dir.file(std::string("kit/") + f))) << f;
  EXPECT_FALSE(std::filesystem::exists(dir.file("kit/kick.wav")));
  const auto kr = nlohmann::json::parse(test::read_bytes(dir.file("kit/report.json")));
  const double kit_sdr = kr["scores"]["stems"]["drums"]["SDR"].get<double>();
  std::printf("kit: drums SDR %.2f dB\n", kit_sdr);
  EXPECT_GT(kit_sdr, 6.0);  // measured 14.9 dB
}

TEST(CliSeparate, DrumsOnly_SaysToUseDrums) {
  TempDir dir;
  io::write_wav(dir.file("mix.wav"), test::glide(0, 1, 22050), 22050);
  test::write_bytes(dir.file("score.csv"), "start,duration,pitch,velocity,label\n0.1,0.1,36,100,drums\n");
  const CliRun r = notewise_cli("-q separate " + dir.file("mix.wav") + " --score " + dir.file("score.csv") + " --out " + dir.file("o"));
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(lines(r.err), 1) << r.err;
  EXPECT_NE(r.err.find("notewise drums"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir.file("o")));
  EXPECT_EQ(notewise_cli("-q separate " + dir.file("mix.wav") + " --score " + dir.file("score.csv") + " --out " + dir.file("o") +
                         " --drums all").code, 2);
}

TEST(CliEdit, Transpose_MovesTheNoteAndLeavesTheRestBitIdentical) {
  TempDir dir;
  const int rate = 22050;
  std::vector<Note> notes(4);
  const double on[] = {0.0, 2.0, 2.0, 4.5};
  const int pitch[] = {60, 64, 72, 67};
  std::string csv = "start,duration,pitch,velocity,label\n";
  for (std::size_t i = 0; i < 4; ++i) {
    notes[i].onset = on[i];
    notes[i].duration = 1.0;
    notes[i].pitch = pitch[i];
    csv += std::to_string(on[i]) + ",1.0," + std::to_string(pitch[i]) + ",100,piano\n";
  }
  test::write_bytes(dir.file("s.csv"), csv);
  io::write_wav(dir.file("mix.wav"), test::piano_like(notes, 6.5, rate), rate, io::SampleFormat::Pcm16);
  const CliRun r = notewise_cli("-q edit " + dir.file("mix.wav") + " --score " + dir.file("s.csv") +
                           " --transpose 'pitch==64 && start>1'=+1 --out " + dir.file("edited.wav"));
  ASSERT_EQ(r.code, 0) << r.err;
  const io::Audio in = io::read_audio(dir.file("mix.wav")), out = io::read_audio(dir.file("edited.wav"));
  ASSERT_EQ(out.frames(), in.frames());
  // Nothing of E4 sounds before 2.0 - 0.25 s - half the 4096-point window, nor after
  // 3.0 + 1.2 s + the same: there the file is the input's, sample for sample.
  const Index a = static_cast<Index>((2.0 - 0.25 - 0.093) * rate), b = static_cast<Index>((3.0 + 1.2 + 0.093) * rate) + 1;
  EXPECT_EQ(out.samples.topRows(a), in.samples.topRows(a));
  EXPECT_EQ(out.samples.bottomRows(in.frames() - b), in.samples.bottomRows(in.frames() - b));
  EXPECT_NE(out.samples.middleRows(a, b - a), in.samples.middleRows(a, b - a));
  const VectorXf seg = out.samples.col(0).segment(static_cast<Index>(2.1 * rate), static_cast<Index>(0.8 * rate));
  for (int m : {1, 2}) {
    const double f = test::peak_between(seg, m * pitch_to_hz(64) * 0.98, m * pitch_to_hz(65) * 1.02, rate);
    EXPECT_NEAR(test::cents(f, m * pitch_to_hz(65)), 0.0, 10.0) << "partial " << m;
  }
  // Usage errors and a selection of nothing.
  const std::string base = "-q --force edit " + dir.file("mix.wav") + " --score " + dir.file("s.csv") + " --out " + dir.file("e2.wav");
  EXPECT_EQ(notewise_cli(base + " --transpose 'pitch==64'").code, 2);
  EXPECT_EQ(notewise_cli(base + " --transpose 'pitch==64'=up").code, 2);
  EXPECT_EQ(notewise_cli(base + " --transpose 'pitch==64'=+30").code, 2);
  EXPECT_EQ(notewise_cli(base + " --transpose 'pitch==64'=+1 --gain piano=-3dB").code, 2);
  const CliRun none = notewise_cli(base + " --transpose 'pitch==99'=+1");
  EXPECT_EQ(none.code, 1);
  EXPECT_EQ(lines(none.err), 1) << none.err;
  EXPECT_FALSE(std::filesystem::exists(dir.file("e2.wav")));
}
