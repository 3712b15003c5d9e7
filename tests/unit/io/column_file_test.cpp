#include "notewise/io/column_file.hpp"

#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>

#include "notewise/core/error.hpp"
#include "notewise/nmf/nmf.hpp"

using namespace notewise;
namespace fs = std::filesystem;

namespace {
fs::path fresh_dir(const std::string& name) {
  const fs::path d = fs::temp_directory_path() / ("notewise_column_file_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}
}  // namespace

TEST(ColumnFile, ReadsBackWhatWasAppendedAndLeavesNoFile) {
  const fs::path dir = fresh_dir("roundtrip");
  const MatrixXf big = nmf::random_matrix<float>(40, 257, 3);
  {
    io::ColumnFile f(dir.string());
    // Blocks of several lengths, one of them a strided view (rows of a taller matrix).
    MatrixXf taller = MatrixXf::Zero(50, 30);
    taller.topRows(40) = big.middleCols(0, 30);
    f.append(taller.topRows(40));
    f.append(big.middleCols(30, 1));
    f.append(big.middleCols(31, 200));
    f.append(big.middleCols(231, 26));
    ASSERT_EQ(f.cols(), 257);
    ASSERT_EQ(f.rows(), 40);
    EXPECT_TRUE(fs::is_empty(dir));  // the file has no name
    for (const Index first : {Index(0), Index(29), Index(100), Index(250)}) {
      MatrixXf out(40, 257 - first);
      f.read(first, out);
      EXPECT_EQ(out, big.rightCols(257 - first)) << "from " << first;
    }
    MatrixXf wider = MatrixXf::Constant(45, 7, -1.0f);  // a strided destination
    f.read(100, wider.topRows(40));
    EXPECT_EQ(MatrixXf(wider.topRows(40)), big.middleCols(100, 7));
    EXPECT_EQ(wider(44, 3), -1.0f);
    MatrixXf past(40, 10);
    EXPECT_THROW(f.read(250, past), InvalidArgument);
  }
  EXPECT_TRUE(fs::is_empty(dir));
  fs::remove_all(dir);
}

TEST(ColumnFile, ViewsTheColumnsInPlace_AgainAfterReleaseAndAfterAppends) {
  const fs::path dir = fresh_dir("view");
  const MatrixXf big = nmf::random_matrix<float>(1000, 300, 9);  // 4000-byte columns: pages straddle them
  io::ColumnFile f(dir.string());
  f.append(big.leftCols(200));
  const float* p = f.view(50, 100);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(Eigen::Map<const MatrixXf>(p, 1000, 100), big.middleCols(50, 100));
  f.release(50, 100);
  p = f.view(0, 200);  // the released pages come back from the file
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(Eigen::Map<const MatrixXf>(p, 1000, 200), big.leftCols(200));
  f.release(0, 200);
  f.append(big.rightCols(100));
  p = f.view(150, 150);  // mapped again, with the new columns
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(Eigen::Map<const MatrixXf>(p, 1000, 150), big.rightCols(150));
  f.release(150, 150);
  EXPECT_EQ(f.view(250, 51), nullptr);  // past the end: nothing to show
  nmf::MemoryColumns<float> memory;  // a store that cannot show its columns in place
  memory.append(big);
  EXPECT_EQ(memory.view(0, 10), nullptr);
  fs::remove_all(dir);
}

TEST(ColumnFile, AFolderThatCannotHoldItIsAnIoErrorNamingTheFolder) {
  const std::string missing = (fs::temp_directory_path() / "notewise_no_such_folder_for_columns" / "x").string();
  try {
    io::ColumnFile f(missing);
    FAIL() << "no error";
  } catch (const IoError& e) {
    EXPECT_EQ(e.path(), missing);
  }
}

// The NMF reads the file a segment at a time and gets what it gets from V in memory.
TEST(ColumnFile, FactorisesLikeVInMemory) {
  const fs::path dir = fresh_dir("nmf");
  const Index K = 64, N = 300, R = 6;
  MatrixXf V = nmf::random_matrix<float>(K, N, 5).array() + 0.05f;
  MatrixXf W0 = nmf::random_matrix<float>(K, R, 6), H0 = nmf::random_matrix<float>(R, N, 7);
  for (Index r = 0; r < R; ++r)
    for (Index n = 0; n < N; ++n)
      if ((n / 10 + r) % 3 != 0) H0(r, n) = 0;
  nmf::Options o;
  o.divergence = nmf::Divergence::KullbackLeibler;
  o.max_iterations = 20;
  o.path = nmf::Path::Sparse;
  io::ColumnFile f(dir.string());
  for (Index j0 = 0; j0 < N; j0 += 64) f.append(V.middleCols(j0, std::min<Index>(64, N - j0)));
  const auto whole = nmf::factorize<float>(V, W0, H0, o);
  const auto parts = nmf::factorize<float>(f, W0, H0, o, {}, 37);
  EXPECT_LE((whole.W - parts.W).norm(), 1e-5f * whole.W.norm());
  EXPECT_LE((whole.H - parts.H).norm(), 1e-5f * whole.H.norm());
  fs::remove_all(dir);
}
