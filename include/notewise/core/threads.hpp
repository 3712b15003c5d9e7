#pragma once
// How many threads notewise uses, decided in one place.
//
// Every parallel region (OpenMP loops, the OpenMP build of OpenBLAS) runs on one pool. Its size
// is the process-wide limit (set_limit; default: the CPUs this process may use, counting the
// scheduler affinity mask and a cgroup CPU quota), narrowed per job by the size of the work:
// a job too small to pay for waking and joining a second thread runs on one (for_work). A
// thread count above the cores that are actually free (other busy processes) only helps when
// the waiting threads sleep instead of spinning: the front ends set OpenMP's passive waiting
// before the runtime starts (OMP_WAIT_POLICY=PASSIVE unless the user chose otherwise).
#include <cstdint>

namespace notewise::threads {

// CPUs this process may run on: the affinity mask (sched_getaffinity), capped by the cgroup's
// CPU quota rounded up (cgroup v2 cpu.max, v1 cpu.cfs_quota_us / cpu.cfs_period_us). >= 1.
int available_cpus();

// The process-wide limit: n >= 1, or 0 for auto (the default): available_cpus(), or fewer
// where the OpenMP runtime started with fewer (OMP_NUM_THREADS). Applies to OpenMP and to the
// BLAS at once. Not for use while another thread is inside a notewise call.
void set_limit(int n);
int limit();

// Multiply-adds per parallel step (e.g. one NMF product K*N*R) below which one thread is
// faster than two even on a quiet machine (bench/bench_threads.cpp measures the crossing).
inline constexpr double kSerialWork = 2.0e7;

// Threads worth using for a job of `work` multiply-adds per parallel step: 1 below
// kSerialWork, else 0 (as many as the caller's pool has).
int for_work(double work);

// Narrows a scope to `n` threads (OpenMP and BLAS of the calling thread), restoring the
// previous counts when it ends. n <= 0, or n not below the current count, changes nothing:
// a scope never raises the count the user or the front end chose.
class Scope {
 public:
  explicit Scope(int n);
  ~Scope();
  Scope(const Scope&) = delete;
  Scope& operator=(const Scope&) = delete;

 private:
  int omp_before_ = 0;
  int blas_before_ = 0;
  bool active_ = false;
};

// Parses a thread count as the user wrote it (a setting or NOTEWISE_THREADS): "auto" or "0"
// = 0, else an integer 1 .. 1024. Returns -1 for anything else.
int parse_count(const char* text);

}  // namespace notewise::threads
