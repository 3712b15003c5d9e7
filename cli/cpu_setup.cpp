#include "cpu_setup.hpp"

#include <unistd.h>

#include <cstdlib>
#include <string>

#include "notewise/core/blas.hpp"

namespace notewise::cli {

void use_best_blas_kernels(char** argv) {
#if defined(__x86_64__)
  if (std::getenv("OPENBLAS_CORETYPE") || std::getenv("NOTEWISE_KEEP_BLAS_KERNELS")) return;
  __builtin_cpu_init();
  const bool avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                      __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl") &&
                      __builtin_cpu_supports("avx512cd");
  if (!avx512) return;
  const std::string current = blas::describe();
  for (const char* good : {"SkylakeX", "Cooperlake", "SapphireRapids", "SKYLAKEX", "COOPERLAKE", "SAPPHIRERAPIDS"})
    if (current.find(good) != std::string::npos) return;
  ::setenv("OPENBLAS_CORETYPE", "SkylakeX", 1);
  ::execv("/proc/self/exe", argv);  // returns only on failure: then carry on with what we have
#else
  (void)argv;
#endif
}

}  // namespace notewise::cli
