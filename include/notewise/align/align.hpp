#pragma once
// Score-to-audio synchronisation (Mueller, FMP ch. 3; Ewert, Mueller & Grosche, ICASSP 2009):
// chroma and onset features (DLNCO-like) from the audio, the same features synthesised from
// the score's notes, multiscale DTW between them, and a strictly monotonic warp from score
// time to audio time that moves every onset and offset.
//
// Features at `feature_rate` frames per second:
//   chroma  per pitch class, the log-compressed pitch energies log(1 + gamma E_p) summed over
//           octaves, each frame normalised to unit length (silence: the uniform vector); the
//           pitches below MIDI 55 from longer windows (multirate; see low_pitch_doublings);
//   onsets  per pitch class, the positive frame-to-frame rise of the log pitch energies, spread
//           by a linearly decaying tail (10 frames), scaled per piece (its strong onsets,
//           the 95th percentile of the frames' norms, to 1; capped at 1).
//   The score's pitch energies: each note adds velocity^2 at its pitch and, at 1/m^2, at its
//   partials m = 2..4, from onset to offset, without decay (a held note stays in the sound).
//   The DTW's coarser levels pool the onset rows by their maximum, the others by their mean.
// Cost of a pair of frames: (1 - <chroma_a, chroma_s>) + |onsets_a - onsets_s| / 2.
// The normalised path cost reported is the chroma part alone, averaged along the path: a
// score of the right piece gave 0.14-0.29, a score of another piece 0.64-0.72 (docs/RESULTS.md).
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "notewise/align/dtw.hpp"
#include "notewise/score/score.hpp"

namespace notewise {

struct AlignOptions {
  double feature_rate = 100;   // frames per second (10 ms hop)
  int n_fft = 2048;            // STFT size of the audio features, at the audio's rate
  double gamma = 100;          // log compression of the pitch energies (max-normalised)
  // The chroma's low pitches from windows of up to 2^low_pitch_doublings n_fft samples, each
  // the shortest whose bins lie a semitone apart at the pitch (at 22.05 kHz: 4096 for MIDI
  // 43-54, 8192 below); 0: every pitch from n_fft (whose bins lie further apart than
  // semitones below MIDI 55, so a low note's energy fell in another pitch class).
  int low_pitch_doublings = 2;
  bool onset_features = true;
  // Drum notes (is_drum: GM channel 10, unpitched, drum rows) as rhythm: in the score's features
  // they add no pitch energy (their "pitch" is a key of the drum map) and their onsets rise in
  // every pitch class's onset row alike (a hit is a broadband attack); the note-level
  // refinement leaves them out of its pitches' rises. false: taken as pitched notes (before #37).
  bool drums_as_rhythm = true;
  MultiscaleOptions dtw;       // 3 levels (40 ms, 160 ms coarse), band radius 48 cells
  double poor_cost = 0.45;     // above: flagged poor (right scores 0.14-0.29, other pieces 0.64-0.72 measured)
  // Silence: an audio frame whose energy lies below a third of the way (dB) from the noise
  // floor (2nd percentile of the frames) to the loud level (95th percentile), and at least
  // -silence_db below the loud level, is silent (a pause); so is a breath, a frame at least
  // breath_db below the median level of the second around it (0: off; a breath between
  // phrases dips 7-8 dB under the music but stays far above the floor). Silence's chroma says
  // nothing, so against a sounding score frame it costs `silence_cost` wherever it is placed.
  double silence_db = -18;
  double silence_cost = 0.5;
  double breath_db = 7.5;
  // A quiet stretch of at least soft_passage_seconds whose frames lie more than a sixth of the way
  // (dB) from the floor to the loud level, and less than -2 silence_db under the loud level, is a
  // soft passage (a loud part resting), not a pause: those frames are not silent (0: off, as
  // before #37's second round).
  double soft_passage_seconds = 1.5;
  // Sound resuming after a pause (a breath, a rest: at least 3 silent frames, 30 ms at 100 Hz,
  // then a rise of 6 dB) paired with a score frame that is not among the 4 from an onset costs
  // entry_cost per frame (two frames an entry): players breathe between notes, so an entry is a
  // note's start (0: off).
  double entry_cost = 2;
  // Note-level refinement after the global path: every onset event (the notes that start
  // together in the score) is moved to where its own pitches' harmonic energy rises, within
  // +-refine_window seconds of the DTW estimate, all events at once in order (a Viterbi pass).
  bool refine = true;
  double refine_window = 0.5;   // seconds either side of the DTW estimate
  double refine_prior = 0.5;    // cost per second of moving an event away from the DTW estimate
  double refine_tempo = 1.0;    // cost per second of changing an inter-onset interval of the DTW path
  // The onset placed this far from the DTW estimate towards the refined attack (0: the DTW's,
  // 1: the attack's). The two are independent estimates, one from the whole texture, one from
  // the event's own pitches, with errors of similar size; their mean is closer to the played
  // onsets than either (measured on Bach10 01-05 against the annotation and the pitch-tracked
  // onsets, docs/RESULTS.md).
  double refine_weight = 0.5;
  // Per-voice refinement, after the note-level one: the players of one score event do not
  // start together (Bach10's four players at one event spread by a median of 70 ms), so each
  // part's (each label's) notes that start together are moved on their own, within
  // +-voice_window s of their event's time, to where the harmonic comb of their own pitches
  // rises most (partials 1..4, leaving out the partials that other parts' notes sounding there
  // share; log energy, the mean of 30 ms after a frame minus the mean of 30 ms before it),
  // less voice_prior per second away from the event's time; the onset is placed voice_weight of
  // the way there and voice_lead s earlier (the rise's centre lags the played onset), kept in
  // order within the part. A legato note's end follows its successor's onset in the part.
  bool per_voice = true;
  double voice_window = 0.12;  // seconds either side of the event's time
  double voice_prior = 1.0;    // rise (log-energy units) per second away from the event's time
  double voice_weight = 0.7;   // 0: the event's time, 1: the part's own rise
  double voice_lead = 0.01;    // seconds
  // Flags: a passage whose chroma cost, averaged over `passage_seconds`, exceeds poor_cost;
  // a missing section: within at most 2 * missing_seconds of audio the path crosses at least
  // missing_seconds more sounding score than the piece's overall tempo would.
  double passage_seconds = 4;
  double missing_seconds = 2;
  // Subsequence alignment (Mueller, FMP ch. 7.2.3; dtw.hpp): a recording of an excerpt of the
  // score (a movement's middle, a take of a passage) is matched whole to the stretch of the
  // score that fits it best, found by a DTW path free to start and end anywhere in the score;
  // the notes outside that span are left out of the result. Auto: when the audio lasts less
  // than excerpt_ratio times the score (from its first note to its end). A performance of
  // the whole score plays it at roughly its tempo (half its length is flagged poor).
  enum class Subsequence { Auto, Off, On };
  Subsequence subsequence = Subsequence::Auto;
  double excerpt_ratio = 0.6;

