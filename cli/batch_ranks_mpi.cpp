// batch_ranks.hpp with MPI: the one file that calls MPI (built only when CMake finds it).
//
// Dynamic handout by messages to rank 0 rather than a shared counter (MPI_Fetch_and_op on a
// window): every outcome has to reach rank 0 for the summary anyway, so the request that
// carries it can ask for the next task at no extra cost, and Open MPI 4.1's one-sided
// operations over TCP only progress while the target is inside MPI, which rank 0 is not while
// it runs a row of its own. The cost, measured per handout, goes into summary.json.
// The C API only: Open MPI's deprecated C++ bindings would need libmpi_cxx.
#define OMPI_SKIP_MPICXX 1
#define MPICH_SKIP_MPICXX 1
#include <mpi.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "batch_ranks.hpp"
#include "notewise/core/error.hpp"

namespace notewise::cli::ranks {
namespace {

constexpr int kRequest = 1;  // rank > 0 -> 0: [double wait][u64 finished task][its outcome]
constexpr int kTask = 2;     // 0 -> rank > 0: [u64 task][its text]; kNone: stop
constexpr std::uint64_t kNone = ~std::uint64_t{0};

bool launched_by_mpi() {
  for (const char* v : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_SIZE", "PMI_RANK"})
    if (std::getenv(v)) return true;
  return false;
}

double now_s() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

std::string pack(std::uint64_t k, const std::string& text, const double* wait = nullptr) {
  std::string b;
  if (wait) b.append(reinterpret_cast<const char*>(wait), sizeof(double));
  b.append(reinterpret_cast<const char*>(&k), sizeof k);
  return b + text;
}

// Receives one message of `tag` from `source` (any size).
std::string receive(int source, int tag, int* from = nullptr) {
  MPI_Status st;
  MPI_Probe(source, tag, MPI_COMM_WORLD, &st);
  int n = 0;
  MPI_Get_count(&st, MPI_CHAR, &n);
  std::string b(static_cast<std::size_t>(n), '\0');
  MPI_Recv(b.data(), n, MPI_CHAR, st.MPI_SOURCE, tag, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
  if (from) *from = st.MPI_SOURCE;
  return b;
}

void send(const std::string& b, int dest, int tag) {
  MPI_Send(b.data(), static_cast<int>(b.size()), MPI_CHAR, dest, tag, MPI_COMM_WORLD);
}

}  // namespace

Session::Session() {
  char h[256] = {};
  ::gethostname(h, sizeof h - 1);
  host_ = h;
  if (!launched_by_mpi()) return;
  int provided = 0;
  // Funneled: rank 0's second thread runs rows (child processes) and never calls MPI.
  if (MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS)
    throw Error("batch: MPI_Init failed (started by an MPI launcher)");
  mpi_ = true;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &size_);
}

Session::~Session() {
  if (!mpi_) return;
  if (rank_ == 0 && !distributed_)  // rank 0 failed before handing anything out
    for (int i = 1; i < size_; ++i) {
      int from = 0;
      receive(MPI_ANY_SOURCE, kRequest, &from);
      send(pack(kNone, ""), from, kTask);
    }
  MPI_Finalize();
}

void Session::distribute(const std::vector<std::string>& tasks, const std::function<std::string(const std::string&)>& work,
                         const std::function<void(std::size_t, const std::string&)>& done) {
  distributed_ = true;
  if (!mpi_ || size_ == 1) {
    for (std::size_t k = 0; k < tasks.size(); ++k) done(k, work(tasks[k]));
    return;
  }
  if (rank_ != 0) {
    std::uint64_t finished = kNone;
    std::string outcome;
    double wait = 0;
    for (;;) {
      const double t = now_s();
      send(pack(finished, outcome, &wait), 0, kRequest);
      const std::string b = receive(0, kTask);
      wait = now_s() - t;
      std::uint64_t k = kNone;
      std::memcpy(&k, b.data(), sizeof k);
      if (k == kNone) return;
      outcome = work(b.substr(sizeof k));
      finished = k;
    }
  }
  // Rank 0: answer requests, and run a task of its own whenever it has none.
  std::size_t next = 0, handouts = 0;
  int active = size_ - 1;
  double waited = 0;
  std::thread local;
  std::atomic<bool> local_done{false};
  bool local_busy = false;
  std::size_t local_k = 0;
  std::string local_outcome;
  for (;;) {
    bool progressed = false;
    if (!local_busy && next < tasks.size()) {
      local_k = next++;
      local_busy = true;
      local_done = false;
      local = std::thread([&, k = local_k] {
        local_outcome = work(tasks[k]);
        local_done = true;
      });
    }
    if (local_busy && local_done) {
      local.join();
      local_busy = false;
      done(local_k, local_outcome);
      progressed = true;
    }
    int flag = 0;
    MPI_Status st;
    if (active > 0) MPI_Iprobe(MPI_ANY_SOURCE, kRequest, MPI_COMM_WORLD, &flag, &st);
    if (flag) {
      int from = 0;
      const std::string b = receive(st.MPI_SOURCE, kRequest, &from);
      double wait = 0;
      std::uint64_t k = kNone;
      std::memcpy(&wait, b.data(), sizeof wait);
      std::memcpy(&k, b.data() + sizeof wait, sizeof k);
      if (k != kNone) {
        waited += wait;
        ++handouts;
        done(static_cast<std::size_t>(k), b.substr(sizeof wait + sizeof k));
      }
      if (next < tasks.size()) {
        send(pack(next, tasks[next]), from, kTask);
        ++next;
      } else {
        send(pack(kNone, ""), from, kTask);
        --active;
      }
      progressed = true;
    }
    if (!local_busy && next >= tasks.size() && active == 0) break;
    // Rows take seconds; a millisecond's poll costs nothing against them and keeps rank 0
    // from spinning on a core a row needs.
    if (!progressed) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  handout_s_ = handouts ? waited / static_cast<double>(handouts) : 0;
}

}  // namespace notewise::cli::ranks
