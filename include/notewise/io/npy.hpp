#pragma once
// NumPy .npy files (format 1.0 to 3.0), the exchange format for matrices with Python users.
// Reading accepts little-endian float32 and float64 ('<f4', '<f8'), C or Fortran order, 1-D
// (read as one column) or 2-D. Writing produces float32, C order, shape (rows, cols): numpy's
// np.load gives the same orientation as the matrix here.
#include <string>

#include "notewise/core/types.hpp"

namespace notewise::io {

// At most this many values (2^31, 8 GiB as float32): larger claims are refused before any
// allocation, and every claim is checked against the file's size first.
constexpr long long kMaxNpyElements = 1LL << 31;

// Throws ParseError naming the file and the problem for anything malformed: a bad header
// (parsed in one bounded pass), negative or oversized dimensions, a shape the file's size does
// not match (short or with trailing bytes), NaN/Inf, and float64 values beyond float32's range.
MatrixXf read_npy(const std::string& path);

// Atomic; refuses to replace an existing file unless `overwrite`.
void write_npy(const std::string& path, const Eigen::Ref<const MatrixXf>& m, bool overwrite = false);

}  // namespace notewise::io
