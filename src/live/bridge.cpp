// LiveBridge (live/bridge.hpp): a separator behind a real-time callback through two lock-free
// rings and a worker.
#include "notewise/live/bridge.hpp"

#include <semaphore.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <ctime>
#include <string>

#include "notewise/core/error.hpp"

namespace notewise {

SpscRing::SpscRing(std::size_t capacity) {
  std::size_t n = 1;
  while (n < capacity) n <<= 1;
  buf_.assign(n, 0.0f);
  mask_ = n - 1;
}

// The producer publishes with release after writing; the consumer acquires before reading (and
// the other way round for the space freed), so each side sees the other's data complete.
std::size_t SpscRing::readable() const noexcept {
  return head_.load(std::memory_order_acquire) - tail_.load(std::memory_order_relaxed);
}

std::size_t SpscRing::writable() const noexcept {
  return buf_.size() - (head_.load(std::memory_order_relaxed) - tail_.load(std::memory_order_acquire));
}

std::size_t SpscRing::write(const float* data, std::size_t n) noexcept {
  const std::size_t head = head_.load(std::memory_order_relaxed);
  n = std::min(n, writable());
  const std::size_t at = head & mask_, first = std::min(n, buf_.size() - at);
  std::copy(data, data + first, buf_.data() + at);
  std::copy(data + first, data + n, buf_.data());
  head_.store(head + n, std::memory_order_release);
  return n;
}

std::size_t SpscRing::read(float* data, std::size_t n) noexcept {
  const std::size_t tail = tail_.load(std::memory_order_relaxed);
  n = std::min(n, readable());
  const std::size_t at = tail & mask_, first = std::min(n, buf_.size() - at);
  std::copy(buf_.data() + at, buf_.data() + at + first, data);
  std::copy(buf_.data(), buf_.data() + (n - first), data + first);
  tail_.store(tail + n, std::memory_order_release);
  return n;
}

std::size_t SpscRing::skip(std::size_t n) noexcept {
  const std::size_t tail = tail_.load(std::memory_order_relaxed);
  n = std::min(n, readable());
  tail_.store(tail + n, std::memory_order_release);
  return n;
}

struct LiveBridge::Wake {
  sem_t sem;
  Wake() { sem_init(&sem, 0, 0); }
  ~Wake() { sem_destroy(&sem); }
};

namespace {
// Rings: the input a few seconds deep (a worker stalled that long loses samples), the output
// twice what is ever in flight (the added latency, a hop, a period).
constexpr double kInputSeconds = 4;

Index added_latency_of(const LiveSeparator& live, int max_period) { return live.hop() + 2 * static_cast<Index>(std::max(max_period, 0)); }

std::size_t input_capacity(const LiveSeparator& live, int max_period) {
  return std::max(static_cast<std::size_t>(8) * static_cast<std::size_t>(std::max(max_period, 1)),
                  static_cast<std::size_t>(kInputSeconds * live.sample_rate()));
}

std::size_t output_capacity(const LiveSeparator& live, int max_period, std::size_t outputs) {
  return 2 * static_cast<std::size_t>(added_latency_of(live, max_period) + live.hop() + std::max(max_period, 1)) *
         std::max<std::size_t>(outputs, 1);
}
}  // namespace

LiveBridge::LiveBridge(LiveSeparator& live, std::vector<std::vector<bool>> outputs, int max_period)
    : live_(live),
      outputs_(std::move(outputs)),
      max_period_(max_period),
      added_(added_latency_of(live, max_period)),
      in_(input_capacity(live, max_period)),
      out_(output_capacity(live, max_period, outputs_.size())),
      wake_(std::make_unique<Wake>()) {
  if (max_period < 1 || max_period > 65536)
    throw InvalidArgument("live bridge: a period of " + std::to_string(max_period) + " frames (1 .. 65536 allowed)");
  if (outputs_.empty()) throw InvalidArgument("live bridge: no outputs");
  if (live.channels() != 1) throw InvalidArgument("live bridge: the separator takes " + std::to_string(live.channels()) + " channels (1 expected)");
  const std::size_t G = live.groups().names.size();
  for (const auto& o : outputs_)
    if (o.size() != G)
      throw InvalidArgument("live bridge: an output of " + std::to_string(o.size()) + " flags for " + std::to_string(G) + " groups");
  const std::size_t P = outputs_.size();
  scratch_.assign(static_cast<std::size_t>(max_period) * P, 0.0f);
  // The added latency: silence first.
  const std::vector<float> zeros(static_cast<std::size_t>(added_) * P, 0.0f);
  out_.write(zeros.data(), zeros.size());
}

LiveBridge::~LiveBridge() = default;

BridgeCounts LiveBridge::counts() const {
  return BridgeCounts{periods_.load(std::memory_order_relaxed), late_.load(std::memory_order_relaxed),
                      dropped_.load(std::memory_order_relaxed)};
}

void LiveBridge::process(const float* in, float* const* out, int frames) noexcept {
  const std::size_t P = outputs_.size();
  periods_.fetch_add(1, std::memory_order_relaxed);
  const std::size_t n = frames > 0 ? static_cast<std::size_t>(frames) : 0;
  const std::size_t taken = in_.write(in, n);
  if (taken < n) dropped_.fetch_add(n - taken, std::memory_order_relaxed);
  sem_post(&wake_->sem);
  // Frames owed for periods played as silence are dropped first, so the latency stays fixed.
  if (owed_ > 0) owed_ -= out_.skip(owed_ * P) / P;
  for (std::size_t done = 0; done < n;) {
    const std::size_t m = std::min(n - done, static_cast<std::size_t>(max_period_));
    if (owed_ == 0 && out_.readable() >= m * P) {
      out_.read(scratch_.data(), m * P);
      for (std::size_t o = 0; o < P; ++o)
        for (std::size_t i = 0; i < m; ++i) out[o][done + i] = scratch_[i * P + o];
    } else {
      for (std::size_t o = 0; o < P; ++o) std::fill(out[o] + done, out[o] + done + m, 0.0f);
      owed_ += m;
      late_.fetch_add(1, std::memory_order_relaxed);
    }
    done += m;
  }
}

Index LiveBridge::pump(const std::function<void(const LiveBlock&)>& on_block) {
  const std::size_t P = outputs_.size();
  Index taken = 0;
  pump_in_.resize(static_cast<std::size_t>(std::max(max_period_, live_.hop())));
  for (std::size_t n; (n = in_.read(pump_in_.data(), pump_in_.size())) > 0;) {
    taken += static_cast<Index>(n);
    const LiveBlock b = live_.push(Eigen::Map<const MatrixXf>(pump_in_.data(), static_cast<Index>(n), 1));
    if (b.frames > 0) {
      pump_out_.assign(static_cast<std::size_t>(b.frames) * P, 0.0f);
      for (std::size_t o = 0; o < P; ++o)
        for (std::size_t g = 0; g < outputs_[o].size(); ++g)
          if (outputs_[o][g])
            for (Index i = 0; i < b.frames; ++i) pump_out_[static_cast<std::size_t>(i) * P + o] += b.stems[g](i, 0);
      // The ring holds twice what is ever in flight; a full one means the callback has stopped
      // (the server is gone): the frames that do not fit are not needed.
      const std::size_t fit = std::min<std::size_t>(static_cast<std::size_t>(b.frames), out_.writable() / P);
      out_.write(pump_out_.data(), fit * P);
    }
    if (on_block) on_block(b);
  }
  return taken;
}

bool LiveBridge::wait(double seconds) {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  const double s = std::max(0.0, seconds);
  ts.tv_sec += static_cast<time_t>(s);
  ts.tv_nsec += static_cast<long>((s - std::floor(s)) * 1e9);
  if (ts.tv_nsec >= 1000000000L) {
    ts.tv_sec += 1;
    ts.tv_nsec -= 1000000000L;
  }
  while (sem_timedwait(&wake_->sem, &ts) != 0)
    if (errno != EINTR) return false;
  // Several posts may have gathered: one pump takes them all.
  while (sem_trywait(&wake_->sem) == 0) {
  }
  return true;
}

}  // namespace notewise
