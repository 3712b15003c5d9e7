#include "notewise/score/decompose.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>

#include "notewise/core/error.hpp"
#include "notewise/nae/nae.hpp"

namespace notewise {
namespace {

struct Candidate {
  std::size_t note;
  double onset;
  double velocity;
};

// Fills each note's share of one row, given the notes of that row and their frame windows.
void share_row(const Score& score, const Geometry& g, Index row, const std::vector<std::size_t>& members,
               const std::vector<std::pair<Index, Index>>& window, bool onset_row, std::vector<NoteShare>& out) {
  for (std::size_t i : members) {
    RowShare& s = onset_row ? out[i].onset : out[i].pitch;
    s.row = row;
    s.begin = window[i].first;
    s.share.assign(static_cast<std::size_t>(std::max<Index>(0, window[i].second - window[i].first)), 0.0f);
  }
  Index lo = std::numeric_limits<Index>::max(), hi = 0;
  for (std::size_t i : members) {
    lo = std::min(lo, window[i].first);
    hi = std::max(hi, window[i].second);
  }
  // A sweep over the frames with the windows that cover the frame (`active`, in the members'
  // order, which is the notes'): testing every member at every frame cost frames x notes of
  // the pitch, quadratic in the length of the recording.
  std::vector<std::size_t> by_start(members);
  std::stable_sort(by_start.begin(), by_start.end(),
                   [&](std::size_t a, std::size_t b) { return window[a].first < window[b].first; });
  std::size_t next = 0;
  std::vector<std::size_t> active;
  std::vector<Candidate> cover, chosen;
  for (Index n = lo; n < hi; ++n) {
    for (; next < by_start.size() && window[by_start[next]].first <= n; ++next)
      active.insert(std::upper_bound(active.begin(), active.end(), by_start[next]), by_start[next]);
    active.erase(std::remove_if(active.begin(), active.end(), [&](std::size_t i) { return window[i].second <= n; }),
                 active.end());
    if (active.empty()) {
      if (next == by_start.size()) break;
      n = window[by_start[next]].first - 1;  // nothing sounds until the next window opens
      continue;
    }
    const double t = static_cast<double>(n) * g.frame_seconds();
    cover.clear();
    for (std::size_t i : active) cover.push_back({i, score.notes()[i].onset, score.notes()[i].velocity});
    // The key of the winning notes: latest started onset (pitch rows) or nearest onset (onset rows).
    auto key = [&](const Candidate& c) {
      if (onset_row) return -std::abs(c.onset - t);
      return c.onset <= t + 1e-9 ? c.onset : -1e9 - c.onset;  // started beat upcoming; earliest upcoming wins
    };
    double best = -std::numeric_limits<double>::infinity();
    for (const auto& c : cover) best = std::max(best, key(c));
    chosen.clear();
    double vsum = 0;
    for (const auto& c : cover)
      if (std::abs(key(c) - best) < 1e-6) {
        chosen.push_back(c);
        vsum += std::max(c.velocity, 1e-3);
      }
    for (const auto& c : chosen) {
      RowShare& s = onset_row ? out[c.note].onset : out[c.note].pitch;
      s.share[static_cast<std::size_t>(n - s.begin)] = static_cast<float>(std::max(c.velocity, 1e-3) / vsum);
    }
  }
}

// The encoder of a trained model gives H (masked by the note windows), its decoder W; then
// options.nmf refines them.
void fit_from_model(const PianoModel& model, const Eigen::Ref<const MatrixXf>& V, const DecomposeOptions& options,
                    const nmf::Callback& callback, Decomposition& d) {
  const Geometry& mg = model.geometry;
  const Geometry& g = d.geometry;
  if (mg.sample_rate != g.sample_rate || mg.n_fft != g.n_fft || mg.hop != g.hop)
    throw InvalidArgument("the model was trained at " + std::to_string(mg.sample_rate) + " Hz, n_fft " + std::to_string(mg.n_fft) +
                          ", hop " + std::to_string(mg.hop) + "; the spectrogram is at " + std::to_string(g.sample_rate) +
                          " Hz, n_fft " + std::to_string(g.n_fft) + ", hop " + std::to_string(g.hop));
  const std::vector<Index> rows = model_rows(model, d.constraints.layout);
  const Index R = static_cast<Index>(rows.size());
  MatrixXf W(V.rows(), R);
  for (Index r = 0; r < R; ++r) W.col(r) = model.weights.decoder.col(rows[static_cast<std::size_t>(r)]);
  const MatrixXf window = (d.constraints.H0.array() != 0.0f).cast<float>().matrix();
  MatrixXf H = encode_rows(model, rows, V, window);
  // Inside the note windows, entries the ReLU cut get a small floor: the refinement, like
  // NMF from scratch, may then still use every frame the score allows.
  const float floor = std::max(H.maxCoeff(), 1.0f) * 1e-6f;
  H = (window.array() != 0.0f).select(H.cwiseMax(floor), 0.0f);
  d.run = nmf::factorize<float>(V, W, H, options.nmf, callback);
  d.W = std::move(d.run.W);
  d.H = std::move(d.run.H);
}

// An autoencoder trained on V from the start options.nae_start names; its decoder is W, its
// masked code H.
void fit_autoencoder(const Eigen::Ref<const MatrixXf>& V_in, const DecomposeOptions& options, const nmf::Callback& callback,
                     Decomposition& d) {
  const MatrixXf V = V_in;
  const MatrixXf mask = (d.constraints.H0.array() != 0.0f).cast<float>().matrix();
  const nae::Options o = nae_options(options);
  MatrixXf decoder = d.constraints.W0;
  auto encoder_start = nae::EncoderStart::ScaledTranspose;
  switch (options.nae_start) {
    case NaeStart::Templates: break;
    case NaeStart::Nmf: {
      nmf::Options pre = options.nmf;
      pre.max_iterations = 50;
      decoder = nmf::factorize<float>(V, d.constraints.W0, d.constraints.H0, pre).W;
      break;
    }
    case NaeStart::PseudoInverse: encoder_start = nae::EncoderStart::ClippedPseudoInverse; break;
    case NaeStart::Random:
      encoder_start = nae::EncoderStart::Random;
      decoder = (decoder.array() != 0.0f)
                    .select(nmf::random_matrix<float>(decoder.rows(), decoder.cols(), options.nae_seed).array() + 0.01f, 0.0f);
      break;
  }
  const nae::Result<float> r = nae::train(V, mask, nae::initial_model<float>(decoder, V, mask, encoder_start, options.nae_seed), o,
                                           [&](int epoch, double loss) {
                                             return !callback || callback(nmf::Progress{epoch, o.epochs, loss});
                                           });
  d.W = r.model.decoder;
  d.H = r.code;
  d.run.initial_loss = r.initial_loss;
  d.run.loss = r.loss;
  d.run.iterations = static_cast<int>(r.loss.size());
}

// NMF whose templates are learnt for the first `learn_w` iterations and then held (0: always);
// factorize(W0, H0, options, callback) runs one NMF on V, wherever V is.
template <class Factorize>
nmf::Result<float> fit_nmf(const Factorize& factorize, const MatrixXf& W0, const MatrixXf& H0, const nmf::Options& o,
                           int learn_w, const nmf::Callback& callback) {
  if (learn_w <= 0 || learn_w >= o.max_iterations || o.fix_w) return factorize(W0, H0, o, callback);
  nmf::Options first = o;
  first.max_iterations = learn_w;
  nmf::Result<float> r = factorize(W0, H0, first, [&](const nmf::Progress& p) {
    return !callback || callback(nmf::Progress{p.iteration, o.max_iterations, p.loss});
  });
  if (r.converged || r.cancelled) return r;
  nmf::Options rest = o;
  rest.max_iterations = o.max_iterations - learn_w;
  rest.fix_w = true;
  rest.fixed_w_columns.clear();
  nmf::Result<float> s = factorize(std::move(r.W), std::move(r.H), rest, [&](const nmf::Progress& p) {
    return !callback || callback(nmf::Progress{learn_w + p.iteration, o.max_iterations, p.loss});
  });
  s.initial_loss = r.initial_loss;
  r.loss.insert(r.loss.end(), s.loss.begin(), s.loss.end());
  s.loss = std::move(r.loss);
  s.iterations += r.iterations;
  s.sparse_path = s.sparse_path || r.sparse_path;
  return s;
}

// What both forms of decompose() share before the fit: the checks, constraints and shares.
Decomposition start_decomposition(Index rows, Index cols, const Score& score, const Geometry& geometry,
                                  const DecomposeOptions& options) {
  options.validate();
  if (rows != geometry.bins() || cols != geometry.frames)
    throw InvalidArgument("decompose: spectrogram is " + std::to_string(rows) + " x " + std::to_string(cols) +
                          ", the geometry says " + std::to_string(geometry.bins()) + " x " + std::to_string(geometry.frames));
  Decomposition d;
  d.geometry = geometry;
  const PianoModel* model = options.pretrained.get();
  d.constraints = build_constraints(score, geometry, model ? model->constraints : options.constraints);
  d.notes = note_shares(score, d.constraints, geometry);
  return d;
}

}  // namespace

void DecomposeOptions::validate() const {
  constraints.validate();
  nmf.validate();
  require(template_iterations >= 0, "template_iterations", template_iterations, ">= 0");
  if (method != Method::Nmf) nae_options(*this).validate();
  if (pretrained && method != Method::Nmf)
    throw InvalidArgument("a trained autoencoder is refined by NMF: it cannot be combined with an autoencoder method");
}

nae::Options nae_options(const DecomposeOptions& options) {
  nae::Options o = options.nae;
  o.epochs = options.nmf.max_iterations;
  o.update = options.method == Method::NaeProjectedGradient ? nae::Update::ProjectedGradient
             : options.method == Method::NaeFreeGradient    ? nae::Update::FreeGradient
                                                            : nae::Update::Multiplicative;
  if (options.nmf.divergence == nmf::Divergence::KullbackLeibler ||
      (options.nmf.divergence == nmf::Divergence::Beta && options.nmf.beta == 1))
    o.loss = nae::Loss::KullbackLeibler;
  else if (options.nmf.divergence == nmf::Divergence::Euclidean ||
           (options.nmf.divergence == nmf::Divergence::Beta && options.nmf.beta == 2))
    o.loss = nae::Loss::Euclidean;
  else
    throw InvalidArgument("the autoencoders minimise the Euclidean or the KL loss, not beta = " + std::to_string(options.nmf.beta));
  return o;
}

std::vector<NoteShare> note_shares(const Score& score, const ScoreConstraints& c, const Geometry& g) {
  const std::size_t count = score.size();
  if (c.windows.size() != count) throw InvalidArgument("note_shares: constraints do not belong to this score");
  std::vector<NoteShare> out(count);
  const Index P = c.layout.pitch_rows();
  std::vector<std::vector<std::size_t>> by_row(static_cast<std::size_t>(P));
  for (std::size_t i = 0; i < count; ++i) by_row[static_cast<std::size_t>(c.windows[i].row)].push_back(i);
  std::vector<std::pair<Index, Index>> pitch_window(count), onset_window(count);
  for (std::size_t i = 0; i < count; ++i) {
    pitch_window[i] = {c.windows[i].begin, c.windows[i].end};
    onset_window[i] = {c.windows[i].onset_begin, c.windows[i].onset_end};
  }
  for (Index p = 0; p < P; ++p) {
    const auto& members = by_row[static_cast<std::size_t>(p)];
    share_row(score, g, p, members, pitch_window, false, out);
    const Index orow = c.layout.onset_row_of(p);
    if (orow >= 0) share_row(score, g, orow, members, onset_window, true, out);
  }
  return out;
}

Decomposition decompose(const Eigen::Ref<const MatrixXf>& V, const Score& score, const Geometry& geometry,
                        const DecomposeOptions& options, const nmf::Callback& callback) {
  Decomposition d = start_decomposition(V.rows(), V.cols(), score, geometry, options);
  const auto start = std::chrono::steady_clock::now();
  if (const PianoModel* model = options.pretrained.get()) {
    fit_from_model(*model, V, options, callback, d);
  } else if (options.method == Method::Nmf) {
    const auto factorize = [&](MatrixXf W0, MatrixXf H0, const nmf::Options& o, const nmf::Callback& cb) {
      return nmf::factorize<float>(V, std::move(W0), std::move(H0), o, cb);
    };
    d.run = fit_nmf(factorize, d.constraints.W0, d.constraints.H0, options.nmf, options.template_iterations, callback);
    d.W = std::move(d.run.W);
    d.H = std::move(d.run.H);
  } else {
    fit_autoencoder(V, options, callback, d);
  }
  d.fit_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return d;
}

Decomposition decompose(const nmf::ColumnStore<float>& V, const Score& score, const Geometry& geometry,
                        const DecomposeOptions& options, const nmf::Callback& callback, Index segment_frames) {
  if (options.pretrained || options.method != Method::Nmf)
    throw InvalidArgument("decompose: a spectrogram read in segments is decomposed by NMF only (no autoencoder, no trained model)");
  Decomposition d = start_decomposition(V.rows(), V.cols(), score, geometry, options);
  const auto start = std::chrono::steady_clock::now();
  const auto factorize = [&](MatrixXf W0, MatrixXf H0, const nmf::Options& o, const nmf::Callback& cb) {
    return nmf::factorize<float>(V, std::move(W0), std::move(H0), o, cb, segment_frames);
  };
  d.run = fit_nmf(factorize, d.constraints.W0, d.constraints.H0, options.nmf, options.template_iterations, callback);
  d.W = std::move(d.run.W);
  d.H = std::move(d.run.H);
  d.fit_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return d;
}

RowActivations row_activations(const Decomposition& d, const std::vector<std::size_t>& notes) {
  std::vector<Index> compact(static_cast<std::size_t>(d.H.rows()), -1);  // H's row -> its row here
  RowActivations out;
  for (std::size_t i : notes) {
    if (i >= d.notes.size()) throw InvalidArgument("activations_of: note " + std::to_string(i) + " is not in the score");
    for (const RowShare* s : {&d.notes[i].pitch, &d.notes[i].onset})
      if (s->row >= 0) compact[static_cast<std::size_t>(s->row)] = 0;
  }
  for (Index r = 0; r < d.H.rows(); ++r)
    if (compact[static_cast<std::size_t>(r)] == 0) {
      compact[static_cast<std::size_t>(r)] = static_cast<Index>(out.rows.size());
      out.rows.push_back(r);
    }
  out.H = MatrixXf::Zero(static_cast<Index>(out.rows.size()), d.H.cols());
  for (std::size_t i : notes)
    for (const RowShare* s : {&d.notes[i].pitch, &d.notes[i].onset}) {
      if (s->row < 0) continue;
      const Index row = compact[static_cast<std::size_t>(s->row)];
      for (std::size_t j = 0; j < s->share.size(); ++j) {
        const Index n = s->begin + static_cast<Index>(j);
        out.H(row, n) += s->share[j] * d.H(s->row, n);
      }
    }
  return out;
}

MatrixXf activations_of(const Decomposition& d, const std::vector<std::size_t>& notes) {
  const RowActivations a = row_activations(d, notes);
  MatrixXf out = MatrixXf::Zero(d.H.rows(), d.H.cols());
  for (std::size_t k = 0; k < a.rows.size(); ++k) out.row(a.rows[k]) = a.H.row(static_cast<Index>(k));
  return out;
}

std::vector<double> note_energies(const Decomposition& d) {
  const VectorXf colsum = d.W.colwise().sum().transpose();
  std::vector<double> e(d.notes.size(), 0.0);
  for (std::size_t i = 0; i < d.notes.size(); ++i)
    for (const RowShare* s : {&d.notes[i].pitch, &d.notes[i].onset}) {
      if (s->row < 0) continue;
      for (std::size_t j = 0; j < s->share.size(); ++j)
        e[i] += static_cast<double>(colsum[s->row]) * s->share[j] * d.H(s->row, s->begin + static_cast<Index>(j));
    }
  return e;
}

std::vector<RowInfo> row_index(const Decomposition& d, const Score& score) {
  const auto& layout = d.constraints.layout;
  const auto& notes = score.notes();
  if (d.constraints.windows.size() != notes.size())
    throw InvalidArgument("row_index: the score has " + std::to_string(notes.size()) + " notes, the decomposition " +
                          std::to_string(d.constraints.windows.size()));
  std::vector<RowInfo> rows;
  for (Index r = 0; r < layout.rows(); ++r) {
    RowInfo info;
    info.row = r;
    info.onset = layout.is_onset_row(r);
    info.pitch = layout.pitch_of_row(r);
    info.source = layout.source_name(layout.source_of_row(r));
    for (std::size_t i = 0; i < notes.size(); ++i)
      if (d.constraints.windows[i].row == layout.base_row(r)) {
        info.notes.push_back(i);
        if (std::find(info.labels.begin(), info.labels.end(), notes[i].label) == info.labels.end())
          info.labels.push_back(notes[i].label);
      }
    rows.push_back(std::move(info));
  }
  return rows;
}

MatrixXf note_activations(const Decomposition& d) {
  MatrixXf Hn = MatrixXf::Zero(static_cast<Index>(d.notes.size()), d.H.cols());
  for (std::size_t i = 0; i < d.notes.size(); ++i) {
    const RowShare& s = d.notes[i].pitch;
    for (std::size_t j = 0; j < s.share.size(); ++j)
      Hn(static_cast<Index>(i), s.begin + static_cast<Index>(j)) = s.share[j] * d.H(s.row, s.begin + static_cast<Index>(j));
  }
  return Hn;
}

}  // namespace notewise
