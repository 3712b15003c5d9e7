#include "notewise/io/model_io.hpp"

#include <gtest/gtest.h>

#include <filesystem>

#include "notewise/core/error.hpp"
#include "notewise/io/npy.hpp"
#include "notewise/nmf/nmf.hpp"
#include "notewise/score/decompose.hpp"
#include "test_util.hpp"

using namespace notewise;
using notewise::test::TempDir;

namespace {
PianoModel small_model() {
  PianoModel m;
  m.geometry = Geometry::of(StftOptions{256, 64}, 8000, 0);
  m.constraints.onset_templates = true;
  m.layout = PianoModel::piano_layout(true);
  m.weights.encoder = nmf::random_matrix<float>(m.layout.rows(), m.geometry.bins(), 3);
  m.weights.decoder = nmf::random_matrix<float>(m.geometry.bins(), m.layout.rows(), 4);
  m.weights.decoder(5, 7) = 0;
  m.epochs = 12;
  return m;
}
}  // namespace

TEST(ModelIo, SaveThenLoadGivesBitIdenticalOutputs) {
  TempDir dir;
  const PianoModel m = small_model();
  io::write_piano_model(dir.file("m"), m, {{"pieces", 1}}, false);
  const PianoModel back = io::read_piano_model(dir.file("m"));
  EXPECT_EQ(back.weights.encoder, m.weights.encoder);
  EXPECT_EQ(back.weights.decoder, m.weights.decoder);
  EXPECT_EQ(back.geometry.n_fft, 256);
  EXPECT_EQ(back.geometry.hop, 64);
  EXPECT_EQ(back.geometry.sample_rate, 8000);
  EXPECT_EQ(back.epochs, 12);
  // The same decomposition from either.
  const Score score({{0.1, 0.5, 60, 90, "a", 0}, {0.3, 0.4, 67, 90, "b", 1}});
  const MatrixXf V = nmf::random_matrix<float>(m.geometry.bins(), 20, 5);
  Geometry g = m.geometry;
  g.frames = 20;
  DecomposeOptions o;
  o.nmf.max_iterations = 3;
  o.pretrained = std::make_shared<PianoModel>(m);
  const Decomposition a = decompose(V, score, g, o);
  o.pretrained = std::make_shared<PianoModel>(back);
  const Decomposition b = decompose(V, score, g, o);
  EXPECT_EQ(a.H, b.H);
  EXPECT_EQ(a.W, b.W);
  EXPECT_THROW(io::write_piano_model(dir.file("m"), m, {}, false), IoError);  // no silent overwrite
  // With a deeper encoder: its layers come back too, and give the same code.
  PianoModel deep = m;
  deep.hidden = {nmf::random_matrix<float>(8, m.geometry.bins(), 6), nmf::random_matrix<float>(8, 8, 7)};
  deep.out = nmf::random_matrix<float>(m.layout.rows(), 8, 8);
  io::write_piano_model(dir.file("deep"), deep, {}, false);
  const PianoModel deep_back = io::read_piano_model(dir.file("deep"));
  ASSERT_EQ(deep_back.hidden.size(), 2u);
  const std::vector<Index> rows{3, 60, 100};
  const MatrixXf mask = MatrixXf::Ones(3, 20);
  EXPECT_EQ(encode_rows(deep, rows, V, mask), encode_rows(deep_back, rows, V, mask));
  EXPECT_NE(encode_rows(deep, rows, V, mask), encode_rows(m, rows, V, mask));
}

TEST(ModelIo, WrongVersionFormatOrShapeIsAClearError) {
  TempDir dir;
  io::write_piano_model(dir.file("m"), small_model(), {}, false);
  const std::string json = test::read_bytes(dir.file("m/model.json"));
  auto expect_error = [&](const std::string& what) {
    try {
      io::read_piano_model(dir.file("m"));
      ADD_FAILURE() << "no error for " << what;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(what), std::string::npos) << e.what();
    }
  };
  std::string v2 = json;
  v2.replace(v2.find("\"version\": 1"), 12, "\"version\": 2");
  test::write_bytes(dir.file("m/model.json"), v2);
  expect_error("version 2");
  std::string other = json;
  other.replace(other.find("notewise-nae-model"), 18, "something-else-xyz");
  test::write_bytes(dir.file("m/model.json"), other);
  expect_error("not a notewise model");
  test::write_bytes(dir.file("m/model.json"), json);
  io::write_npy(dir.file("m/encoder.npy"), MatrixXf::Ones(3, 4), true);
  expect_error("expected 176 x 129");
  std::filesystem::remove(dir.file("m/encoder.npy"));
  expect_error("encoder.npy");
  expect_error("m");
  EXPECT_THROW(io::read_piano_model(dir.file("nothing-here")), IoError);
}
