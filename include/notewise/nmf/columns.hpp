#pragma once
// A spectrogram kept outside the process's memory and read back in segments of frames, so that
// the NMF of an arbitrarily long recording holds only W, H and one segment of V.
//
// The multiplicative KL updates allow this exactly: the H step is frame by frame, and the W
// step's numerator (V ./ WH) H' and denominator 1 H' are sums over frames, accumulated segment
// by segment. The core defines the interface; where the columns live (a temporary file:
// io/column_file.hpp) is the front end's choice.
#include <algorithm>
#include <string>

#include "notewise/core/error.hpp"
#include "notewise/core/types.hpp"

namespace notewise::nmf {

template <class T>
class ColumnStore {
 public:
  virtual ~ColumnStore() = default;
  Index rows() const { return rows_; }
  Index cols() const { return cols_; }
  // Adds columns after the last ones; every block has the rows of the first.
  void append(const Eigen::Ref<const Matrix<T>>& block) {
    if (cols_ == 0) rows_ = block.rows();
    if (block.rows() != rows_)
      throw InvalidArgument("column store: a block of " + std::to_string(block.rows()) + " rows after " +
                                  std::to_string(rows_));
    if (block.cols() == 0) return;
    write(cols_, block);
    cols_ += block.cols();
  }
  // Columns [first, first + out.cols()) into out (rows() x count). Reads into disjoint buffers
  // may run at once (the NMF's threads read a share of each segment each); appends may not.
  void read(Index first, Eigen::Ref<Matrix<T>> out) const {
    if (first < 0 || out.cols() < 0 || first + out.cols() > cols_ || out.rows() != rows_)
      throw InvalidArgument("column store: columns " + std::to_string(first) + " + " + std::to_string(out.cols()) +
                                  " of " + std::to_string(cols_));
    if (out.cols() > 0) load(first, out);
  }
  // Columns [first, first + count) in place (rows() x count, contiguous), where the store can
  // show them without a copy (a file mapped into memory), valid until release(first, count);
  // nullptr where it cannot, and then read() is the way.
  const T* view(Index first, Index count) const {
    if (first < 0 || count <= 0 || first + count > cols_) return nullptr;
    return map(first, count);
  }
  // Gives back what view() showed: the pages of a mapped file leave the process's memory.
  void release(Index first, Index count) const {
    if (first >= 0 && count > 0 && first + count <= cols_) unmap(first, count);
  }

 protected:
  virtual void write(Index first, const Eigen::Ref<const Matrix<T>>& block) = 0;
  virtual void load(Index first, Eigen::Ref<Matrix<T>> out) const = 0;
  virtual const T* map(Index, Index) const { return nullptr; }
  virtual void unmap(Index, Index) const {}

 private:
  Index rows_ = 0, cols_ = 0;
};

// The columns in memory: the reference the file-backed store is tested against.
template <class T>
class MemoryColumns final : public ColumnStore<T> {
 protected:
  void write(Index first, const Eigen::Ref<const Matrix<T>>& block) override {
    // Capacity doubles, so that appending chunk by chunk copies each column a bounded number of times.
    if (first + block.cols() > data_.cols())
      data_.conservativeResize(block.rows(), std::max(first + block.cols(), 2 * data_.cols()));
    data_.middleCols(first, block.cols()) = block;
  }
  void load(Index first, Eigen::Ref<Matrix<T>> out) const override { out = data_.middleCols(first, out.cols()); }

 private:
  Matrix<T> data_;
};

}  // namespace notewise::nmf
