#include "notewise/align/fit.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <vector>

namespace notewise {

ScoreFit score_fit(const Eigen::Ref<const VectorXf>& audio, double sr, const Score& score, const FitOptions& o) {
  ScoreFit fit;
  if (std::string why = score_length_problem(score, static_cast<double>(audio.size()) / sr); !why.empty()) {
    // Far longer than the recording: it cannot fit, and there is no alignment to offer.
    fit.fits = false;
    fit.cost_as_given = 1;
    fit.median_shift = score.end();
    fit.problem = std::move(why);
    return fit;
  }
  fit.alignment = align_score(audio, sr, score, o.align);
  fit.cost_aligned = fit.alignment.cost;

  // The score as given, on the audio's frames.
  const MatrixXf A = audio_features(audio, sr, o.align);
  const int hop = std::clamp(static_cast<int>(std::lround(sr / o.align.feature_rate)), 1, o.align.n_fft / 2);
  const double dt = hop / sr;
  const MatrixXf S = score_features(score, A.cols(), dt, o.align);
  std::vector<char> sounds(static_cast<std::size_t>(A.cols()), 0);
  for (const Note& n : score.notes()) {
    const Index a = std::max<Index>(0, static_cast<Index>(std::floor(n.onset / dt)));
    const Index b = std::min<Index>(A.cols(), static_cast<Index>(std::ceil(n.offset() / dt)));
    for (Index j = a; j < b; ++j) sounds[static_cast<std::size_t>(j)] = 1;
  }
  double sum = 0;
  Index count = 0;
  for (Index j = 0; j < A.cols(); ++j)
    if (sounds[static_cast<std::size_t>(j)]) {
      sum += 1.0 - A.col(j).head(12).dot(S.col(j).head(12));
      ++count;
    }
  // No note within the audio at all: nothing fits.
  fit.cost_as_given = count > 0 ? sum / static_cast<double>(count) : 1.0;

  std::vector<double> shift;
  const auto& given = score.notes();
  const auto& aligned = fit.alignment.aligned.notes();
  for (std::size_t i = 0; i < aligned.size(); ++i)
    shift.push_back(std::abs(aligned[i].onset - given[fit.alignment.score_notes[i]].onset));
  std::nth_element(shift.begin(), shift.begin() + static_cast<std::ptrdiff_t>(shift.size() / 2), shift.end());
  fit.median_shift = shift[shift.size() / 2];

  char why[200] = "";
  if (fit.median_shift > o.max_shift)
    std::snprintf(why, sizeof why, "aligning it moves its onsets by %.2f s (median)", fit.median_shift);
  else if (fit.cost_aligned <= o.align.poor_cost && fit.cost_as_given - fit.cost_aligned > o.max_cost_gain)
    std::snprintf(why, sizeof why, "its chroma matches the audio far better aligned (cost %.2f) than as given (%.2f)",
                  fit.cost_aligned, fit.cost_as_given);
  fit.problem = why;
  fit.fits = fit.problem.empty();
  return fit;
}

}  // namespace notewise
