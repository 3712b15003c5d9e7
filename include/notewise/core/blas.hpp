#pragma once
// The BLAS backend (OpenBLAS). Eigen sends its large products there (EIGEN_USE_BLAS); this
// header only exposes the backend's threading and identity, in one place.
#include <string>

namespace notewise::blas {

// Threads used by BLAS calls (0 = leave the backend's default).
void set_threads(int threads);
int threads();
// e.g. "OpenBLAS 0.3.21 ... core SkylakeX": the kernels the backend picked for this CPU.
std::string describe();

}  // namespace notewise::blas
