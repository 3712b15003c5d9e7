// libFuzzer target: read_npy turns any bytes into a matrix of finite floats whose size the
// file holds, or a notewise::Error; never a crash, a hang, a sanitizer report or an allocation
// beyond what the file's size justifies.
#include <cmath>
#include <cstddef>
#include <cstdint>

#include "fuzz_common.hpp"
#include "notewise/core/error.hpp"
#include "notewise/io/npy.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  notewise::fuzz::MemFile f(data, size);
  try {
    const notewise::MatrixXf m = notewise::io::read_npy(f.path());
    if (m.size() <= 0 || !m.allFinite()) __builtin_trap();
    if (static_cast<std::size_t>(m.size()) * 4 > size) __builtin_trap();  // at least 4 bytes per value
  } catch (const notewise::Error&) {
  }
  return 0;
}
