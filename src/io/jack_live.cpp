// Live separation as a JACK client (io/jack_live.hpp). The process callback hands the period to
// LiveBridge::process (lock-free rings, no allocation); this thread runs the separator.
#include "notewise/io/jack_live.hpp"

#include <jack/jack.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "notewise/core/error.hpp"

namespace notewise::io {

bool jack_available() { return true; }

struct JackLive::Impl {
  std::string server;
  std::vector<std::string> connect;
  jack_client_t* client = nullptr;
  jack_port_t* in = nullptr;
  std::vector<jack_port_t*> outs;
  std::vector<float*> out_buffers;  // sized before activation: the callback only fills it
  LiveBridge* bridge = nullptr;     // set before activation, cleared after deactivation
  std::atomic<std::uint64_t> xruns{0};
  std::atomic<bool> gone{false};

  static int process(jack_nframes_t frames, void* arg) {
    auto* m = static_cast<Impl*>(arg);
    const auto* in = static_cast<const float*>(jack_port_get_buffer(m->in, frames));
    for (std::size_t o = 0; o < m->outs.size(); ++o) m->out_buffers[o] = static_cast<float*>(jack_port_get_buffer(m->outs[o], frames));
    m->bridge->process(in, m->out_buffers.data(), static_cast<int>(frames));
    return 0;
  }
  static int xrun(void* arg) {
    static_cast<Impl*>(arg)->xruns.fetch_add(1, std::memory_order_relaxed);
    return 0;
  }
  static void shutdown(void* arg) { static_cast<Impl*>(arg)->gone.store(true); }
};

namespace {
void jack_quiet(const char*) {}
void jack_say(const char* msg) { std::fprintf(stderr, "notewise: jack: %s\n", msg); }
}  // namespace

JackLive::JackLive(const JackSettings& s) : impl_(std::make_unique<Impl>()) {
  Impl& m = *impl_;
  // libjack's own lines while it looks for a server ("jack server is not running ...") would
  // come before the one line that says so; once connected, its messages are shown.
  jack_set_error_function(jack_quiet);
  jack_set_info_function(jack_quiet);
  m.server = s.server;
  m.connect = s.connect;
  jack_status_t status{};
  const int options = JackNoStartServer | (s.server.empty() ? 0 : JackServerName);
  m.client = s.server.empty() ? jack_client_open(s.client.c_str(), static_cast<jack_options_t>(options), &status)
                              : jack_client_open(s.client.c_str(), static_cast<jack_options_t>(options), &status, s.server.c_str());
  jack_set_error_function(jack_say);
  if (!m.client) {
    const char* env = std::getenv("JACK_DEFAULT_SERVER");
    const std::string name = !s.server.empty() ? s.server : (env && *env ? env : "default");
    throw IoError("JACK server '" + name + "'", (status & JackServerFailed) ? "no server running (start jackd first)"
                                                                           : "cannot open a client (status " + std::to_string(static_cast<int>(status)) + ")");
  }
}

JackLive::~JackLive() {
  if (impl_->client) jack_client_close(impl_->client);
}

double JackLive::sample_rate() const { return static_cast<double>(jack_get_sample_rate(impl_->client)); }
int JackLive::period() const { return static_cast<int>(jack_get_buffer_size(impl_->client)); }
std::string JackLive::name() const { return jack_get_client_name(impl_->client); }

JackRunSummary JackLive::run(LiveSeparator& live, const std::vector<JackOutput>& outputs, const std::function<bool()>& stop,
                             const std::function<void(const LiveBlock&)>& on_block,
                             const std::function<void(const FollowerState&)>& on_status) {
  Impl& m = *impl_;
  if (std::abs(live.sample_rate() - sample_rate()) > 1e-9)
    throw InvalidArgument("jack: the separator runs at " + std::to_string(live.sample_rate()) + " Hz, the server at " +
                          std::to_string(sample_rate()) + " Hz");
  std::vector<std::vector<bool>> sums;
  for (const auto& o : outputs) sums.push_back(o.groups);
  const int period = this->period();
  // Periods may grow later (jack_set_buffer_size): the bridge takes longer ones in parts.
  LiveBridge bridge(live, std::move(sums), period);

  m.in = jack_port_register(m.client, "in", JACK_DEFAULT_AUDIO_TYPE, JackPortIsInput, 0);
  if (!m.in) throw IoError("JACK client '" + name() + "'", "cannot register port 'in'");
  for (const auto& o : outputs) {
    jack_port_t* p = jack_port_register(m.client, o.port.c_str(), JACK_DEFAULT_AUDIO_TYPE, JackPortIsOutput, 0);
    if (!p) throw IoError("JACK client '" + name() + "'", "cannot register port '" + o.port + "'");
    m.outs.push_back(p);
  }
  m.out_buffers.assign(m.outs.size(), nullptr);
  m.bridge = &bridge;
  jack_set_process_callback(m.client, &Impl::process, &m);
  jack_set_xrun_callback(m.client, &Impl::xrun, &m);
  jack_on_shutdown(m.client, &Impl::shutdown, &m);
  if (jack_activate(m.client) != 0) throw IoError("JACK client '" + name() + "'", "cannot activate");
  struct Deactivate {  // on every way out: the callback stops before the bridge goes
    Impl& m;
    bool done = false;
    void now() {
      if (done) return;
      done = true;
      if (!m.gone.load()) jack_deactivate(m.client);
      m.bridge = nullptr;
    }
    ~Deactivate() { now(); }
  } deactivate{m};
  for (const auto& src : m.connect)
    if (jack_connect(m.client, src.c_str(), jack_port_name(m.in)) != 0)
      throw IoError("JACK port '" + src + "'", "cannot connect it to " + std::string(jack_port_name(m.in)));

  JackRunSummary s;
  s.period = period;
  s.added_latency = bridge.added_latency();
  auto last = std::chrono::steady_clock::now();
  while (!m.gone.load() && !(stop && stop())) {
    bridge.wait(0.05);
    s.samples += bridge.pump(on_block);
    const auto now = std::chrono::steady_clock::now();
    if (on_status && now - last >= std::chrono::seconds(1)) {
      last = now;
      on_status(live.follower().state());
    }
  }
  deactivate.now();
  s.samples += bridge.pump(on_block);  // what came before the callback stopped
  s.counts = bridge.counts();
  s.xruns = m.xruns.load();
  s.server_gone = m.gone.load();
  return s;
}

}  // namespace notewise::io
