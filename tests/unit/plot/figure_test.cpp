#include "notewise/plot/figure.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <vector>

#include <jpeglib.h>

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

// The report page's tiles as JPEG: decoded again (libjpeg), the size is the matrix's, row 0 is
// at the bottom, and each pixel is the colour map's colour within JPEG's error; a smooth image
// takes fewer bytes than as PNG where the image is noisy.
TEST(Plot, WritesJpegTilesThatDecodeToTheColours) {
  TempDir dir;
  const Index rows = 48, cols = 300;
  MatrixXf v(rows, cols);
  for (Index r = 0; r < rows; ++r)
    for (Index c = 0; c < cols; ++c) v(r, c) = static_cast<float>(r) / (rows - 1);  // bottom 0 .. top 1
  plot::write_image(v, 0.0, 1.0, plot::Colormap::Viridis, dir.file("t.jpg"), plot::ImageFormat::Jpeg);
  plot::write_image(v, 0.0, 1.0, plot::Colormap::Viridis, dir.file("t.png"));
  {  // a noisy image (as spectrograms are): JPEG well under PNG
    std::srand(7);
    const MatrixXf noisy = MatrixXf::Random(rows, cols);
    plot::write_image(noisy, -1.0, 1.0, plot::Colormap::Magma, dir.file("n.jpg"), plot::ImageFormat::Jpeg);
    plot::write_image(noisy, -1.0, 1.0, plot::Colormap::Magma, dir.file("n.png"));
    EXPECT_LT(std::filesystem::file_size(dir.file("n.jpg")) * 2, std::filesystem::file_size(dir.file("n.png")));
  }

  std::FILE* f = std::fopen(dir.file("t.jpg").c_str(), "rb");
  ASSERT_NE(f, nullptr);
  jpeg_decompress_struct d;
  jpeg_error_mgr err;
  d.err = jpeg_std_error(&err);
  jpeg_create_decompress(&d);
  jpeg_stdio_src(&d, f);
  ASSERT_EQ(jpeg_read_header(&d, TRUE), JPEG_HEADER_OK);
  jpeg_start_decompress(&d);
  ASSERT_EQ(d.output_width, static_cast<unsigned>(cols));
  ASSERT_EQ(d.output_height, static_cast<unsigned>(rows));
  ASSERT_EQ(d.output_components, 3);
  std::vector<unsigned char> px(static_cast<std::size_t>(cols) * rows * 3);
  while (d.output_scanline < d.output_height) {
    JSAMPROW row = px.data() + static_cast<std::size_t>(d.output_scanline) * cols * 3;
    jpeg_read_scanlines(&d, &row, 1);
  }
  jpeg_finish_decompress(&d);
  jpeg_destroy_decompress(&d);
  std::fclose(f);
  double worst = 0;
  for (Index y = 0; y < rows; ++y) {  // image row y shows matrix row rows-1-y
    const auto want = plot::colour(plot::Colormap::Viridis, static_cast<double>(rows - 1 - y) / (rows - 1));
    for (int k = 0; k < 3; ++k)
      worst = std::max(worst, std::abs(px[(static_cast<std::size_t>(y) * cols + cols / 2) * 3 + k] - want[k] * 255));
  }
  EXPECT_LT(worst, 16) << "JPEG quality 85 on a smooth ramp: a few levels of error, not a wrong colour or a flip";

  EXPECT_THROW(plot::write_image(MatrixXf(), 0, 1, plot::Colormap::Magma, dir.file("e.jpg"), plot::ImageFormat::Jpeg), InvalidArgument);
  EXPECT_THROW(plot::write_image(v, 0, 1, plot::Colormap::Magma, "/nonexistent/dir/t.jpg", plot::ImageFormat::Jpeg), IoError);
}

TEST(Plot, TickLabelsAreDistinctAndCompact) {
  const std::vector<std::string> a = plot::tick_labels({7.9e5, 1.0e6, 1.26e6, 1.58e6, 2.0e6});
  for (std::size_t i = 1; i < a.size(); ++i) EXPECT_NE(a[i], a[i - 1]);
  EXPECT_EQ(a[1], "1.0e6");
  const std::vector<std::string> b = plot::tick_labels({0, 10, 20, 30});
  EXPECT_EQ(b, (std::vector<std::string>{"0", "10", "20", "30"}));
  EXPECT_EQ(plot::tick_labels({0.001})[0], "1e-3");
}
