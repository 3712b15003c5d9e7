#include "notewise/plot/figure.hpp"

#include <gtest/gtest.h>

#include <filesystem>

#include "notewise/core/error.hpp"
#include "test_util.hpp"

using namespace notewise;
using notewise::test::TempDir;

TEST(Plot, PoolingKeepsPeaksAndMeans) {
  MatrixXf m = MatrixXf::Zero(100, 1000);
  m(37, 501) = 5.0f;  // a single peak must survive max pooling (not be dropped with its frame)
  const MatrixXf p = plot::pool(m, 10, 100, plot::Pooling::Max);
  ASSERT_EQ(p.rows(), 10);
  ASSERT_EQ(p.cols(), 100);
  EXPECT_EQ(p(3, 50), 5.0f);
  EXPECT_EQ(p.sum(), 5.0f);
  EXPECT_NEAR(plot::pool(m, 10, 100, plot::Pooling::Mean)(3, 50), 5.0f / 100, 1e-6f);
  EXPECT_EQ(plot::pool(m, 200, 2000, plot::Pooling::Max), m);  // never upsampled
  EXPECT_THROW(plot::pool(m, 0, 10, plot::Pooling::Max), InvalidArgument);
}

TEST(Plot, ColourMapsEndpoints) {
  const auto lo = plot::colour(plot::Colormap::Magma, 0.0), hi = plot::colour(plot::Colormap::Magma, 1.0);
  EXPECT_NEAR(lo[0], 0.0, 1e-9);
  EXPECT_NEAR(hi[0], 252 / 255.0, 1e-9);
  const auto v = plot::colour(plot::Colormap::Viridis, 0.5);
  EXPECT_NEAR(v[1], 145 / 255.0, 1e-9);  // viridis mid-point is teal (33, 145, 140)
  EXPECT_EQ(plot::colour(plot::Colormap::Viridis, -3.0), plot::colour(plot::Colormap::Viridis, 0.0));  // clamped
}

TEST(Plot, DrawsPngAndSvg) {
  TempDir dir;
  plot::Heatmap h;
  h.values = MatrixXf::Random(300, 2000);
  h.v_min = -1;
  h.title = "t";
  h.outlines.push_back({0.1, 0.3, 0.2, 0.4, {1, 0, 0}});
  plot::draw(h, dir.file("h.png"));
  plot::draw(h, dir.file("h.svg"));
  EXPECT_EQ(test::read_bytes(dir.file("h.png")).substr(1, 3), "PNG");
  EXPECT_NE(test::read_bytes(dir.file("h.svg")).find("<svg"), std::string::npos);
  plot::LinePlot p;
  p.series.push_back({"loss", {0, 1, 2}, {10, 5, 4}, {0, 0, 1}});
  p.log_y = true;
  plot::draw(p, dir.file("l.png"));
  EXPECT_GT(std::filesystem::file_size(dir.file("l.png")), 1000u);
  EXPECT_THROW(plot::draw(plot::LinePlot{}, dir.file("empty.png")), InvalidArgument);
  EXPECT_THROW(plot::draw(h, "/nonexistent/dir/h.png"), IoError);
}

TEST(Plot, TickLabelsAreDistinctAndCompact) {
  const std::vector<std::string> a = plot::tick_labels({7.9e5, 1.0e6, 1.26e6, 1.58e6, 2.0e6});
  for (std::size_t i = 1; i < a.size(); ++i) EXPECT_NE(a[i], a[i - 1]);
  EXPECT_EQ(a[1], "1.0e6");
  const std::vector<std::string> b = plot::tick_labels({0, 10, 20, 30});
  EXPECT_EQ(b, (std::vector<std::string>{"0", "10", "20", "30"}));
  EXPECT_EQ(plot::tick_labels({0.001})[0], "1e-3");
}
