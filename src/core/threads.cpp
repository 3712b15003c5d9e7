#include "notewise/core/threads.hpp"

#include <omp.h>
#include <sched.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>

#include "notewise/core/blas.hpp"

namespace notewise::threads {
namespace {

int g_limit = 0;  // 0: available_cpus()

// The cgroup's CPU quota in CPUs (rounded up), or 0 where there is none.
int cgroup_quota_cpus() {
  // cgroup v2: "max 100000" or "150000 100000" in the process's own cgroup (mounted at
  // /sys/fs/cgroup inside a container, where the process's cgroup is the root).
  {
    std::ifstream f("/sys/fs/cgroup/cpu.max");
    std::string quota;
    double period = 0;
    if (f >> quota >> period && quota != "max" && period > 0) {
      char* end = nullptr;
      const double q = std::strtod(quota.c_str(), &end);
      if (end != quota.c_str() && q > 0) return std::max(1, static_cast<int>(std::ceil(q / period)));
    }
  }
  // cgroup v1.
  std::ifstream fq("/sys/fs/cgroup/cpu/cpu.cfs_quota_us"), fp("/sys/fs/cgroup/cpu/cpu.cfs_period_us");
  double q = 0, p = 0;
  if (fq >> q && fp >> p && q > 0 && p > 0) return std::max(1, static_cast<int>(std::ceil(q / p)));
  return 0;
}

}  // namespace

int available_cpus() {
  int n = 0;
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0) n = CPU_COUNT(&set);
  if (n <= 0) n = omp_get_num_procs();
  const int quota = cgroup_quota_cpus();
  if (quota > 0) n = std::min(n, quota);
  return std::max(1, n);
}

void set_limit(int n) {
  (void)limit();  // takes the runtime's starting count before changing it
  g_limit = std::max(0, n);
  const int use = limit();
  omp_set_num_threads(use);
  blas::set_threads(use);
}

int limit() {
  if (g_limit > 0) return g_limit;
  // What the OpenMP runtime started with (OMP_NUM_THREADS where the user set it), taken once,
  // before any set_limit, so that auto after an explicit count goes back to it.
  static const int started_with = omp_get_max_threads();
  return std::max(1, std::min(available_cpus(), started_with));
}

int for_work(double work) { return work < kSerialWork ? 1 : 0; }

Scope::Scope(int n) {
  if (n <= 0 || n >= omp_get_max_threads()) return;
  active_ = true;
  omp_before_ = omp_get_max_threads();
  blas_before_ = blas::threads();
  omp_set_num_threads(n);
  blas::set_threads(n);
}

Scope::~Scope() {
  if (!active_) return;
  omp_set_num_threads(omp_before_);
  blas::set_threads(blas_before_);
}

int parse_count(const char* text) {
  if (text == nullptr) return -1;
  if (std::strcmp(text, "auto") == 0) return 0;
  if (*text < '0' || *text > '9') return -1;  // strtol would take blanks and a sign
  char* end = nullptr;
  errno = 0;
  const long v = std::strtol(text, &end, 10);
  if (end == text || *end != '\0' || errno != 0 || v < 0 || v > 1024) return -1;
  return static_cast<int>(v);
}

}  // namespace notewise::threads