  void validate() const;
};

// A stretch of the alignment that is flagged, in audio seconds (and the score seconds it covers).
struct AlignIssue {
  double audio_start = 0, audio_end = 0;
  double score_start = 0, score_end = 0;
  std::string what;  // in words
};

struct Alignment {
  std::vector<std::pair<double, double>> warp;  // (score s, audio s), both strictly increasing
  double cost = 0;                              // normalised chroma path cost
  bool poor = false;                            // cost > poor_cost, the lengths do not fit, or an issue
  std::string problem;                          // why it is poor, in words (empty if not)
  // The score in audio time: its notes in the same order, all of them, or with an excerpt the
  // ones within [score_start, score_end] (score_notes says which).
  Score aligned;
  std::vector<std::size_t> score_notes;         // per note of `aligned`: its index in the score
  bool excerpt = false;                         // subsequence alignment (AlignOptions::subsequence)
  // The score's stretch the recording plays (score s): its first note's onset to its end for a
  // whole alignment, the span the subsequence path found for an excerpt.
  double score_start = 0, score_end = 0;
  // Per note of `aligned`, in [0, 1]: how clearly the note's own pitch energy rises
  // at its aligned onset, against the strongest rises of that pitch in the recording. A note
  // repeated or tied at the same pitch rises little and so gets a low confidence even when it
  // is placed right; a note whose pitch is absent gets about 0.
  std::vector<double> confidence;
  double mean_confidence = 0;                   // over the notes
  // With per-voice refinement (AlignOptions::per_voice), per note of `aligned`: the confidence
  // as above, at the note's own (per-voice) onset; per label: the mean of its notes'. Without:
  // empty.
  std::vector<double> voice_confidence;
  std::map<std::string, double> part_confidence;
  // With per-voice refinement, per note of `aligned`: its onset before that refinement, the time
  // of its score event (the global path and the note-level refinement), which every note of the
  // event shares: the estimate that answers a reference giving one time per event (a tapped
  // annotation). The same as the onsets with per_voice = false. Without: empty (the onsets are these).
  std::vector<double> event_onset;
  std::vector<AlignIssue> issues;               // flagged passages, in time order
};

// The longest score (from its first note to its last note's end, s) that can be aligned to a
// recording of `audio_seconds`: kMaxScoreRatio times as long plus kMaxScoreSlack, and at least
// kMaxExcerptScore. A performance plays its score at about its tempo (half or twice the length
// is flagged poor already), and a recording of an excerpt is matched to a stretch of the score
// (subsequence alignment), so any score up to an hour is accepted whatever the recording;
// beyond, a score longer than this cannot be the recording's, and its features (128 values a
// frame, 184 MB an hour) would be sized by the score file alone.
inline constexpr double kMaxScoreRatio = 4, kMaxScoreSlack = 30, kMaxExcerptScore = 3600;
double max_alignable_score_seconds(double audio_seconds);
// Why `score` cannot be aligned to `audio_seconds` of audio (too long by the bound above), in
// words; empty if it can.
std::string score_length_problem(const Score& score, double audio_seconds);

// audio: mono signal at `sample_rate`. Throws InvalidArgument for an empty score or audio, and
// for a score too long for the audio (score_length_problem), before anything is computed.
Alignment align_score(const Eigen::Ref<const VectorXf>& audio, double sample_rate, const Score& score,
                      const AlignOptions& options = {});

// Piecewise-linear warp of a time (extrapolated with slope 1 beyond the ends).
double warp_time(const std::vector<std::pair<double, double>>& warp, double t);

// The features' rows (26 x frames): 12 chroma, 12 onset, the entries (sound resuming after a
// pause; in the score, the frames just after an onset), the silent frames. Exposed for tests.
namespace feature_rows {
constexpr Index kOnset = 12, kEntry = 24, kSilent = 25, kCount = 26;
}
MatrixXf audio_features(const Eigen::Ref<const VectorXf>& audio, double sample_rate, const AlignOptions& o);
MatrixXf score_features(const Score& score, Index frames, double frame_seconds, const AlignOptions& o);

}  // namespace notewise
