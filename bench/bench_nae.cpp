// Autoencoder speed against NMF: one training epoch against one NMF iteration (the same few
// BLAS products), and the trained encoder's forward pass against a whole NMF run, at the same
// shapes and in the same run. bench/report.py prints the ratios.
#include <benchmark/benchmark.h>

#include "bench_data.hpp"
#include "notewise/core/blas.hpp"
#include "notewise/nae/nae.hpp"

using namespace notewise;

namespace {
constexpr int kSteps = 20;

struct Problem {
  MatrixXf V, W0, H0, mask;
};

Problem problem(Index K, Index N, Index R) {
  Problem p;
  p.V = bench::positive(K, N, 1);
  bench::score_like_start(K, N, R, 0.15, 0.05, p.W0, p.H0);
  p.mask = (p.H0.array() != 0).cast<float>().matrix();
  return p;
}

// Arguments: K, N, R, loss (0 Euclidean, 1 KL). kSteps NMF iterations (dense path: the NAE has
// no sparse one).
void BM_NmfIterations(benchmark::State& state) {
  const Problem p = problem(state.range(0), state.range(1), state.range(2));
  nmf::Options o;
  o.divergence = state.range(3) == 0 ? nmf::Divergence::Euclidean : nmf::Divergence::KullbackLeibler;
  o.max_iterations = kSteps;
  o.path = nmf::Path::Dense;
  for (auto _ : state) benchmark::DoNotOptimize(nmf::factorize<float>(p.V, p.W0, p.H0, o));
}

// kSteps epochs of multiplicative autoencoder training.
void BM_NaeEpochs(benchmark::State& state) {
  const Problem p = problem(state.range(0), state.range(1), state.range(2));
  nae::Options o;
  o.loss = state.range(3) == 0 ? nae::Loss::Euclidean : nae::Loss::KullbackLeibler;
  o.epochs = kSteps;
  const nae::Model<float> start = nae::initial_model(p.W0, p.V, p.mask);
  for (auto _ : state) benchmark::DoNotOptimize(nae::train(p.V, p.mask, start, o));
}

// The trained encoder's forward pass H' = max(W_E V, 0) .* M (loss argument unused).
void BM_NaeForward(benchmark::State& state) {
  const Problem p = problem(state.range(0), state.range(1), state.range(2));
  const nae::Model<float> m = nae::initial_model(p.W0, p.V, p.mask);
  for (auto _ : state) benchmark::DoNotOptimize(nae::encode(m, p.V, p.mask));
}

void shapes(benchmark::internal::Benchmark* b) {
  for (long K : {1025, 2049})
    for (long R : {100, 176})
      for (long loss : {0, 1}) b->Args({K, 4000, R, loss});
}
}  // namespace

BENCHMARK(BM_NmfIterations)->Apply(shapes)->Unit(benchmark::kSecond)->UseRealTime()->Iterations(1);
BENCHMARK(BM_NaeEpochs)->Apply(shapes)->Unit(benchmark::kSecond)->UseRealTime()->Iterations(1);
BENCHMARK(BM_NaeForward)->Apply(shapes)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(0.5);

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  benchmark::AddCustomContext("blas", blas::describe());
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
}
