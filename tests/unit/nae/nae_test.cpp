#include "notewise/nae/nae.hpp"

#include <gtest/gtest.h>

#include <Eigen/QR>
#include <cmath>

#include "notewise/core/error.hpp"
#include "notewise/nmf/nmf.hpp"

using namespace notewise;

namespace {
template <class T>
Matrix<T> rnd(Index r, Index c, std::uint64_t seed, T lo = 0) {
  return (nmf::random_matrix<T>(r, c, seed).array() * (1 - lo) + lo).matrix();
}
// A mask with zero blocks, like note windows.
MatrixXd window_mask(Index R, Index N) {
  MatrixXd M = MatrixXd::Zero(R, N);
  for (Index r = 0; r < R; ++r)
    for (Index n = 0; n < N; ++n) M(r, n) = ((n / 4 + r) % 3 != 0) ? 1.0 : 0.0;
  return M;
}
}  // namespace

class NaeLoss : public ::testing::TestWithParam<nae::Loss> {};

TEST_P(NaeLoss, GradientsMatchFiniteDifferences) {
  // Free-sign weights so that the ReLUs are active on both sides; float64.
  const Index K = 7, N = 9, R = 3;
  const nae::Loss kind = GetParam();
  const MatrixXd V = rnd<double>(K, N, 1), M = window_mask(R, N);
  nae::Model<double> m{rnd<double>(R, K, 2, -0.5), rnd<double>(K, R, 3, -0.5)};
  const nae::Model<double> g = nae::gradients(m, V, M, kind);
  const double h = 1e-6;
  double worst = 0;
  for (int which = 0; which < 2; ++which) {
    MatrixXd& W = which == 0 ? m.encoder : m.decoder;
    const MatrixXd& G = which == 0 ? g.encoder : g.decoder;
    for (Index i = 0; i < W.rows(); ++i)
      for (Index j = 0; j < W.cols(); ++j) {
        const double keep = W(i, j);
        W(i, j) = keep + h;
        const double up = nae::loss(m, V, M, kind);
        W(i, j) = keep - h;
        const double down = nae::loss(m, V, M, kind);
        W(i, j) = keep;
        const double fd = (up - down) / (2 * h);
        worst = std::max(worst, std::abs(fd - G(i, j)) / std::max(1.0, std::abs(fd)));
      }
  }
  EXPECT_LE(worst, 1e-6);
}

TEST_P(NaeLoss, MultiplicativeFactorsAreTheGradientsParts) {
  const nae::Loss kind = GetParam();
  const MatrixXd V = rnd<double>(8, 10, 1), M = window_mask(4, 10);
  const nae::Model<double> m{rnd<double>(4, 8, 2), rnd<double>(8, 4, 3)};
  const auto p = nae::gradient_parts(m, V, M, kind);
  const auto g = nae::gradients(m, V, M, kind);
  const double c = kind == nae::Loss::Euclidean ? 2 : 1;
  EXPECT_LE((g.encoder - c * (p.enc_pos - p.enc_neg)).norm(), 1e-9 * g.encoder.norm() + 1e-12);
  EXPECT_LE((g.decoder - c * (p.dec_pos - p.dec_neg)).norm(), 1e-9 * g.decoder.norm() + 1e-12);
  EXPECT_GT(g.encoder.norm(), 0.0);
}

