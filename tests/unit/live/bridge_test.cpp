// LiveBridge and SpscRing (live/bridge.hpp): the ring's wrap-around, the bridge's fixed latency
// against the separator run directly, silence and recovery when the worker is late, and a
// process() that allocates nothing. Signals generated here.
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <cstdlib>
#include <new>
#include <thread>

#include "notewise/core/error.hpp"
#include "notewise/live/bridge.hpp"

// Counts operator new in the threads that ask (process() must not allocate). Eigen allocates
// with malloc, which this does not see; process() uses no Eigen type.
namespace {
thread_local bool t_count = false;
std::atomic<long> g_news{0};
}  // namespace
// GCC cannot tell that these frees pair with the mallocs above (-Wmismatched-new-delete).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
void* operator new(std::size_t n) {
  if (t_count) g_news.fetch_add(1);
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) { return operator new(n); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
// The nothrow forms too (std::stable_sort's temporary buffer), so that every plain delete
// meets a malloc: with only some forms replaced, AddressSanitizer sees its own new freed here.
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  if (t_count) g_news.fetch_add(1);
  return std::malloc(n ? n : 1);
}
void* operator new[](std::size_t n, const std::nothrow_t& t) noexcept { return operator new(n, t); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }

namespace notewise {
namespace {

constexpr double kRate = 22050;

Score two_notes() {
  std::vector<Note> notes(2);
  notes[0].onset = 0.2, notes[0].duration = 1.0, notes[0].pitch = 76, notes[0].label = "high";
  notes[1].onset = 0.2, notes[1].duration = 1.0, notes[1].pitch = 48, notes[1].label = "low";
  notes[1].index = 1;
  return Score(notes);
}

VectorXf tones(Index n) {
  VectorXf x(n);
  for (Index i = 0; i < n; ++i) {
    const double t = static_cast<double>(i) / kRate;
    x[i] = static_cast<float>(0.2 * std::sin(2 * M_PI * pitch_to_hz(76) * t) + 0.2 * std::sin(2 * M_PI * pitch_to_hz(48) * t));
  }
  return x;
}

Grouping groups_of(const Score& s) { return group_notes(s, label_group_specs(s)); }

TEST(SpscRing, WrapsAroundAndKeepsOrder) {
  SpscRing r(5);
  EXPECT_EQ(r.capacity(), 8u);  // the next power of two
  float a[6] = {1, 2, 3, 4, 5, 6}, b[8] = {};
  EXPECT_EQ(r.write(a, 6), 6u);
  EXPECT_EQ(r.read(b, 4), 4u);
  EXPECT_EQ(r.write(a, 6), 6u);  // wraps
  EXPECT_EQ(r.writable(), 0u);
  EXPECT_EQ(r.write(a, 1), 0u);  // full: nothing written
  EXPECT_EQ(r.skip(1), 1u);      // drops 5
  EXPECT_EQ(r.read(b, 8), 7u);
  const float want[7] = {6, 1, 2, 3, 4, 5, 6};
  for (int i = 0; i < 7; ++i) EXPECT_EQ(b[i], want[i]) << i;
  EXPECT_EQ(r.readable(), 0u);
}

TEST(SpscRing, TwoThreadsSeeEverySampleInOrder) {
  SpscRing r(64);
  constexpr int kN = 100000;
  std::thread producer([&] {
    for (int i = 0; i < kN;) {
      float v[7];
      for (int k = 0; k < 7; ++k) v[k] = static_cast<float>(i + k);
      const std::size_t w = r.write(v, static_cast<std::size_t>(std::min(7, kN - i)));
      if (w == 0) std::this_thread::yield();
      i += static_cast<int>(w);
    }
  });
  int bad = 0;
  for (int i = 0; i < kN;) {
    float v[5];
    const std::size_t got = r.read(v, 5);
    if (got == 0) std::this_thread::yield();
    for (std::size_t k = 0; k < got; ++k) bad += v[k] != static_cast<float>(i++);
  }
  producer.join();
  EXPECT_EQ(bad, 0);
}

// The bridge's outputs are the separator's stems delayed by added_latency() more, bit for bit,
// whatever the period; a mix output is the sum of its groups.
TEST(LiveBridge, OutputsAreTheStemsDelayedByTheStatedLatency) {
  const Score s = two_notes();
  const Grouping g = groups_of(s);
  const Index n = static_cast<Index>(1.5 * kRate);
  const VectorXf x = tones(n);
  LiveSeparator ref(s, g, kRate, 1);
  LiveBlock whole = ref.push(x);
  for (int period : {256, 1000}) {
    LiveSeparator live(s, g, kRate, 1);
    LiveBridge bridge(live, {{true, false}, {false, true}, {true, true}}, period);
    EXPECT_EQ(bridge.added_latency(), live.hop() + 2 * period);
    std::vector<std::vector<float>> out(3, std::vector<float>(static_cast<std::size_t>(n)));
    for (Index at = 0; at + period <= n; at += period) {
      float* o[3] = {out[0].data() + at, out[1].data() + at, out[2].data() + at};
      bridge.process(x.data() + at, o, period);
      bridge.pump();
    }
    const BridgeCounts c = bridge.counts();
    EXPECT_EQ(c.late, 0u);
    EXPECT_EQ(c.dropped, 0u);
    const Index D = bridge.added_latency(), played = (n / period) * period;
    int wrong = 0;
    for (Index t = 0; t < played; ++t) {
      const Index s0 = t - D;  // the separator's output sample
      const float a = s0 < 0 || s0 >= whole.frames ? 0.0f : whole.stems[0](s0, 0);
      const float b = s0 < 0 || s0 >= whole.frames ? 0.0f : whole.stems[1](s0, 0);
      wrong += out[0][static_cast<std::size_t>(t)] != a || out[1][static_cast<std::size_t>(t)] != b ||
               std::abs(out[2][static_cast<std::size_t>(t)] - (a + b)) > 1e-6f;
    }
    EXPECT_EQ(wrong, 0) << "period " << period;
    // The music is there (not all zeros after the latency).
    EXPECT_GT(std::abs(out[0][static_cast<std::size_t>(played - 1)]) + std::abs(out[0][static_cast<std::size_t>(played - 100)]), 0.0f);
  }
}

// A worker that falls behind: the periods it misses are silence (counted late), and once it
// catches up the outputs are back at the same fixed latency.
TEST(LiveBridge, LatePeriodsAreSilentAndTheLatencyComesBack) {
  const Score s = two_notes();
  const Grouping g = groups_of(s);
  const int period = 256;
  const Index n = 120 * period;
  const VectorXf x = tones(n);
  LiveSeparator ref(s, g, kRate, 1);
  const LiveBlock whole = ref.push(x);
  LiveSeparator live(s, g, kRate, 1);
  LiveBridge bridge(live, {{true, false}}, period);
  std::vector<float> out(static_cast<std::size_t>(n));
  const Index stall_from = 40, stall_to = 60;  // periods without a pump
  for (Index k = 0; k < n / period; ++k) {
    float* o[1] = {out.data() + k * period};
    bridge.process(x.data() + k * period, o, period);
    if (k < stall_from || k >= stall_to) bridge.pump();
  }
  const BridgeCounts c = bridge.counts();
  EXPECT_GT(c.late, 0u);
  EXPECT_EQ(c.periods, static_cast<std::uint64_t>(n / period));
  const Index D = bridge.added_latency();
  // Late periods: silence. After the catch-up (a few periods): the reference at latency D.
  int wrong = 0, silent = 0;
  for (Index t = (stall_to + 4) * period; t < n; ++t) wrong += out[static_cast<std::size_t>(t)] != whole.stems[0](t - D, 0);
  for (Index t = (stall_to - 1) * period; t < stall_to * period; ++t) silent += out[static_cast<std::size_t>(t)] == 0.0f;
  EXPECT_EQ(wrong, 0);
  EXPECT_EQ(silent, period);
}

TEST(LiveBridge, ProcessAllocatesNothing) {
  const Score s = two_notes();
  LiveSeparator live(s, groups_of(s), kRate, 1);
  LiveBridge bridge(live, {{true, false}, {false, true}}, 128);
  const VectorXf x = tones(64 * 384);
  std::vector<float> a(384), b(384);
  float* o[2] = {a.data(), b.data()};
  long news = 0;
  for (int k = 0; k < 64; ++k) {
    g_news = 0;
    t_count = true;
    // Every third period longer than the bridge was made for: taken in parts, still no allocation.
    bridge.process(x.data() + k * 384, o, k % 3 == 2 ? 384 : 128);
    t_count = false;
    news += g_news.load();
    bridge.pump();  // allocates, outside the count
  }
  EXPECT_EQ(news, 0);
  EXPECT_EQ(bridge.counts().periods, 64u);
}

TEST(LiveBridge, InvalidArgumentsAreRefused) {
  const Score s = two_notes();
  LiveSeparator mono(s, groups_of(s), kRate, 1), stereo(s, groups_of(s), kRate, 2);
  EXPECT_THROW(LiveBridge(stereo, {{true, true}}, 256), InvalidArgument);
  EXPECT_THROW(LiveBridge(mono, {{true}}, 256), InvalidArgument);
  EXPECT_THROW(LiveBridge(mono, {}, 256), InvalidArgument);
  EXPECT_THROW(LiveBridge(mono, {{true, true}}, 0), InvalidArgument);
}

}  // namespace
}  // namespace notewise
