#include "notewise/align/fit.hpp"

#include <gtest/gtest.h>

#include "notewise/io/audio.hpp"
#include "notewise/io/resample.hpp"
#include "notewise/io/score_io.hpp"

using namespace notewise;

// The shipped example's synchronised score fits as given; the same score at another tempo and
// start (as a downloaded MIDI file would be) does not, and the check says why.
TEST(ScoreFit, SynchronisedFitsAndOtherTempoAndStartDoNot) {
  const io::Audio audio = io::read_audio(NOTEWISE_EXAMPLES "/chopin_op64_1/mix.wav");
  const VectorXf x = io::resample(audio.mono(), audio.sample_rate, 22050).col(0);
  const Score score = io::read_score(NOTEWISE_EXAMPLES "/chopin_op64_1/score.csv");
  const ScoreFit good = score_fit(x, 22050, score);
  EXPECT_TRUE(good.fits) << good.problem;
  EXPECT_LT(good.median_shift, 0.05);
  EXPECT_LT(good.cost_as_given - good.cost_aligned, 0.03);

  for (const auto& [factor, shift] : {std::pair{1.15, 1.0}, std::pair{1.0, 0.6}, std::pair{0.9, 0.0}}) {
    const ScoreFit bad = score_fit(x, 22050, score.warped(factor, shift));
    EXPECT_FALSE(bad.fits) << "factor " << factor << " shift " << shift;
    EXPECT_FALSE(bad.problem.empty());
    EXPECT_GT(bad.median_shift, 0.15) << "factor " << factor << " shift " << shift;
  }
}
