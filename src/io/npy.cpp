#include "notewise/io/npy.hpp"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <regex>
#include <vector>

#include "notewise/core/error.hpp"
#include "notewise/io/atomic_file.hpp"

namespace notewise::io {

MatrixXf read_npy(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError(path, "cannot open");
  char magic[8];
  if (!in.read(magic, 8) || std::memcmp(magic, "\x93NUMPY", 6) != 0)
    throw ParseError(path, 0, "not a .npy file (bad magic string)");
  const int major = static_cast<unsigned char>(magic[6]);
  std::uint32_t header_len = 0;
  if (major == 1) {
    unsigned char b[2];
    if (!in.read(reinterpret_cast<char*>(b), 2)) throw ParseError(path, 0, "truncated header");
    header_len = b[0] | (b[1] << 8);
  } else if (major == 2 || major == 3) {
    unsigned char b[4];
    if (!in.read(reinterpret_cast<char*>(b), 4)) throw ParseError(path, 0, "truncated header");
    header_len = b[0] | (b[1] << 8) | (b[2] << 16) | (static_cast<std::uint32_t>(b[3]) << 24);
  } else {
    throw ParseError(path, 0, "unsupported .npy version " + std::to_string(major));
  }
  if (header_len > (1u << 20)) throw ParseError(path, 0, "header too long");
  std::string header(header_len, '\0');
  if (!in.read(header.data(), header_len)) throw ParseError(path, 0, "truncated header");

  std::smatch m;
  if (!std::regex_search(header, m, std::regex("'descr'\\s*:\\s*'([^']*)'")))
    throw ParseError(path, 0, "header has no 'descr'");
  const std::string descr = m[1];
  int item = 0;
  if (descr == "<f4" || descr == "=f4") item = 4;
  else if (descr == "<f8" || descr == "=f8") item = 8;
  else throw ParseError(path, 0, "dtype '" + descr + "' not supported (use float32 or float64, little-endian)");
  if (!std::regex_search(header, m, std::regex("'fortran_order'\\s*:\\s*(True|False)")))
    throw ParseError(path, 0, "header has no 'fortran_order'");
  const bool fortran = m[1] == "True";
  if (!std::regex_search(header, m, std::regex("'shape'\\s*:\\s*\\(([^)]*)\\)")))
    throw ParseError(path, 0, "header has no 'shape'");
  std::vector<long long> shape;
  {
    const std::string dims = m[1];
    std::regex num("\\d+");
    for (auto it = std::sregex_iterator(dims.begin(), dims.end(), num); it != std::sregex_iterator(); ++it)
      shape.push_back(std::stoll(it->str()));
  }
  if (shape.empty() || shape.size() > 2)
    throw ParseError(path, 0, "array has " + std::to_string(shape.size()) + " dimensions; expected 1 or 2");
  const Index rows = shape[0];
  const Index cols = shape.size() == 2 ? shape[1] : 1;
  if (rows <= 0 || cols <= 0) throw ParseError(path, 0, "array is empty");
  if (rows > (1LL << 31) / cols) throw ParseError(path, 0, "array too large");
  const std::size_t count = static_cast<std::size_t>(rows * cols);
  std::vector<char> raw(count * item);
  if (!in.read(raw.data(), static_cast<std::streamsize>(raw.size())))
    throw ParseError(path, 0, "file is truncated: expected " + std::to_string(count) + " values");

  MatrixXf out(rows, cols);
  for (std::size_t i = 0; i < count; ++i) {
    double v;
    if (item == 4) {
      float f;
      std::memcpy(&f, raw.data() + i * 4, 4);
      v = f;
    } else {
      std::memcpy(&v, raw.data() + i * 8, 8);
    }
    if (!std::isfinite(v)) throw ParseError(path, 0, "holds a non-finite value (NaN or Inf) at element " + std::to_string(i));
    const Index r = fortran ? static_cast<Index>(i) % rows : static_cast<Index>(i) / cols;
    const Index c = fortran ? static_cast<Index>(i) / rows : static_cast<Index>(i) % cols;
    out(r, c) = static_cast<float>(v);
  }
  return out;
}

void write_npy(const std::string& path, const Eigen::Ref<const MatrixXf>& m, bool overwrite) {
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + std::to_string(m.rows()) + ", " +
                       std::to_string(m.cols()) + "), }";
  // Pad so that magic (6) + version (2) + length (2) + header ends on a multiple of 64 with '\n'.
  const std::size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header.push_back('\n');
  write_atomically(path, overwrite, [&](const std::string& tmp) {
    std::ofstream out(tmp, std::ios::binary);
    out.write("\x93NUMPY\x01\x00", 8);
    const auto len = static_cast<std::uint16_t>(header.size());
    const char lb[2] = {static_cast<char>(len & 0xff), static_cast<char>(len >> 8)};
    out.write(lb, 2);
    out.write(header.data(), static_cast<std::streamsize>(header.size()));
    const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> rowmajor = m;
    out.write(reinterpret_cast<const char*>(rowmajor.data()), static_cast<std::streamsize>(rowmajor.size() * 4));
    out.close();
    if (!out) throw IoError(path, "cannot write");
  });
}

}  // namespace notewise::io
