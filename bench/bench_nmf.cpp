// NMF speed: 100 multiplicative-update iterations, float32, at the shapes of the issue, with
// the machine's own SGEMM throughput at the same shapes as the baseline (same run, same BLAS
// setting). bench/report.py turns the JSON into the table of docs/PERFORMANCE.md.
#include <benchmark/benchmark.h>

#include "bench_data.hpp"
#include "notewise/core/blas.hpp"

using namespace notewise;

namespace {
constexpr int kIterations = 100;

// C (R x N) = W' (R x K) * V (K x N): the shape of the dominant products of one MU iteration.
void BM_Sgemm(benchmark::State& state) {
  const Index K = state.range(0), N = state.range(1), R = state.range(2);
  const MatrixXf V = bench::positive(K, N, 1), W = bench::positive(K, R, 2);
  MatrixXf C(R, N);
  for (auto _ : state) {
    C.noalias() = W.transpose() * V;
    benchmark::DoNotOptimize(C.data());
  }
  state.counters["gflops"] = benchmark::Counter(2.0 * K * N * R * state.iterations() / 1e9, benchmark::Counter::kIsRate);
}

// Arguments: K, N, R, divergence (0 Euclidean, 1 KL), start (0 dense random, 1 score-like),
// path (0 dense, 1 sparse, 2 auto).
void BM_Nmf(benchmark::State& state) {
  const Index K = state.range(0), N = state.range(1), R = state.range(2);
  const MatrixXf V = bench::positive(K, N, 1);
  MatrixXf W0, H0;
  if (state.range(4) == 1) {
    bench::score_like_start(K, N, R, 0.15, 0.05, W0, H0);
  } else {
    W0 = bench::positive(K, R, 2);
    H0 = bench::positive(R, N, 3);
  }
  nmf::Options o;
  o.divergence = state.range(3) == 0 ? nmf::Divergence::Euclidean : nmf::Divergence::KullbackLeibler;
  o.max_iterations = kIterations;
  o.path = state.range(5) == 0 ? nmf::Path::Dense : state.range(5) == 1 ? nmf::Path::Sparse : nmf::Path::Auto;
  for (auto _ : state) benchmark::DoNotOptimize(nmf::factorize<float>(V, W0, H0, o));
  // Flop count of the cheap product order: 2KNR + 2KR^2 + 2R^2N per factor update.
  const double flops = 2.0 * (2.0 * K * N * R + 2.0 * K * R * R + 2.0 * R * R * N) * kIterations;
  state.counters["gflops_dense_equiv"] = benchmark::Counter(flops * state.iterations() / 1e9, benchmark::Counter::kIsRate);
  state.counters["density_w"] = static_cast<double>((W0.array() != 0).count()) / W0.size();
  state.counters["density_h"] = static_cast<double>((H0.array() != 0).count()) / H0.size();
}

void shapes(benchmark::internal::Benchmark* b, bool nmf) {
  for (long K : {1025, 2049})
    for (long R : {100, 200}) {
      if (!nmf) {
        b->Args({K, 4000, R});
        continue;
      }
      for (long div : {0, 1}) {
        b->Args({K, 4000, R, div, 0, 0});  // dense start, dense path
        b->Args({K, 4000, R, div, 1, 0});  // score-like start, dense path
        b->Args({K, 4000, R, div, 1, 1});  // score-like start, sparse path
      }
    }
}
}  // namespace

BENCHMARK(BM_Sgemm)->Apply([](auto* b) { shapes(b, false); })->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(1.0);
BENCHMARK(BM_Nmf)->Apply([](auto* b) { shapes(b, true); })->Unit(benchmark::kSecond)->UseRealTime()->Iterations(1);

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  benchmark::AddCustomContext("blas", blas::describe());
  benchmark::AddCustomContext("blas_threads", std::to_string(blas::threads()));
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
}
