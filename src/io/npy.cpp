#include "notewise/io/npy.hpp"

#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <new>
#include <string>
#include <vector>

#include "notewise/core/error.hpp"
#include "notewise/io/atomic_file.hpp"

namespace notewise::io {
namespace {

// The header is a Python dict literal, e.g. {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }.
// A hand-written scanner: one pass, no recursion, no backtracking, so its work and stack are
// bounded by the header's length whatever the bytes are (std::regex recursed once per character
// and overflowed the stack on a 40 KB header).
struct NpyHeader {
  std::string descr;
  bool fortran = false;
  std::vector<long long> shape;
};

class HeaderScanner {
 public:
  HeaderScanner(const std::string& text, const std::string& path) : s_(text), path_(path) {}

  NpyHeader parse() {
    NpyHeader h;
    bool have_descr = false, have_order = false, have_shape = false;
    skip();
    expect('{');
    for (;;) {
      skip();
      if (peek() == '}') break;
      const std::string key = quoted();
      skip();
      expect(':');
      skip();
      if (key == "descr") {
        if (have_descr) fail("'descr' is given twice");
        h.descr = quoted();
        have_descr = true;
      } else if (key == "fortran_order") {
        if (have_order) fail("'fortran_order' is given twice");
        if (word("True")) h.fortran = true;
        else if (word("False")) h.fortran = false;
        else fail("'fortran_order' must be True or False");
        have_order = true;
      } else if (key == "shape") {
        if (have_shape) fail("'shape' is given twice");
        h.shape = tuple();
        have_shape = true;
      } else {
        fail("unknown key '" + key + "' (expected 'descr', 'fortran_order' and 'shape')");
      }
      skip();
      if (peek() == ',') {
        ++i_;
        continue;
      }
      if (peek() != '}') fail("expected ',' or '}'");
    }
    ++i_;
    skip();
    if (i_ != s_.size()) fail("unexpected text after the header's '}'");
    if (!have_descr) fail("header has no 'descr'");
    if (!have_order) fail("header has no 'fortran_order'");
    if (!have_shape) fail("header has no 'shape'");
    return h;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw ParseError(path_, 0, ".npy header, at byte " + std::to_string(i_ + 1) + ": " + what);
  }
  char peek() const { return i_ < s_.size() ? s_[i_] : '\0'; }
  void skip() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r')) ++i_;
  }
  void expect(char c) {
    if (peek() != c) fail(std::string("expected '") + c + "'");
    ++i_;
  }
  bool word(const char* w) {
    const std::size_t n = std::strlen(w);
    if (s_.compare(i_, n, w) != 0) return false;
    i_ += n;
    return true;
  }
  std::string quoted() {
    const char q = peek();
    if (q != '\'' && q != '"') fail("expected a quoted key or string");
    const std::size_t end = s_.find(q, i_ + 1);
    if (end == std::string::npos) fail("unterminated string");
    std::string v = s_.substr(i_ + 1, end - i_ - 1);
    if (v.size() > 64) fail("string too long");
    i_ = end + 1;
    return v;
  }
  // '(' [int (',' int)* [',']] ')'
  std::vector<long long> tuple() {
    expect('(');
    std::vector<long long> dims;
    for (;;) {
      skip();
      if (peek() == ')') break;
      if (dims.size() >= 2) fail("array has more than 2 dimensions; expected 1 or 2");
      const std::size_t at = i_;
      bool negative = false;
      if (peek() == '-' || peek() == '+') {
        negative = peek() == '-';
        ++i_;
      }
      long long v = 0;
      std::size_t digits = 0;
      while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9') {
        if (digits == 12) {
          i_ = at;
          fail("dimension '" + s_.substr(at, 20) + "...' is too large");
        }
        v = v * 10 + (s_[i_] - '0');
        ++digits;
        ++i_;
      }
      if (peek() == 'L') ++i_;  // Python 2 longs
      if (digits == 0) fail("expected a dimension (a whole number)");
      if (negative && v != 0) {
        i_ = at;
        fail("dimension -" + std::to_string(v) + " is negative");
      }
      dims.push_back(v);
      skip();
      if (peek() == ',') {
        ++i_;
        continue;
      }
      if (peek() != ')') fail("expected ',' or ')' in 'shape'");
    }
    ++i_;
    return dims;
  }

  const std::string& s_;
  const std::string& path_;
  std::size_t i_ = 0;
};

std::string shortest(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

}  // namespace

