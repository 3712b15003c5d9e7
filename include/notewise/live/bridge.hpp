#pragma once
// LiveBridge: a LiveSeparator behind a real-time audio callback (JACK's process callback, or any
// other), the callback doing no allocation, no locking and no I/O.
//
// LiveSeparator::push allocates (its LiveBlock) and does a hop's work whenever a hop completes,
// so it cannot run in the callback. The bridge splits the work across two threads:
//
//   real-time thread   process(in, out, frames): copies the period's input samples into a
//                      lock-free single-producer/single-consumer ring (SpscRing), wakes the
//                      worker (sem_post: async-signal-safe, no lock), and copies `frames` frames
//                      of every output back from a second ring; nothing else;
//   worker thread      pump(): drains the input ring through LiveSeparator::push and writes each
//                      output (a sum of groups' stems: a group's own port, a practice mix) into
//                      the output ring, interleaved; then hands the LiveBlock to the caller (to
//                      write files, print the position) after the ring has its samples.
//
// Latency added to the separator's (latency_samples): the output ring starts with
//   added_latency() = hop + 2 periods
// frames of silence. The worker gets the samples of period n once the callback of period n has
// run and has them ready as stems for whole hops only, so the callback of period n + 1 needs
// up to period + hop - 1 frames made since; the second period is slack for the worker's wake-up
// and work. Output sample s of every port is then input sample s - latency_samples() -
// added_latency() (at 22050 Hz, 100 ms, 256-frame periods: 2205 + 1247 samples = 156.6 ms).
// The latency stays fixed: when the worker is late (the ring holds less than a period), the
// callback plays silence for that period, counts it in `late`, and drops as many frames once
// they arrive. Input that finds the input ring full (a worker stalled for seconds) is dropped
// and counted in `dropped`.
//
// Thread safety: process() from one thread (the real-time one), pump() and wait() from one
// other; the counters from anywhere.
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "notewise/live/live.hpp"

namespace notewise {

// A lock-free ring of floats for one producer thread and one consumer thread: capacity a
// power of two (at least the capacity asked), wait-free reads and writes of as much as fits.
class SpscRing {
 public:
  explicit SpscRing(std::size_t capacity);
  std::size_t capacity() const { return buf_.size(); }
  std::size_t readable() const noexcept;  // consumer side
  std::size_t writable() const noexcept;  // producer side
  std::size_t write(const float* data, std::size_t n) noexcept;  // writes min(n, writable())
  std::size_t read(float* data, std::size_t n) noexcept;         // reads min(n, readable())
  std::size_t skip(std::size_t n) noexcept;                      // drops min(n, readable())

 private:
  std::vector<float> buf_;
  std::size_t mask_ = 0;
  alignas(64) std::atomic<std::size_t> head_{0};  // written: the producer's count
  alignas(64) std::atomic<std::size_t> tail_{0};  // read: the consumer's count
};

struct BridgeCounts {
  std::uint64_t periods = 0;  // process() calls
  std::uint64_t late = 0;     // periods played as silence: the worker had not made their stems
  std::uint64_t dropped = 0;  // input samples dropped: the input ring was full
};

class LiveBridge {
 public:
  // `live`: a mono separator (InvalidArgument otherwise), used by pump() only. `outputs`: per
  // output, which groups it sums (one flag per group; InvalidArgument otherwise). `max_period`:
  // the largest period process() will be given, 1 .. 65536 (longer periods are taken in parts).
  LiveBridge(LiveSeparator& live, std::vector<std::vector<bool>> outputs, int max_period);
  ~LiveBridge();
  LiveBridge(const LiveBridge&) = delete;
  LiveBridge& operator=(const LiveBridge&) = delete;

  // Real-time side: `frames` input samples in, `frames` samples of each output out (out[o] for
  // output o). No allocation, lock or I/O.
  void process(const float* in, float* const* out, int frames) noexcept;

  // Worker side: every input sample received so far through the separator, the outputs into
  // the ring, then on_block(block) for each block made (may be empty). Returns the samples taken.
  Index pump(const std::function<void(const LiveBlock&)>& on_block = {});
  // Waits until process() has run again, or `seconds` have passed; true if it has.
  bool wait(double seconds);

  Index added_latency() const { return added_; }
  std::size_t outputs() const { return outputs_.size(); }
  BridgeCounts counts() const;

 private:
  LiveSeparator& live_;
  std::vector<std::vector<bool>> outputs_;
  int max_period_ = 0;
  Index added_ = 0;
  SpscRing in_, out_;
  std::vector<float> scratch_;   // real-time side: one period of interleaved outputs
  std::size_t owed_ = 0;         // real-time side: frames to drop (periods played as silence)
  std::vector<float> pump_in_, pump_out_;  // worker side
  std::atomic<std::uint64_t> periods_{0}, late_{0}, dropped_{0};
  struct Wake;
  std::unique_ptr<Wake> wake_;
};

}  // namespace notewise
