// End-to-end tests of the lecture's applications (issue #20): mosaic, drums, pitch editing.
// Each runs the real binary on generated signals and checks a property one can hear.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <filesystem>

#include "notewise/core/stft.hpp"
#include "notewise/io/audio.hpp"
#include "notewise/io/npy.hpp"
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
