#include "notewise/eval/bss_eval.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <random>

#include "notewise/core/error.hpp"
#include "notewise/io/audio.hpp"

using namespace notewise;

namespace {
MatrixXd noise(Index rows, Index n, unsigned seed) {
  std::mt19937 g(seed);
  std::normal_distribution<double> d;
  MatrixXd m(rows, n);
  for (Index i = 0; i < rows; ++i)
    for (Index j = 0; j < n; ++j) m(i, j) = d(g);
  return m;
}
}  // namespace

// mir_eval's numbers for 6 s excerpts of the shared pieces (tests/fixtures/make_eval_fixtures.py).
class BssEvalMatchesMirEval : public ::testing::TestWithParam<std::string> {};

TEST_P(BssEvalMatchesMirEval, Within0p1dB) {
  const std::string dir = NOTEWISE_FIXTURES "/eval/";
  std::ifstream f(dir + "mir_eval_scores.json");
  const auto want = nlohmann::json::parse(f)[GetParam()];
  const char* stems[] = {"left", "right"};
  MatrixXd R(2, 0), E(2, 0);
  for (int i = 0; i < 2; ++i) {
    const VectorXd r = io::read_audio(dir + GetParam() + "_ref_" + stems[i] + ".wav").mono().cast<double>();
    const VectorXd e = io::read_audio(dir + GetParam() + "_est_" + stems[i] + ".wav").mono().cast<double>();
    if (i == 0) {
      R.resize(2, r.size());
      E.resize(2, r.size());
    }
    R.row(i) = r;
    E.row(i) = e;
  }
  const BssScores s = bss_eval_sources(R, E);
  for (int i = 0; i < 2; ++i) {
    EXPECT_NEAR(s.sdr[i], want[stems[i]]["SDR"].get<double>(), 0.1) << stems[i];
    EXPECT_NEAR(s.sir[i], want[stems[i]]["SIR"].get<double>(), 0.1) << stems[i];
    EXPECT_NEAR(s.sar[i], want[stems[i]]["SAR"].get<double>(), 0.1) << stems[i];
    EXPECT_NEAR(s.si_sdr[i], want[stems[i]]["SI_SDR"].get<double>(), 0.01) << stems[i];
  }
}

INSTANTIATE_TEST_SUITE_P(SharedPieces, BssEvalMatchesMirEval, ::testing::Values("chopin_op64_1", "mozart_k545_1"));

TEST(BssEval, KnownAnswer_AddedInterferenceAndNoise) {
  // est_0 = s_0 + 0.1 s_1: no artefacts, SIR = 20 dB (the sources are nearly orthogonal noise).
  const MatrixXd S = noise(2, 20000, 1);
  MatrixXd E = S;
  E.row(0) += 0.1 * S.row(1);
  const BssScores s = bss_eval_sources(S, E, 32);
  EXPECT_NEAR(s.sir[0], 20.0, 0.2);
  EXPECT_GT(s.sar[0], 40.0);
  EXPECT_NEAR(s.sdr[0], 20.0, 0.2);
  EXPECT_GT(s.sdr[1], 100.0);  // a perfect estimate (numerically infinite)
  // A filtered (delayed) copy of the source is not distortion for BSS Eval v3...
  MatrixXd D = S;
  D.row(0).tail(19990) = S.row(0).head(19990);
  D.row(0).head(10).setZero();
  EXPECT_GT(bss_eval_sources(S, D, 32).sdr[0], 30.0);
  // ...but it is for SI-SDR.
  EXPECT_LT(bss_eval_sources(S, D, 32).si_sdr[0], 1.0);
}

TEST(BssEval, SiSdrKnownAnswer) {
  VectorXd s = noise(1, 1000, 3).row(0).transpose();
  const VectorXd n = noise(1, 1000, 4).row(0).transpose();
  const VectorXd e = 3.0 * s + 0.3 * (n - n.dot(s) / s.dot(s) * s);  // scaled source + orthogonal error
  const double want = 10 * std::log10((3.0 * s).squaredNorm() / (e - 3.0 * s).squaredNorm());
  EXPECT_NEAR(si_sdr(s, e), want, 1e-9);
}

TEST(BssEval, InvalidInput) {
  EXPECT_THROW(bss_eval_sources(MatrixXd(0, 0), MatrixXd(0, 0)), InvalidArgument);
  EXPECT_THROW(bss_eval_sources(noise(2, 100, 1), noise(2, 99, 1), 8), InvalidArgument);
  MatrixXd silent = noise(2, 100, 1);
  silent.row(1).setZero();
  EXPECT_THROW(bss_eval_sources(silent, noise(2, 100, 2), 8), InvalidArgument);
  EXPECT_THROW(bss_eval_sources(noise(2, 100, 1), noise(2, 100, 2), 0), InvalidArgument);
  // A silent estimate is scored, not refused: -inf SDR.
  MatrixXd est = noise(2, 100, 2);
  est.row(0).setZero();
  EXPECT_TRUE(std::isinf(bss_eval_sources(noise(2, 100, 1), est, 8).sdr[0]));
}
