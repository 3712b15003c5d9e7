// The libFuzzer entry point of one target, chosen at build time: -DNOTEWISE_FUZZ_TARGET=midi
// (csv, musicxml, npy, selection, model, audio). The bodies, and the bounds they check, are in
// fuzz_targets.hpp.
#include "fuzz_targets.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  notewise::fuzz::NOTEWISE_FUZZ_TARGET(data, size);
  return 0;
}
