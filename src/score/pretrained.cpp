#include "notewise/score/pretrained.hpp"

#include <cmath>

#include "notewise/core/error.hpp"

namespace notewise {

Layout PianoModel::piano_layout(bool onset_templates) {
  Layout l;
  for (int p = kLowest; p <= kHighest; ++p) l.pitches.push_back(p);
  l.onset_templates = onset_templates;
  return l;
}

void PianoModel::check() const {
  const Index R = layout.rows(), K = geometry.bins();
  if (layout.pitches != piano_layout(layout.onset_templates).pitches || layout.onset_templates != constraints.onset_templates)
    throw InvalidArgument("piano model: its rows are not the 88 piano pitches of its constraints");
  if (weights.encoder.rows() != R || weights.encoder.cols() != K || weights.decoder.rows() != K || weights.decoder.cols() != R)
    throw InvalidArgument("piano model: weights are " + std::to_string(weights.encoder.rows()) + " x " +
                          std::to_string(weights.encoder.cols()) + " and " + std::to_string(weights.decoder.rows()) + " x " +
                          std::to_string(weights.decoder.cols()) + ", expected " + std::to_string(R) + " x " + std::to_string(K) +
                          " and " + std::to_string(K) + " x " + std::to_string(R));
  if (!weights.encoder.allFinite() || !weights.decoder.allFinite())
    throw InvalidArgument("piano model: weights are not finite");
  Index in = K;
  for (const auto& A : hidden) {
    if (A.cols() != in || !A.allFinite()) throw InvalidArgument("piano model: hidden layers do not chain");
    in = A.rows();
  }
  if (!hidden.empty() && (out.rows() != R || out.cols() != in || !out.allFinite()))
    throw InvalidArgument("piano model: the output layer does not fit the hidden layers");
}

std::vector<Index> model_rows(const PianoModel& model, const Layout& layout) {
  if (layout.onset_templates != model.layout.onset_templates)
    throw InvalidArgument(std::string("the model was trained ") + (model.layout.onset_templates ? "with" : "without") +
                          " onset templates");
  std::vector<Index> rows;
  for (const bool onset : {false, true}) {
    if (onset && !layout.onset_templates) break;
    for (int p : layout.pitches) {
      const Index r = onset ? model.layout.onset_row(p) : model.layout.pitch_row(p);
      if (r < 0)
        throw InvalidArgument("pitch " + std::to_string(p) + " is outside the piano model's range " +
                              std::to_string(PianoModel::kLowest) + " .. " + std::to_string(PianoModel::kHighest));
      rows.push_back(r);
    }
  }
  return rows;
}

MatrixXf transpose_spectrogram(const MatrixXf& V, double semitones) {
  const double ratio = std::pow(2.0, semitones / 12.0);
  const Index K = V.rows();
  MatrixXf out = MatrixXf::Zero(K, V.cols());
  for (Index k = 0; k < K; ++k) {
    const double src = static_cast<double>(k) / ratio;  // the bin whose content lands on k
    const Index k0 = static_cast<Index>(std::floor(src));
    if (k0 + 1 >= K) break;
    const float w = static_cast<float>(src - static_cast<double>(k0));
    out.row(k) = (1.0f - w) * V.row(k0) + w * V.row(k0 + 1);
  }
  return out;
}

Score transpose_score(const Score& score, int semitones) {
  std::vector<Note> notes;
  for (Note n : score.notes()) {
    n.pitch += semitones;
    if (n.pitch >= PianoModel::kLowest && n.pitch <= PianoModel::kHighest) notes.push_back(std::move(n));
  }
  return Score(std::move(notes));
}

PianoModel train_piano_model(const std::vector<TrainingPiece>& given, const Geometry& geometry,
                             const ConstraintOptions& constraints, const nae::Options& options, int transpositions,
                             const nae::Callback& callback, const DeepOptions& deep) {
  if (given.empty()) throw InvalidArgument("train_piano_model: no training piece");
  require(transpositions >= 0 && transpositions <= 12, "transpositions", transpositions, "in [0, 12]");
  PianoModel m;
  m.geometry = geometry;
  m.geometry.frames = 0;
  m.constraints = constraints;
  m.layout = PianoModel::piano_layout(constraints.onset_templates);
  m.loss = options.loss;
  // Every piece and transposition side by side: the scores first (to size V), then V and the
  // dropout mask filled in place, one transposed spectrogram at a time.
  struct Copy {
    const TrainingPiece* piece;
    int semitones;
    Score score;
  };
  std::vector<Copy> copies;
  Index frames = 0;
  for (const auto& p : given) {
    if (p.V.rows() != geometry.bins())
      throw InvalidArgument("train_piano_model: a spectrogram has " + std::to_string(p.V.rows()) + " bins, the geometry " +
                            std::to_string(geometry.bins()));
    Layout layout;  // the rest of its fields at their defaults
    layout.pitches = p.score.pitches();
    layout.onset_templates = constraints.onset_templates;
    model_rows(m, layout);  // range check
    for (int t = -transpositions; t <= transpositions; ++t) {
      Score s = t == 0 ? p.score : transpose_score(p.score, t);
      if (s.empty()) continue;
      copies.push_back({&p, t, std::move(s)});
      frames += p.V.cols();
    }
  }
  MatrixXf V(geometry.bins(), frames), mask(m.layout.rows(), frames), templates;
  Index at = 0;
  for (const Copy& c : copies) {
    const Index n = c.piece->V.cols();
    Geometry g = geometry;
    g.frames = n;
    const ScoreConstraints sc = build_constraints(c.score, g, constraints, m.layout.pitches);
    if (templates.size() == 0) templates = sc.W0;
    V.middleCols(at, n) = c.semitones == 0 ? c.piece->V : transpose_spectrogram(c.piece->V, c.semitones);
    mask.middleCols(at, n) = (sc.H0.array() != 0.0f).cast<float>().matrix();
    at += n;
  }
  const nae::Result<float> r = nae::train(V, mask, nae::initial_model(templates, V, mask), options, callback);
  m.weights = r.model;
  m.epochs = static_cast<int>(r.loss.size());
  m.final_loss = (r.loss.empty() ? r.initial_loss : r.loss.back()) / static_cast<double>(V.size());
  if (deep.layers > 0) {
    nae::Options o = options;
    o.epochs = deep.epochs;
    o.adam_rate = deep.rate;
    const nae::DeepResult<float> d = nae::train(V, mask, nae::deepen(m.weights, V, deep.layers, deep.width, 11), o,
                                                [&](int e, double L) { return !callback || callback(m.epochs + e, L); });
    m.weights = {d.model.skip, d.model.decoder};
    m.hidden = d.model.hidden;
    m.out = d.model.out;
    m.epochs += static_cast<int>(d.loss.size());
    if (!d.loss.empty()) m.final_loss = d.loss.back() / static_cast<double>(V.size());
  }
  return m;
}

MatrixXf encode_rows(const PianoModel& model, const std::vector<Index>& rows, const Eigen::Ref<const MatrixXf>& V,
                     const MatrixXf& mask) {
  const Index R = static_cast<Index>(rows.size());
  if (model.hidden.empty()) {  // the shallow encoder: one product, no copy of V
    MatrixXf E(R, V.rows());
    for (Index r = 0; r < R; ++r) E.row(r) = model.weights.encoder.row(rows[static_cast<std::size_t>(r)]);
    if (mask.rows() != R || mask.cols() != V.cols()) throw InvalidArgument("encode_rows: the mask does not fit");
    MatrixXf H(R, V.cols());
    H.noalias() = E * V;
    return H.cwiseMax(0.0f).cwiseProduct(mask);
  }
  nae::DeepModel<float> m{MatrixXf(R, V.rows()), model.hidden, MatrixXf(R, model.out.cols()), MatrixXf(V.rows(), R)};
  for (Index r = 0; r < R; ++r) {
    const Index row = rows[static_cast<std::size_t>(r)];
    m.skip.row(r) = model.weights.encoder.row(row);
    m.decoder.col(r) = model.weights.decoder.col(row);
    m.out.row(r) = model.out.row(row);
  }
  return nae::encode(m, MatrixXf(V), mask);
}

}  // namespace notewise
