#pragma once
// A spectrogram's columns in a temporary file (nmf::ColumnStore): what lets the NMF of an
// hour-long recording hold one segment of V instead of all of it (1.27 GB an hour at the
// defaults). The file has no name: it is created unlinked (O_TMPFILE, else a random name
// unlinked at once), so nothing is left behind however the run ends, and the space is freed
// when the store is destroyed. Reads come from the page cache while memory allows; they are
// not counted in the process's resident memory.
#include <string>

#include "notewise/nmf/columns.hpp"

namespace notewise::io {

class ColumnFile final : public nmf::ColumnStore<float> {
 public:
  // In `dir` (it must exist and be writable); throws IoError naming it otherwise.
  explicit ColumnFile(const std::string& dir);
  ~ColumnFile() override;
  ColumnFile(const ColumnFile&) = delete;
  ColumnFile& operator=(const ColumnFile&) = delete;

 protected:
  void write(Index first, const Eigen::Ref<const MatrixXf>& block) override;
  void load(Index first, Eigen::Ref<MatrixXf> out) const override;
  // The whole file mapped read-only (again after appends); a segment's pages are dropped from
  // the process (madvise) when it is released, so the mapping adds one segment to the
  // resident memory, not V. Without mmap, nullptr: the NMF reads instead.
  const float* map(Index first, Index count) const override;
  void unmap(Index first, Index count) const override;

 private:
  std::string dir_;
  int fd_ = -1;
  mutable void* mapped_ = nullptr;
  mutable std::size_t mapped_bytes_ = 0;
};

}  // namespace notewise::io