MatrixXf read_npy(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) throw IoError(path, "is a folder, not a .npy file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError(path, "cannot open");
  in.seekg(0, std::ios::end);
  const std::streamoff file_size = in.tellg();
  in.seekg(0, std::ios::beg);
  if (file_size < 0) throw IoError(path, "cannot read (not a regular file?)");
  char magic[8];
  if (!in.read(magic, 8) || std::memcmp(magic, "\x93NUMPY", 6) != 0)
    throw ParseError(path, 0, "not a .npy file (bad magic string)");
  const int major = static_cast<unsigned char>(magic[6]);
  std::uint32_t header_len = 0;
  std::streamoff prefix = 0;
  if (major == 1) {
    unsigned char b[2];
    if (!in.read(reinterpret_cast<char*>(b), 2)) throw ParseError(path, 0, "truncated header");
    header_len = b[0] | (b[1] << 8);
    prefix = 10;
  } else if (major == 2 || major == 3) {
    unsigned char b[4];
    if (!in.read(reinterpret_cast<char*>(b), 4)) throw ParseError(path, 0, "truncated header");
    header_len = b[0] | (b[1] << 8) | (b[2] << 16) | (static_cast<std::uint32_t>(b[3]) << 24);
    prefix = 12;
  } else {
    throw ParseError(path, 0, "unsupported .npy version " + std::to_string(major));
  }
  if (header_len > (1u << 16))
    throw ParseError(path, 0, "header of " + std::to_string(header_len) + " bytes is too long (at most 65536)");
  if (prefix + static_cast<std::streamoff>(header_len) > file_size)
    throw ParseError(path, 0, "truncated header (" + std::to_string(header_len) + " bytes claimed, file has " +
                                  std::to_string(file_size) + ")");
  std::string header(header_len, '\0');
  if (!in.read(header.data(), header_len)) throw ParseError(path, 0, "truncated header");

  const NpyHeader h = HeaderScanner(header, path).parse();
  int item = 0;
  if (h.descr == "<f4" || h.descr == "=f4") item = 4;
  else if (h.descr == "<f8" || h.descr == "=f8") item = 8;
  else throw ParseError(path, 0, "dtype '" + h.descr + "' not supported (use float32 or float64, little-endian)");
  if (h.shape.empty()) throw ParseError(path, 0, "array has 0 dimensions; expected 1 or 2");
  const long long rows = h.shape[0];
  const long long cols = h.shape.size() == 2 ? h.shape[1] : 1;
  if (rows <= 0 || cols <= 0) throw ParseError(path, 0, "array is empty");
  // Checked against the file before anything is allocated: a header may claim any size.
  const std::string claim = std::to_string(rows) + " x " + std::to_string(cols);
  if (rows > kMaxNpyElements / cols)
    throw ParseError(path, 0, "array of " + claim + " values is too large (at most " + std::to_string(kMaxNpyElements) +
                                  " values)");
  const long long count = rows * cols;
  const std::streamoff data = file_size - prefix - static_cast<std::streamoff>(header_len);
  if (data < count * item)
    throw ParseError(path, 0, "file is truncated: shape " + claim + " needs " + std::to_string(count * item) +
                                  " bytes of data, the file holds " + std::to_string(data));
  if (data > count * item)
    throw ParseError(path, 0, "file has " + std::to_string(data - count * item) + " bytes after the " + claim +
                                  " values (wrong shape?)");

  MatrixXf out;
  try {
    out.resize(static_cast<Index>(rows), static_cast<Index>(cols));
  } catch (const std::bad_alloc&) {
    throw IoError(path, "not enough memory for " + claim + " values");
  }
  // In blocks, straight into the matrix: no second copy of a large file.
  constexpr long long kBlock = 1 << 16;
  std::vector<char> raw(static_cast<std::size_t>(kBlock * item));
  for (long long first = 0; first < count; first += kBlock) {
    const long long n = std::min(kBlock, count - first);
    if (!in.read(raw.data(), static_cast<std::streamsize>(n * item)))
      throw ParseError(path, 0, "file is truncated: expected " + std::to_string(count) + " values");
    for (long long j = 0; j < n; ++j) {
      const long long i = first + j;
      double v;
      if (item == 4) {
        float f;
        std::memcpy(&f, raw.data() + j * 4, 4);
        v = f;
      } else {
        std::memcpy(&v, raw.data() + j * 8, 8);
      }
      if (!std::isfinite(v))
        throw ParseError(path, 0, "holds a non-finite value (NaN or Inf) at element " + std::to_string(i));
      // A float64 beyond float32's range would become Inf here, after the finiteness check.
      if (std::abs(v) > static_cast<double>(FLT_MAX))
        throw ParseError(path, 0, "value " + shortest(v) + " at element " + std::to_string(i) +
                                      " is outside float32's range (|x| <= 3.4e38)");
      const long long r = h.fortran ? i % rows : i / cols;
      const long long c = h.fortran ? i / rows : i % cols;
      out(static_cast<Index>(r), static_cast<Index>(c)) = static_cast<float>(v);
    }
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
