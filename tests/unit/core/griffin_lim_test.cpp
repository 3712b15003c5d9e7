#include "notewise/core/griffin_lim.hpp"

#include <gtest/gtest.h>

#include "notewise/core/error.hpp"
#include "../mosaic/test_signals.hpp"

using namespace notewise;

TEST(GriffinLim, ExactStartAndNoIterationsIsTheInverseStft) {
  const VectorXf x = test::glide(0, 0.5, 22050);
  const StftOptions s{1024, 256};
  const MatrixXcf X = stft(x, s);
  const VectorXf y = griffin_lim(X.cwiseAbs(), X, s, x.size(), {.iterations = 0});
  EXPECT_LE((y - x).cwiseAbs().maxCoeff(), 1e-4f);
  EXPECT_LT(spectral_convergence(y, X.cwiseAbs(), s), 1e-4);
}

TEST(GriffinLim, FromZeroPhase_InconsistencyFallsAndEndsSmall) {
  const VectorXf x = test::glide(0, 1.0, 22050);
  const StftOptions s{1024, 256};
  const MatrixXf A = stft(x, s).cwiseAbs();
  const MatrixXcf zero_phase = A.cast<std::complex<float>>();
  double previous = 1e9;
  for (int it : {0, 1, 2, 5, 10, 30}) {
    // The plain algorithm (momentum 0) never raises the inconsistency (Griffin & Lim 1984).
    const double sc = spectral_convergence(griffin_lim(A, zero_phase, s, x.size(), {.iterations = it, .momentum = 0}), A, s);
    EXPECT_LE(sc, previous * (1 + 1e-3)) << it;
    previous = sc;
  }
  const double plain50 = spectral_convergence(griffin_lim(A, zero_phase, s, x.size(), {.iterations = 50, .momentum = 0}), A, s);
  const double fast50 = spectral_convergence(griffin_lim(A, zero_phase, s, x.size(), {.iterations = 50}), A, s);
  EXPECT_LT(fast50, 0.2);
  EXPECT_LT(fast50, plain50);  // the momentum's point
}

TEST(GriffinLim, InvalidArguments) {
  const StftOptions s{64, 16};
  const MatrixXf A = MatrixXf::Ones(33, 5);
  const MatrixXcf P = A.cast<std::complex<float>>();
  EXPECT_THROW(griffin_lim(A, P, s, 1000, {}), InvalidArgument);        // length gives other frames
  EXPECT_THROW(griffin_lim(A, P.leftCols(4), s, 64, {}), InvalidArgument);
  EXPECT_THROW(griffin_lim(-A, P, s, 64, {}), InvalidArgument);
  EXPECT_THROW(griffin_lim(A, P, s, 64, {.iterations = -1}), InvalidArgument);
  EXPECT_THROW(griffin_lim(A, P, s, 64, {.iterations = 1, .momentum = 2.5}), InvalidArgument);
  EXPECT_NO_THROW(griffin_lim(A, P, s, 64, {.iterations = 2}));
}
