// libFuzzer target: the piano-model folder reader (model.json + encoder.npy + decoder.npy) turns
// any folder into a consistent model or a notewise::Error. The input is split at the first two
// occurrences of the separator "\n--npy--\n" into model.json, encoder.npy and decoder.npy.
#include <sys/stat.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <fstream>
#include <string>

#include "notewise/core/error.hpp"
#include "notewise/io/model_io.hpp"

namespace {
const std::string& folder() {
  static const std::string dir = [] {
    char tmpl[] = "/dev/shm/notewise-fuzz-model-XXXXXX";
    const char* d = ::mkdtemp(tmpl);
    if (d == nullptr) __builtin_trap();
    return std::string(d);
  }();
  return dir;
}
void put(const std::string& name, const std::string& bytes) {
  std::ofstream(folder() + "/" + name, std::ios::binary | std::ios::trunc) << bytes;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string all(reinterpret_cast<const char*>(data), size);
  static const std::string sep = "\n--npy--\n";
  std::string parts[3];
  std::size_t at = 0;
  for (int i = 0; i < 3; ++i) {
    const std::size_t end = i == 2 ? std::string::npos : all.find(sep, at);
    parts[i] = all.substr(at, end == std::string::npos ? std::string::npos : end - at);
    if (end == std::string::npos) {
      at = all.size();
    } else {
      at = end + sep.size();
    }
  }
  put("model.json", parts[0]);
  put("encoder.npy", parts[1]);
  put("decoder.npy", parts[2]);
  try {
    const notewise::PianoModel m = notewise::io::read_piano_model(folder());
    m.check();  // what the reader returns is consistent
  } catch (const notewise::Error&) {
  }
  return 0;
}
