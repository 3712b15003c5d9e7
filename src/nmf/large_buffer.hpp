#pragma once
// An uninitialised, 64-byte aligned array for large workspaces that are written in full before
// they are read (the sparse path's gathered spectrogram, tens of MB): std::vector would first
// fill it with zeros, one more pass over memory for nothing.
// (Transparent huge pages were tried: setup was no faster on average and varied 2.5x from run
// to run, as the kernel compacted memory for them.)
#include <cstddef>
#include <cstdlib>
#include <new>
#include <utility>

namespace notewise::nmf::detail {

template <class T>
class LargeBuffer {
 public:
  LargeBuffer() = default;
  explicit LargeBuffer(std::size_t n) {
    constexpr std::size_t kAlign = 64;
    const std::size_t bytes = (n * sizeof(T) + kAlign - 1) / kAlign * kAlign;
    if (bytes == 0) return;
    data_ = static_cast<T*>(std::aligned_alloc(kAlign, bytes));
    if (!data_) throw std::bad_alloc();
  }
  LargeBuffer(const LargeBuffer&) = delete;
  LargeBuffer& operator=(const LargeBuffer&) = delete;
  LargeBuffer(LargeBuffer&& o) noexcept : data_(std::exchange(o.data_, nullptr)) {}
  LargeBuffer& operator=(LargeBuffer&& o) noexcept {
    std::swap(data_, o.data_);
    return *this;
  }
  ~LargeBuffer() { std::free(data_); }

  T* data() { return data_; }
  const T* data() const { return data_; }

 private:
  T* data_ = nullptr;
};

}  // namespace notewise::nmf::detail