TEST_P(NaeLoss, MultiplicativeUpdatesNeverIncreaseTheLoss) {
  const MatrixXf V = rnd<float>(40, 60, 1);
  const MatrixXf M = window_mask(6, 60).cast<float>();
  MatrixXf templates = rnd<float>(40, 6, 4);
  for (Index r = 0; r < 6; ++r)
    for (Index k = 0; k < 40; ++k)
      if ((k + r) % 4 == 0) templates(k, r) = 0;  // template constraints
  for (const bool harmonic_start : {true, false}) {
    nae::Model<float> start = harmonic_start ? nae::initial_model(templates, V, M)
                                             : nae::Model<float>{rnd<float>(6, 40, 7), rnd<float>(40, 6, 8)};
    nae::Options o;
    o.epochs = 100;
    o.loss = GetParam();
    const auto r = nae::train(V, M, start, o);
    EXPECT_NEAR(r.loss.back(), nae::loss(r.model, V, M, o.loss), 1e-5 * r.loss.back());  // the history is the loss
    // Tolerance: float rounding of the loss, 1e-5 of the starting loss.
    double prev = r.initial_loss;
    for (double l : r.loss) {
      EXPECT_LE(l, prev + 1e-5 * r.initial_loss);
      prev = l;
    }
    EXPECT_LT(r.loss.back(), r.initial_loss);
    EXPECT_GE(r.model.encoder.minCoeff(), 0.0f);
    EXPECT_GE(r.model.decoder.minCoeff(), 0.0f);
    if (harmonic_start) { EXPECT_TRUE(((templates.array() == 0).select(r.model.decoder.array(), 0.0f) == 0).all()); }
    EXPECT_TRUE(((M.array() == 0).select(r.code.array(), 0.0f) == 0).all());  // dropout zeros are exact
  }
}

INSTANTIATE_TEST_SUITE_P(Losses, NaeLoss, ::testing::Values(nae::Loss::Euclidean, nae::Loss::KullbackLeibler),
                         [](const auto& info) { return info.param == nae::Loss::Euclidean ? "Euclidean" : "KL"; });

TEST(Nae, ProjectedGradientStaysNonnegativeAndMasked) {
  const MatrixXf V = rnd<float>(30, 50, 1);
  const MatrixXf M = window_mask(5, 50).cast<float>();
  MatrixXf templates = rnd<float>(30, 5, 4);
  templates.block(0, 0, 10, 2).setZero();
  nae::Options o;
  o.update = nae::Update::ProjectedGradient;
  o.epochs = 60;
  const auto r = nae::train(V, M, nae::initial_model(templates, V, M), o);
  EXPECT_LT(r.loss.back(), r.initial_loss);
  EXPECT_GE(r.model.encoder.minCoeff(), 0.0f);
  EXPECT_EQ(r.model.decoder.block(0, 0, 10, 2).cwiseAbs().maxCoeff(), 0.0f);
}

TEST(Nae, AdamAndFreeSignGradientsLearnUnderTheirConstraints) {
  const MatrixXf V = rnd<float>(30, 50, 1);
  const MatrixXf M = window_mask(5, 50).cast<float>();
  MatrixXf templates = rnd<float>(30, 5, 4);
  templates.block(0, 0, 10, 2).setZero();
  for (const auto update : {nae::Update::ProjectedGradient, nae::Update::FreeGradient})
    for (const auto kind : {nae::Loss::Euclidean, nae::Loss::KullbackLeibler}) {
      nae::Options o;
      o.update = update;
      o.loss = kind;
      o.optimizer = nae::Optimizer::Adam;
      o.epochs = 80;
      const auto r = nae::train(V, M, nae::initial_model(templates, V, M), o);
      EXPECT_LT(r.loss.back(), 0.9 * r.initial_loss);
      EXPECT_EQ(r.model.decoder.block(0, 0, 10, 2).cwiseAbs().maxCoeff(), 0.0f);  // template zeros stay
      EXPECT_GE(r.code.minCoeff(), 0.0f);
      if (update == nae::Update::ProjectedGradient) {
        EXPECT_GE(r.model.encoder.minCoeff(), 0.0f);
        EXPECT_GE(r.model.decoder.minCoeff(), 0.0f);
      }
    }
  // Free signs: the squared-error run with Lipschitz steps learns too and may leave the orthant.
  nae::Options o;
  o.update = nae::Update::FreeGradient;
  o.epochs = 60;
  const auto r = nae::train(V, M, nae::initial_model(templates, V, M), o);
  EXPECT_LT(r.loss.back(), r.initial_loss);
}

