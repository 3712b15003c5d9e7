#pragma once
// Score-informed NMF decomposition with note-wise results.
//
// The NMF runs on the constrained start of constraints.hpp. Afterwards every note gets its
// share of the activations: in its pitch row a note owns the frames of its window (as the string
// is struck again by a later note of the same pitch, the later note takes over); in its onset
// row it owns the frames nearest its onset. Precisely, at frame n of row r, among the notes
// whose windows cover n:
//   pitch rows: the notes with the latest onset at or before n; if none has started yet, the
//               notes with the earliest onset after n (the pre-onset tolerance);
//   onset rows: the notes whose onset is nearest to n;
// and notes tied in onset (both hands on one key) split the frame in proportion to velocity.
// The shares of every frame sum to one, so every frame's model is exactly the sum of its notes'.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "notewise/nae/nae.hpp"
#include "notewise/nmf/nmf.hpp"
#include "notewise/score/constraints.hpp"
#include "notewise/score/pretrained.hpp"

namespace notewise {

// How the constrained model is fitted: NMF, or a nonnegative autoencoder (nae/nae.hpp) whose
// decoder starts from the same templates and whose structured dropout mask is the pattern of
// H0; its decoder then plays W and its masked code H. The autoencoder minimises nmf.divergence
// (Euclidean or KL) for nmf.max_iterations epochs.
enum class Method { Nmf, NaeMultiplicative, NaeProjectedGradient, NaeFreeGradient };

// Where an autoencoder starts. Templates: decoder = the constrained templates W0, encoder their
// scaled transpose. Nmf: decoder = W of a 50-iteration NMF from W0 (same divergence), encoder
// its scaled transpose. PseudoInverse: decoder W0, encoder its scaled, clipped pseudo-inverse.
// Random: seeded uniform decoder where W0 is nonzero (template constraints kept) and encoder.
enum class NaeStart { Templates, Nmf, PseudoInverse, Random };

struct DecomposeOptions {
  ConstraintOptions constraints;
  nmf::Options nmf = default_nmf();
  // NMF only: the templates are learnt in the first template_iterations iterations and then
  // held, while the activations go on for the rest of nmf.max_iterations (0: W is learnt in
  // every iteration). Free templates that keep learning drift towards the other sources' sound
  // (docs/RESULTS.md): holding them makes more iterations refine H instead.
  int template_iterations = 0;
  Method method = Method::Nmf;
  // Autoencoder settings beyond those above (optimizer, Adam's rate); its update, loss and
  // epochs come from method, nmf.divergence and nmf.max_iterations.
  nae::Options nae;
  NaeStart nae_start = NaeStart::Templates;
  std::uint64_t nae_seed = 1;  // NaeStart::Random
  // A trained autoencoder (pretrained.hpp): if set, its encoder's activations, masked by the
  // note windows, start nmf.max_iterations NMF iterations (0: the forward pass alone) from its
  // decoder's templates. Its geometry must be the spectrogram's, and its constraints replace
  // `constraints`; method must be Nmf.
  std::shared_ptr<const PianoModel> pretrained;

  static nmf::Options default_nmf() {
    nmf::Options o;
    o.divergence = nmf::Divergence::KullbackLeibler;
    o.max_iterations = 50;
    return o;
  }
  void validate() const;
};

// The autoencoder's options for a decomposition (method, loss and epochs filled in); throws
// InvalidArgument for a divergence the autoencoders do not minimise.
nae::Options nae_options(const DecomposeOptions& options);

// A note's part of one row: frames [begin, begin + share.size()) with its fraction in each.
struct RowShare {
  Index row = -1;
  Index begin = 0;
  std::vector<float> share;
};

struct NoteShare {
  RowShare pitch;
  RowShare onset;  // row -1 without onset templates
};

struct Decomposition {
  Geometry geometry;
  ScoreConstraints constraints;   // layout, W0, H0, note windows
  MatrixXf W, H;                  // the learnt factors (bins x rows, rows x frames)
  std::vector<NoteShare> notes;   // per note of the score, in its order
  nmf::Result<float> run;         // iterations, loss history (W and H moved out)
  double fit_seconds = 0;         // wall time of the fit: NMF, autoencoder training, or model pass + refinement
};

// V: magnitude spectrogram (bins x frames) of the given geometry.
Decomposition decompose(const Eigen::Ref<const MatrixXf>& V, const Score& score, const Geometry& geometry,
                        const DecomposeOptions& options, const nmf::Callback& callback = {});

// The same decomposition of a spectrogram kept in a ColumnStore, read a segment of frames at a
// time (nmf::factorize's store form: the KL loss). Method::Nmf without a trained model only: the
// autoencoders and a model's encoder read V whole; anything else throws InvalidArgument.
Decomposition decompose(const nmf::ColumnStore<float>& V, const Score& score, const Geometry& geometry,
                        const DecomposeOptions& options, const nmf::Callback& callback = {}, Index segment_frames = 4096);

// The note shares alone (they depend on the score and windows only).
std::vector<NoteShare> note_shares(const Score& score, const ScoreConstraints& constraints, const Geometry& geometry);

// Activations (rows x frames) of a set of notes: the sum of their shares of H.
MatrixXf activations_of(const Decomposition& d, const std::vector<std::size_t>& notes);

// The same on the rows the notes use only: `rows` (ascending; columns of W, rows of H) and their
// activations (rows.size() x frames), so that W(:, rows) * H = W * activations_of(d, notes).
// Many groups together then hold about one H, not one each.
struct RowActivations {
  std::vector<Index> rows;
  MatrixXf H;
};
RowActivations row_activations(const Decomposition& d, const std::vector<std::size_t>& notes);

// Per note: the total of its model spectrogram (sum over bins and frames of W h_note).
std::vector<double> note_energies(const Decomposition& d);

// What a row of W's columns and H's rows is: a pitch template or the onset template of a
// pitch, of one timbre source, and the notes (indices into the score) and labels it serves.
struct RowInfo {
  Index row = 0;
  bool onset = false;
  int pitch = 0;                    // MIDI
  std::string source;               // the timbre source's name
  std::vector<std::size_t> notes;   // in score order
  std::vector<std::string> labels;  // distinct, in order of first appearance
};

// The row index of a decomposition of `score` (the score it was made from).
std::vector<RowInfo> row_index(const Decomposition& d, const Score& score);

// Each note's activation in its pitch row (its share of H there), notes x frames, in score order.
MatrixXf note_activations(const Decomposition& d);

}  // namespace notewise
