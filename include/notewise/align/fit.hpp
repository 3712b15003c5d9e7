#pragma once
// Does a score fit a recording as it is, or must it be synchronised first?
//
// A score that is not synchronised with the recording (another tempo, another start) gives
// masks that follow the wrong frames: stems worse than the mix itself. So the score's features
// (align.hpp: chroma from its notes) are compared with the audio's frame by frame as given, and
// along the best alignment. A synchronised score fits about as well as given as aligned, and its
// notes move little when aligned; an unsynchronised one fits far worse as given, and its notes
// move by a large part of a beat.
#include <string>

#include "notewise/align/align.hpp"

namespace notewise {

struct ScoreFit {
  double cost_as_given = 0;  // mean chroma cost 1 - <a, s> over the frames where the score sounds, as given
  double cost_aligned = 0;   // the same along the alignment path (Alignment::cost)
  double median_shift = 0;   // median |aligned onset - given onset| over the notes, s
  // median_shift <= max_shift, and (where the aligned score matches at all, cost_aligned <=
  // align.poor_cost) cost_as_given - cost_aligned <= max_cost_gain
  bool fits = true;
  std::string problem;       // why it does not fit, in words (empty if it fits)
  // The alignment computed on the way (for PipelineOptions::align_auto); none (an empty warp) for a score too
  // long for the recording (score_length_problem), which does not fit.
  Alignment alignment;
};

struct FitOptions {
  AlignOptions align;
  double max_shift = 0.15;      // s: a synchronised score's onsets move by the aligner's error only
  double max_cost_gain = 0.08;  // the alignment explains the audio this much better: not synchronised
};

// audio: mono at sample_rate. Throws InvalidArgument as align_score does.
ScoreFit score_fit(const Eigen::Ref<const VectorXf>& audio, double sample_rate, const Score& score,
                   const FitOptions& options = {});

}  // namespace notewise
