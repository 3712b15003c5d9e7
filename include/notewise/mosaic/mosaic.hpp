#pragma once
// Audio mosaicing (Driedger, Praetzlich & Mueller, "Let It Bee - Towards NMF-Inspired Audio
// Mosaicing", ISMIR 2015): a target's sound rebuilt from the frames of a source recording.
//
//   W   = |STFT(source)|, K x M: every source frame is a template, fixed
//   V   = |STFT(target)|, K x N
//   H   : M x N activations (source frame x target frame), from a seeded random start
//   KL multiplicative updates of H (nmf::factorize with W fixed), and in every
//   `restrict_every`-th iteration l of L, before its update, the paper's restrictions
//   (Sec. 3, eqs. 3-6), with the factor f = 1 - l / L that hardens them as l approaches L:
//     repetition   R = H where H is the maximum of its row's neighbourhood H(i, j-r .. j+r),
//                  else f H: a source frame is not used in consecutive target frames
//     polyphony    P = R at the p largest entries of each column, else f R: few source
//                  frames sound at once
//     continuity   C(i, j) = sum_{k=-c..c} P(i+k, j+k) (a diagonal kernel of length 2c+1):
//                  source frames are used in their order
//   the mosaic's complex STFT  Y = STFT(source) H  (the source's phases), and its magnitude
//   W H refined by Griffin-Lim (griffin_lim.hpp) from Y's phase.
// Defaults: the paper's p = 10, r = 3 and a diagonal of length 7 (c = 3); 30 iterations
// with the restrictions in every 5th (issue #20; restrict_every = 1 is the paper's
// Algorithm 1, where they are applied before every update); 50 Griffin-Lim iterations.
// Thread safety: pure functions.
#include <cstdint>
#include <vector>

#include "notewise/core/griffin_lim.hpp"
#include "notewise/core/stft.hpp"
#include "notewise/nmf/nmf.hpp"

namespace notewise::mosaic {

struct Options {
  StftOptions stft{2048, 512};  // both signals, at their common sample rate
  int iterations = 30;          // L, >= 1
  int restrict_every = 5;       // restrictions before the update of iterations l = k * every; >= 1
  int repetition = 3;           // r, frames on each side (0: no repetition restriction)
  int polyphony = 10;           // p, >= 1
  int continuity = 7;           // diagonal kernel length 2c + 1: odd, >= 1 (1: none)
  GriffinLimOptions griffin_lim{};  // iterations 0: the mosaic as STFT(source) H
  std::uint64_t seed = 1;       // of H's random start

  void validate() const;
};

struct Result {
  MatrixXf H;                 // M x N: source frame x target frame
  MatrixXf target_V;          // K x N
  MatrixXf model;             // W H, K x N: the mosaic's magnitude as the NMF models it
  VectorXf audio;             // the mosaic, as long as the target
  double initial_loss = 0;    // KL of the random start
  std::vector<double> loss;   // KL after each iteration (it may rise where restrictions act)
  std::vector<int> restricted_at;  // the iterations whose update followed the restrictions
};

// The restrictions, on H in place (exposed for tests). factor in [0, 1].
void restrict_repetition(MatrixXf& H, int r, float factor);
void restrict_polyphony(MatrixXf& H, int p, float factor);
MatrixXf enhance_continuity(const MatrixXf& H, int length);

// target, source: mono, same sample rate, at least one sample each. Throws InvalidArgument.
// on_iteration: called after every iteration (l of L); return false to cancel.
Result mosaic(const Eigen::Ref<const VectorXf>& target, const Eigen::Ref<const VectorXf>& source, const Options& options,
              const nmf::Callback& on_iteration = {});

}  // namespace notewise::mosaic
