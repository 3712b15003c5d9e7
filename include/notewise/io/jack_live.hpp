#pragma once
// Live separation as a JACK client (issue #36): an input port "in", one output port per output
// (a group's stem, a practice mix), the separator behind a LiveBridge (live/bridge.hpp) so that
// the process callback allocates nothing, takes no lock and does no I/O.
//
// Optional at build time (pkg-config jack): a build without JACK has the same interface;
// jack_available() is false there and JackLive's constructor throws IoError("this build has no
// JACK support").
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "notewise/live/bridge.hpp"
#include "notewise/live/live.hpp"

namespace notewise::io {

bool jack_available();

struct JackSettings {
  std::string client = "notewise";  // the client's name (JACK may make it unique)
  std::string server;               // empty: JACK's default ($JACK_DEFAULT_SERVER or "default")
  std::vector<std::string> connect; // ports connected to "in" once active (e.g. system:capture_1)
};

struct JackOutput {
  std::string port;          // the port's short name
  std::vector<bool> groups;  // the groups it sums (one flag per group)
};

struct JackRunSummary {
  BridgeCounts counts;              // periods, late periods, dropped samples
  std::uint64_t xruns = 0;          // reported by the server (its xrun callback) while active
  Index samples = 0;                // input samples through the separator
  Index added_latency = 0;          // the bridge's, in samples (on top of the separator's)
  int period = 0;                   // frames per period when it started
  bool server_gone = false;         // the server shut the client down
};

class JackLive {
 public:
  // Opens the client (without starting a server): IoError naming the server if none runs.
  explicit JackLive(const JackSettings& settings);
  ~JackLive();
  JackLive(const JackLive&) = delete;
  JackLive& operator=(const JackLive&) = delete;

  double sample_rate() const;  // the server's, Hz
  int period() const;          // frames per period now
  std::string name() const;    // the client's name as the server gave it

  // Registers the ports, activates, connects, then pumps the bridge in this thread until stop()
  // returns true (asked every ~50 ms) or the server goes away; on_block gets every block the
  // separator made (to write files), on_status the follower's state about once a second. The
  // separator must be mono at the server's rate (InvalidArgument otherwise); IoError if a port
  // cannot be registered or connected.
  JackRunSummary run(LiveSeparator& live, const std::vector<JackOutput>& outputs, const std::function<bool()>& stop,
                     const std::function<void(const LiveBlock&)>& on_block = {},
                     const std::function<void(const FollowerState&)>& on_status = {});

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace notewise::io
