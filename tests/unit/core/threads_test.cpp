// The thread policy (core/threads.hpp): the CPUs available, the process-wide limit, the
// narrowing of small jobs to one thread, and that a factorisation restores the counts.
#include "notewise/core/threads.hpp"

#include <gtest/gtest.h>
#include <omp.h>
#include <sched.h>

#include "notewise/core/blas.hpp"
#include "notewise/nmf/nmf.hpp"

using namespace notewise;

namespace {

// Restores the limit a test changed.
struct LimitGuard {
  ~LimitGuard() { threads::set_limit(0); }
};

}  // namespace

TEST(Threads, AvailableCpusIsWithinTheAffinityMask) {
  cpu_set_t set;
  CPU_ZERO(&set);
  ASSERT_EQ(sched_getaffinity(0, sizeof(set), &set), 0);
  const int n = threads::available_cpus();
  EXPECT_GE(n, 1);
  EXPECT_LE(n, CPU_COUNT(&set));
}

TEST(Threads, ParseCountTakesAutoAndCountsOnly) {
  EXPECT_EQ(threads::parse_count("auto"), 0);
  EXPECT_EQ(threads::parse_count("0"), 0);
  EXPECT_EQ(threads::parse_count("1"), 1);
  EXPECT_EQ(threads::parse_count("1024"), 1024);
  for (const char* bad : {"", "-1", "1025", "2x", "x", " 2", "1.5", "99999999999999999999"})
    EXPECT_EQ(threads::parse_count(bad), -1) << bad;
  EXPECT_EQ(threads::parse_count(nullptr), -1);
}

TEST(Threads, LimitAppliesToOpenMPAndTheBlas) {
  LimitGuard restore;
  threads::set_limit(1);
  EXPECT_EQ(threads::limit(), 1);
  EXPECT_EQ(omp_get_max_threads(), 1);
  EXPECT_EQ(blas::threads(), 1);
  threads::set_limit(3);
  EXPECT_EQ(threads::limit(), 3);
  EXPECT_EQ(omp_get_max_threads(), 3);
  EXPECT_EQ(blas::threads(), 3);
  threads::set_limit(0);  // auto: never more than the CPUs this process may use
  EXPECT_GE(threads::limit(), 1);
  EXPECT_LE(threads::limit(), threads::available_cpus());
  EXPECT_EQ(omp_get_max_threads(), threads::limit());
}

TEST(Threads, ScopeNarrowsAndRestoresButNeverRaises) {
  LimitGuard restore;
  threads::set_limit(3);
  {
    const threads::Scope one(1);
    EXPECT_EQ(omp_get_max_threads(), 1);
    EXPECT_EQ(blas::threads(), 1);
#pragma omp parallel
    {
#pragma omp single
      EXPECT_EQ(omp_get_num_threads(), 1);
    }
  }
  EXPECT_EQ(omp_get_max_threads(), 3);
  EXPECT_EQ(blas::threads(), 3);
  {
    const threads::Scope more(8);  // not below the current count: no change
    EXPECT_EQ(omp_get_max_threads(), 3);
  }
  {
    const threads::Scope none(0);
    EXPECT_EQ(omp_get_max_threads(), 3);
  }
  EXPECT_EQ(omp_get_max_threads(), 3);
}

TEST(Threads, ForWorkIsSerialBelowTheThresholdOnly) {
  EXPECT_EQ(threads::for_work(0), 1);
  EXPECT_EQ(threads::for_work(threads::kSerialWork * 0.5), 1);
  EXPECT_EQ(threads::for_work(threads::kSerialWork * 2), 0);
}

// A small factorisation runs serially: its result does not depend on the limit (bit for bit),
// and the caller's counts are as before afterwards.
TEST(Threads, SmallFactorisationIsSerialAndRestoresTheCounts) {
  LimitGuard restore;
  const Index K = 60, N = 80, R = 4;  // 19200 multiply-adds per product: far below kSerialWork
  ASSERT_LT(static_cast<double>(K * N * R), threads::kSerialWork);
  MatrixXf V = MatrixXf::Random(K, N).cwiseAbs();
  const MatrixXf W0 = MatrixXf::Random(K, R).cwiseAbs(), H0 = MatrixXf::Random(R, N).cwiseAbs();
  nmf::Options o;
  o.divergence = nmf::Divergence::KullbackLeibler;
  o.max_iterations = 30;
  o.path = nmf::Path::Dense;
  threads::set_limit(1);
  const auto one = nmf::factorize<float>(V, W0, H0, o);
  threads::set_limit(4);
  int seen = 0;
  const auto four = nmf::factorize<float>(V, W0, H0, o, [&](const nmf::Progress&) {
    seen = omp_get_max_threads();  // the callback runs inside the factorisation's scope
    return true;
  });
  EXPECT_EQ(seen, 1);
  EXPECT_EQ(omp_get_max_threads(), 4);
  EXPECT_EQ(blas::threads(), 4);
  EXPECT_TRUE(one.W == four.W);
  EXPECT_TRUE(one.H == four.H);
}