TEST(Nae, NeverActiveRowsKeepTheirWeights) {
  const MatrixXd V = rnd<double>(12, 20, 1);
  MatrixXd M = window_mask(4, 20);
  M.row(2).setZero();  // template 2 is never active
  const nae::Model<double> start{rnd<double>(4, 12, 2), rnd<double>(12, 4, 3)};
  for (const auto kind : {nae::Loss::Euclidean, nae::Loss::KullbackLeibler}) {
    nae::Options o;
    o.epochs = 10;
    o.loss = kind;
    const auto r = nae::train(V, M, start, o);
    EXPECT_EQ(r.model.decoder.col(2), start.decoder.col(2));  // numerator and denominator both zero
    EXPECT_EQ(r.model.encoder.row(2), start.encoder.row(2));
    EXPECT_NE(r.model.decoder.col(1), start.decoder.col(1));  // active ones learn
  }
}

TEST(Nae, InvalidInput) {
  const MatrixXd V = rnd<double>(5, 6, 1), M = MatrixXd::Ones(2, 6);
  EXPECT_THROW(nae::train(V, M, nae::Model<double>{rnd<double>(3, 5, 2), rnd<double>(5, 2, 3)}, nae::Options{}), InvalidArgument);
  nae::Options o;
  o.step = 2.5;
  EXPECT_THROW(nae::train(V, M, nae::Model<double>{rnd<double>(2, 5, 2), rnd<double>(5, 2, 3)}, o), InvalidArgument);
  nae::Options kl;
  kl.update = nae::Update::ProjectedGradient;
  kl.loss = nae::Loss::KullbackLeibler;  // no Lipschitz step for KL
  EXPECT_THROW(nae::train(V, M, nae::Model<double>{rnd<double>(2, 5, 2), rnd<double>(5, 2, 3)}, kl), InvalidArgument);
  nae::Options pgd;
  pgd.update = nae::Update::ProjectedGradient;
  EXPECT_THROW(nae::train(V, M, nae::Model<double>{rnd<double>(2, 5, 2, -1.0), rnd<double>(5, 2, 3)}, pgd), InvalidArgument);
}

TEST_P(NaeLoss, DeepEncoderGradientsMatchFiniteDifferences) {
  const Index K = 6, N = 8, R = 3;
  const nae::Loss kind = GetParam();
  const MatrixXd V = rnd<double>(K, N, 1), M = window_mask(R, N);
  nae::DeepModel<double> m = nae::deepen(nae::Model<double>{rnd<double>(R, K, 2), rnd<double>(K, R, 3)}, V, 2, 5, 9);
  m.out = rnd<double>(R, 5, 4, -0.5);  // a correction large enough to matter
  const nae::DeepModel<double> g = nae::gradients(m, V, M, kind);
  std::vector<std::pair<MatrixXd*, const MatrixXd*>> all{{&m.skip, &g.skip}, {&m.out, &g.out}, {&m.decoder, &g.decoder}};
  for (std::size_t l = 0; l < m.hidden.size(); ++l) all.push_back({&m.hidden[l], &g.hidden[l]});
  const double h = 1e-6;
  double worst = 0;
  for (auto [W, G] : all)
    for (Index i = 0; i < W->rows(); ++i)
      for (Index j = 0; j < W->cols(); ++j) {
        const double keep = (*W)(i, j);
        (*W)(i, j) = keep + h;
        const double up = nae::loss(m, V, M, kind);
        (*W)(i, j) = keep - h;
        const double down = nae::loss(m, V, M, kind);
        (*W)(i, j) = keep;
        const double fd = (up - down) / (2 * h);
        worst = std::max(worst, std::abs(fd - (*G)(i, j)) / std::max(1.0, std::abs(fd)));
      }
  EXPECT_LE(worst, 1e-6);
}

