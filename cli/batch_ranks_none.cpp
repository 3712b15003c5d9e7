// batch_ranks.hpp without MPI (CMake found none): one process, rank 0 of 1.
#include <unistd.h>

#include <cstdlib>

#include "batch_ranks.hpp"
#include "notewise/core/error.hpp"

namespace notewise::cli::ranks {

Session::Session() {
  char h[256] = {};
  ::gethostname(h, sizeof h - 1);
  host_ = h;
  // Started by mpirun or srun as one of several ranks: each would run the whole corpus.
  for (const char* v : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE"})
    if (const char* s = std::getenv(v); s && std::atoi(s) > 1)
      throw Error(std::string("batch: started by an MPI launcher as one of ") + s +
                  " ranks, but this notewise was built without MPI (install libopenmpi-dev and rebuild)");
}

Session::~Session() = default;

void Session::distribute(const std::vector<std::string>& tasks, const std::function<std::string(const std::string&)>& work,
                         const std::function<void(std::size_t, const std::string&)>& done) {
  distributed_ = true;
  for (std::size_t k = 0; k < tasks.size(); ++k) done(k, work(tasks[k]));
}

}  // namespace notewise::cli::ranks
