// A build without JACK (io/jack_live.hpp): the same interface, saying so.
#include "notewise/core/error.hpp"
#include "notewise/io/jack_live.hpp"

namespace notewise::io {

bool jack_available() { return false; }

struct JackLive::Impl {};

JackLive::JackLive(const JackSettings&) {
  throw IoError("JACK", "this build of notewise has no JACK client (rebuild with libjack-jackd2-dev installed)");
}
JackLive::~JackLive() = default;
double JackLive::sample_rate() const { return 0; }
int JackLive::period() const { return 0; }
std::string JackLive::name() const { return {}; }
JackRunSummary JackLive::run(LiveSeparator&, const std::vector<JackOutput>&, const std::function<bool()>&,
                             const std::function<void(const LiveBlock&)>&, const std::function<void(const FollowerState&)>&) {
  return {};
}

}  // namespace notewise::io