TEST(Nae, DeepEncoderStartsAtTheShallowOneAndLearns) {
  const MatrixXf V = rnd<float>(30, 60, 1);
  const MatrixXf M = window_mask(5, 60).cast<float>();
  MatrixXf templates = rnd<float>(30, 5, 4);
  templates.block(0, 0, 8, 2).setZero();
  nae::Options o;
  o.epochs = 30;
  const auto shallow = nae::train(V, M, nae::initial_model(templates, V, M), o);
  const nae::DeepModel<float> start = nae::deepen(shallow.model, V, 2, 16, 3);
  const MatrixXf Hs = nae::encode(shallow.model, V, M), Hd = nae::encode(start, V, M);
  EXPECT_LE((Hd - Hs).norm(), 0.02 * Hs.norm());  // within about 1 %
  o.adam_rate = 0.01;
  const auto deep = nae::train(V, M, start, o);
  EXPECT_LT(deep.loss.back(), deep.initial_loss);
  EXPECT_EQ(deep.model.decoder.block(0, 0, 8, 2).cwiseAbs().maxCoeff(), 0.0f);  // template zeros stay
  EXPECT_GE(deep.model.decoder.minCoeff(), 0.0f);
  EXPECT_TRUE(((M.array() == 0).select(nae::encode(deep.model, V, M).array(), 0.0f) == 0).all());
  // Positively homogeneous: twice the input, twice the code.
  EXPECT_LE((nae::encode(deep.model, MatrixXf(2 * V), M) - 2 * nae::encode(deep.model, V, M)).norm(),
            1e-5 * nae::encode(deep.model, V, M).norm());
}

TEST(Nae, NonnegativeAfterEveryStep) {
  // One epoch at a time (multiplicative and Lipschitz steps keep no state between epochs).
  const MatrixXf V = rnd<float>(25, 40, 1);
  const MatrixXf M = window_mask(5, 40).cast<float>();
  MatrixXf templates = rnd<float>(25, 5, 4);
  templates.block(3, 1, 6, 2).setZero();
  for (const auto update : {nae::Update::Multiplicative, nae::Update::ProjectedGradient})
    for (const auto kind : {nae::Loss::Euclidean, nae::Loss::KullbackLeibler}) {
      if (update == nae::Update::ProjectedGradient && kind == nae::Loss::KullbackLeibler) continue;  // needs Adam
      nae::Options o;
      o.update = update;
      o.loss = kind;
      o.epochs = 1;
      nae::Model<float> m = nae::initial_model(templates, V, M);
      for (int step = 0; step < 25; ++step) {
        m = nae::train(V, M, m, o).model;
        const MatrixXf H = nae::encode(m, V, M);
        ASSERT_GE(m.encoder.minCoeff(), 0.0f) << step;
        ASSERT_GE(m.decoder.minCoeff(), 0.0f) << step;
        ASSERT_GE(H.minCoeff(), 0.0f) << step;
        ASSERT_GE((m.decoder * H).minCoeff(), 0.0f) << step;  // V^ needs no ReLU here
        ASSERT_EQ(m.decoder.block(3, 1, 6, 2).cwiseAbs().maxCoeff(), 0.0f) << step;
      }
    }
}

TEST(Nae, EncoderStarts) {
  const MatrixXd V = rnd<double>(12, 30, 1), M = window_mask(4, 30);
  const MatrixXd templates = rnd<double>(12, 4, 2);
  const auto t = nae::initial_model(templates, V, M);
  const auto p = nae::initial_model(templates, V, M, nae::EncoderStart::ClippedPseudoInverse);
  const auto r1 = nae::initial_model(templates, V, M, nae::EncoderStart::Random, 5);
  const auto r2 = nae::initial_model(templates, V, M, nae::EncoderStart::Random, 5);
  EXPECT_EQ(r1.encoder, r2.encoder);  // seeded
  EXPECT_NE(r1.encoder, nae::initial_model(templates, V, M, nae::EncoderStart::Random, 6).encoder);
  for (const auto* m : {&t, &p, &r1}) {
    EXPECT_EQ(m->decoder, templates);
    EXPECT_GE(m->encoder.minCoeff(), 0.0);
    // The least-squares scale: no other multiple of the encoder fits better.
    const double base = nae::loss(*m, V, M);
    for (const double f : {0.9, 1.1}) {
      nae::Model<double> scaled = *m;
      scaled.encoder *= f;
      EXPECT_GT(nae::loss(scaled, V, M), base);
    }
  }
  // The clipped pseudo-inverse: its positive part is pinv's.
  const MatrixXd pinv = Eigen::CompleteOrthogonalDecomposition<MatrixXd>(templates).pseudoInverse();
  const double s = p.encoder.cwiseAbs().maxCoeff() / pinv.cwiseMax(0.0).maxCoeff();
  EXPECT_LE((p.encoder - s * pinv.cwiseMax(0.0)).norm(), 1e-9 * p.encoder.norm());
}
