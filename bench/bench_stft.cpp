// STFT/ISTFT speed. Baseline in the same run: one thread (frames computed one after another).
#include <benchmark/benchmark.h>
#include <omp.h>

#include <random>

#include "notewise/core/stft.hpp"

using namespace notewise;

namespace {
VectorXf signal(Index n) {
  std::mt19937 gen(1);
  std::uniform_real_distribution<float> u(-1, 1);
  VectorXf x(n);
  for (auto& v : x) v = u(gen);
  return x;
}

// Arguments: seconds of audio at 22050 Hz, threads.
void BM_Stft(benchmark::State& state) {
  const VectorXf x = signal(state.range(0) * 22050);
  omp_set_num_threads(static_cast<int>(state.range(1)));
  const StftOptions o{2048, 512};
  for (auto _ : state) benchmark::DoNotOptimize(stft(x, o));
  state.counters["audio_s_per_s"] = benchmark::Counter(static_cast<double>(state.range(0)) * state.iterations(),
                                                       benchmark::Counter::kIsRate);
}

void BM_Istft(benchmark::State& state) {
  const VectorXf x = signal(state.range(0) * 22050);
  omp_set_num_threads(static_cast<int>(state.range(1)));
  const StftOptions o{2048, 512};
  const MatrixXcf X = stft(x, o);
  for (auto _ : state) benchmark::DoNotOptimize(istft(X, o, x.size()));
  state.counters["audio_s_per_s"] = benchmark::Counter(static_cast<double>(state.range(0)) * state.iterations(),
                                                       benchmark::Counter::kIsRate);
}
}  // namespace

BENCHMARK(BM_Stft)->Args({60, 1})->Args({60, 2})->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Istft)->Args({60, 1})->Args({60, 2})->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_MAIN();
