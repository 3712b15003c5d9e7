#pragma once
// Debian's OpenBLAS 0.3.21 predates some CPUs (e.g. AMD Zen 5) and falls back to its Haswell
// (AVX2) kernels on them, although they run AVX-512. OpenBLAS picks its kernels once, when
// the library loads, from OPENBLAS_CORETYPE; so when that variable is unset, the CPU has the
// AVX-512 subsets of the SkylakeX kernels, and the kernels picked are older, the program
// re-executes itself once with OPENBLAS_CORETYPE=SkylakeX. Set OPENBLAS_CORETYPE yourself to
// choose, or NOTEWISE_KEEP_BLAS_KERNELS=1 to keep the backend's choice.
namespace notewise::cli {

// Call first thing in main(); returns only if no re-execution happened.
void use_best_blas_kernels(char** argv);

}  // namespace notewise::cli
