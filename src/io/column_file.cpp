#include "notewise/io/column_file.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <random>

#include "notewise/core/error.hpp"

namespace notewise::io {

namespace {
std::string problem(const char* what) { return std::string(what) + " the spectrogram's temporary file: " + std::strerror(errno); }
}  // namespace

ColumnFile::ColumnFile(const std::string& dir) : dir_(dir.empty() ? "." : dir) {
#ifdef O_TMPFILE
  fd_ = ::open(dir_.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
#endif
  // File systems without O_TMPFILE: a fresh random name, unlinked as soon as it is open.
  std::random_device rd;
  for (int attempt = 0; fd_ < 0 && attempt < 16; ++attempt) {
    const std::string path = dir_ + "/.notewise-spectrogram." + std::to_string(rd() % 100000000);
    fd_ = ::open(path.c_str(), O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0600);
    if (fd_ >= 0) ::unlink(path.c_str());
    else if (errno != EEXIST) break;
  }
  if (fd_ < 0) throw IoError(dir_, problem("cannot create"));
}

ColumnFile::~ColumnFile() {
  if (mapped_) ::munmap(mapped_, mapped_bytes_);
  if (fd_ >= 0) ::close(fd_);
}

const float* ColumnFile::map(Index first, Index) const {
  const std::size_t bytes = static_cast<std::size_t>(rows()) * static_cast<std::size_t>(cols()) * sizeof(float);
  if (mapped_ && mapped_bytes_ != bytes) {  // columns were appended since
    ::munmap(mapped_, mapped_bytes_);
    mapped_ = nullptr;
  }
  if (!mapped_) {
    void* p = ::mmap(nullptr, bytes, PROT_READ, MAP_SHARED, fd_, 0);
    if (p == MAP_FAILED) return nullptr;
    mapped_ = p;
    mapped_bytes_ = bytes;
  }
  return static_cast<const float*>(mapped_) + static_cast<std::size_t>(first) * static_cast<std::size_t>(rows());
}

void ColumnFile::unmap(Index first, Index count) const {
  if (!mapped_) return;
  // Whole pages inside the columns' bytes (a page shared with a neighbour is left: it is read
  // again soon, or was given back with it).
  const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  const std::size_t col = static_cast<std::size_t>(rows()) * sizeof(float);
  const std::size_t begin = (static_cast<std::size_t>(first) * col + page - 1) / page * page;
  const std::size_t end = std::min(mapped_bytes_, static_cast<std::size_t>(first + count) * col) / page * page;
  if (end > begin) ::madvise(static_cast<char*>(mapped_) + begin, end - begin, MADV_DONTNEED);
}

namespace {
// Columns [first, first + cols) of the file to or from `data` (rows x cols, column j at
// data + j * stride): one system call per run of contiguous columns, retried until whole.
template <class Call>
void transfer(Index first, Index rows, Index cols, Index stride, char* data, const Call& call) {
  const auto bytes_per_col = static_cast<std::size_t>(rows) * sizeof(float);
  for (Index j = 0; j < cols;) {
    const Index n = stride == rows ? cols - j : 1;  // a Ref may carry an outer stride
    char* p = data + static_cast<std::size_t>(j * stride) * sizeof(float);
    std::size_t left = bytes_per_col * static_cast<std::size_t>(n);
    auto at = static_cast<off_t>(bytes_per_col * static_cast<std::size_t>(first + j));
    while (left > 0) {
      const ssize_t done = call(p, left, at);
      if (done < 0 && errno == EINTR) continue;
      p += done;
      at += done;
      left -= static_cast<std::size_t>(done);
    }
    j += n;
  }
}
}  // namespace

void ColumnFile::write(Index first, const Eigen::Ref<const MatrixXf>& block) {
  // pwrite only reads from the buffer; transfer's pointer is not const for pread's sake.
  char* data = const_cast<char*>(reinterpret_cast<const char*>(block.data()));
  transfer(first, block.rows(), block.cols(), block.outerStride(), data, [&](char* p, std::size_t n, off_t at) {
    const ssize_t w = ::pwrite(fd_, p, n, at);
    if (w == 0 || (w < 0 && errno != EINTR)) throw IoError(dir_, problem("cannot write"));  // a full disk says so here
    return w;
  });
}

void ColumnFile::load(Index first, Eigen::Ref<MatrixXf> out) const {
  transfer(first, out.rows(), out.cols(), out.outerStride(), reinterpret_cast<char*>(out.data()),
           [&](char* p, std::size_t n, off_t at) {
             const ssize_t r = ::pread(fd_, p, n, at);
             if (r < 0 && errno != EINTR) throw IoError(dir_, problem("cannot read"));
             if (r == 0) throw IoError(dir_, "the spectrogram's temporary file ended early (was it truncated?)");
             return r;
           });
}

}  // namespace notewise::io
