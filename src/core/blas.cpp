// The only file that calls OpenBLAS directly (besides Eigen's EIGEN_USE_BLAS products).
#include "notewise/core/blas.hpp"

extern "C" {
void openblas_set_num_threads(int);
int openblas_get_num_threads(void);
char* openblas_get_config(void);
char* openblas_get_corename(void);
}

namespace notewise::blas {

void set_threads(int n) {
  if (n > 0) openblas_set_num_threads(n);
}

int threads() { return openblas_get_num_threads(); }

std::string describe() {
  return std::string(openblas_get_config()) + " (kernels: " + openblas_get_corename() + ")";
}

}  // namespace notewise::blas
