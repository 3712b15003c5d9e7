#pragma once
// How `notewise batch` hands its rows out across processes started by an MPI launcher
// (mpirun -np N, srun). The MPI code is in batch_ranks_mpi.cpp, built only when CMake finds
// MPI; batch_ranks_none.cpp gives the same interface without it, so the rest of batch is one
// program either way.
//
// Handout: rank 0 is the dispatcher and works too. Every other rank asks rank 0 for a task,
// runs it, and sends the outcome back with its next request; rank 0 answers each request with
// the next task in its list (so the order of `tasks` is the order of handout: longest first)
// or with "stop". Rank 0 runs its own tasks on a second thread so that it answers requests
// while a row runs; only its main thread calls MPI.
#include <cstddef>
#include <functional>
#include <string>
#include <vector>

namespace notewise::cli::ranks {

// Joins the ranks when the process was started by an MPI launcher (its environment says so:
// OMPI_COMM_WORLD_SIZE, PMIX_RANK, PMI_SIZE), else stands alone (rank 0 of 1). Error if the
// launcher started several ranks and this build has no MPI: each would run the whole batch.
// Not copyable; one per process.
class Session {
 public:
  Session();
  ~Session();  // on rank 0, tells ranks still waiting for work to stop; finalises MPI
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  int rank() const { return rank_; }
  int size() const { return size_; }
  // Where this rank runs (the host name), for the summary.
  const std::string& host() const { return host_; }

  // Runs every task once, across the ranks. `work(task)` runs one task on the calling rank
  // and returns its outcome (both are opaque text; work must not throw). On rank 0,
  // `done(k, outcome)` is called for tasks[k] on the calling thread as outcomes arrive; on the
  // other ranks `tasks` and `done` are unused. Returns when every task is done (rank 0) or
  // rank 0 says stop (the others). Called at most once per Session.
  void distribute(const std::vector<std::string>& tasks, const std::function<std::string(const std::string&)>& work,
                  const std::function<void(std::size_t, const std::string&)>& done);

  // Mean seconds a rank other than 0 waited between sending a request and getting its task
  // back, as rank 0 measured it (0 when there were none): the cost of dynamic handout.
  double mean_handout_seconds() const { return handout_s_; }

 private:
  int rank_ = 0, size_ = 1;
  bool mpi_ = false, distributed_ = false;
  double handout_s_ = 0;
  std::string host_;
};

}  // namespace notewise::cli::ranks
