// The only file that talks to Cairo (and to libjpeg, for the report page's tiles).
#include "notewise/plot/figure.hpp"

#include <cairo-svg.h>
#include <cairo.h>
#include <csetjmp>
#include <jpeglib.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>
#include <vector>

#include "notewise/core/error.hpp"

namespace notewise::plot {
namespace {

// 17 evenly spaced samples of matplotlib's colour maps (index 0, 16, ..., 240, 255 of 256).
constexpr std::array<std::array<unsigned char, 3>, 17> kMagma = {{
    {0, 0, 4},      {10, 8, 34},    {29, 17, 71},   {54, 16, 107},  {81, 18, 124},  {106, 28, 129},
    {131, 38, 129}, {156, 46, 127}, {183, 55, 121}, {208, 65, 111}, {231, 82, 99},  {245, 107, 92},
    {252, 137, 97}, {254, 167, 114},{254, 196, 136},{253, 226, 163},{252, 253, 191}}};
constexpr std::array<std::array<unsigned char, 3>, 17> kViridis = {{
    {68, 1, 84},    {72, 24, 106},  {71, 45, 123},  {66, 64, 134},  {59, 82, 139},  {51, 99, 141},
    {44, 114, 142}, {38, 130, 142}, {33, 145, 140}, {31, 160, 136}, {40, 174, 128}, {63, 188, 115},
    {94, 201, 98},  {132, 212, 75}, {173, 220, 48}, {216, 226, 25}, {253, 231, 37}}};

struct Margins {
  double left = 100, right = 110, top = 34, bottom = 50;  // left: labels such as "saxophone C#4"
};

using SurfacePtr = std::unique_ptr<cairo_surface_t, decltype(&cairo_surface_destroy)>;
using ContextPtr = std::unique_ptr<cairo_t, decltype(&cairo_destroy)>;

bool is_svg(const std::string& path) { return path.size() > 4 && path.compare(path.size() - 4, 4, ".svg") == 0; }

SurfacePtr make_surface(const std::string& path, int w, int h) {
  cairo_surface_t* s = is_svg(path) ? cairo_svg_surface_create(path.c_str(), w, h)
                                    : cairo_image_surface_create(CAIRO_FORMAT_RGB24, w, h);
  if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS) {
    cairo_surface_destroy(s);
    throw IoError(path, "cannot create the figure");
  }
  return {s, cairo_surface_destroy};
}

// A white page of width x height, PNG or SVG by the path's extension.
struct Canvas {
  Canvas(const std::string& path, int width, int height)
      : surface(make_surface(path, width, height)), context(cairo_create(surface.get()), cairo_destroy) {
    cairo_set_source_rgb(context.get(), 1, 1, 1);
    cairo_paint(context.get());
  }
  SurfacePtr surface;
  ContextPtr context;
};

void finish(const SurfacePtr& s, const std::string& path) {
  cairo_surface_flush(s.get());
  if (!is_svg(path) && cairo_surface_write_to_png(s.get(), path.c_str()) != CAIRO_STATUS_SUCCESS)
    throw IoError(path, "cannot write PNG");
  cairo_surface_finish(s.get());
  if (cairo_surface_status(s.get()) != CAIRO_STATUS_SUCCESS) throw IoError(path, "cannot write the figure");
}

// A tick label with `digits` extra significant digits.
std::string fmt(double v, int digits = 0) {
  char b[32];
  if (v != 0 && (std::abs(v) >= 1e5 || std::abs(v) < 1e-2)) {
    std::snprintf(b, sizeof b, "%.*e", digits, v);
    std::string e(b);  // compact exponent: 2.0e+06 -> 2.0e6, 5e-03 -> 5e-3
    const auto at = e.find('e');
    std::string mant = e.substr(0, at), exp = e.substr(at + 1);
    const bool neg = exp[0] == '-';
    exp = exp.substr(1);
    while (exp.size() > 1 && exp[0] == '0') exp.erase(0, 1);
    return mant + "e" + (neg ? "-" : "") + exp;
  } else if (digits == 0 && std::abs(v - std::round(v)) < 1e-9) std::snprintf(b, sizeof b, "%.0f", v);
  else std::snprintf(b, sizeof b, "%.*g", 2 + digits, v);
  return b;
}


// "Nice" tick positions covering [lo, hi], about `count` of them.
std::vector<double> ticks(double lo, double hi, int count) {
  std::vector<double> t;
  if (!(hi > lo)) return {lo};
  const double raw = (hi - lo) / count, mag = std::pow(10.0, std::floor(std::log10(raw)));
  double step = mag;
  for (double m : {1.0, 2.0, 2.5, 5.0, 10.0})
    if (m * mag >= raw) {
      step = m * mag;
      break;
    }
  for (double v = std::ceil(lo / step) * step; v <= hi + 1e-9 * step; v += step) t.push_back(std::abs(v) < 1e-12 * step ? 0 : v);
  return t;
}

void text(cairo_t* cr, double x, double y, const std::string& s, double ax, double ay, double size = 12, bool rotate = false) {
  cairo_save(cr);
  cairo_set_font_size(cr, size);
  cairo_text_extents_t e;
  cairo_text_extents(cr, s.c_str(), &e);
  cairo_translate(cr, x, y);
  if (rotate) cairo_rotate(cr, -M_PI / 2);
  cairo_move_to(cr, -e.width * ax - e.x_bearing, -e.y_bearing - e.height * ay);
  cairo_show_text(cr, s.c_str());
  cairo_restore(cr);
}

void frame_and_axes(cairo_t* cr, double x0, double y0, double w, double h, double xmin, double xmax, double ymin, double ymax,
                    const std::string& xl, const std::string& yl, const std::vector<std::pair<double, std::string>>& yticks,
                    bool log_y = false, const std::vector<std::pair<double, std::string>>& xticks = {}) {
  cairo_set_source_rgb(cr, 0, 0, 0);
  cairo_set_line_width(cr, 1);
  cairo_rectangle(cr, x0, y0, w, h);
  cairo_stroke(cr);
  if (!xticks.empty()) {
    for (const auto& [v, label] : xticks) {
      if (v < xmin || v > xmax) continue;
      const double px = x0 + (v - xmin) / (xmax - xmin) * w;
      cairo_move_to(cr, px, y0 + h);
      cairo_line_to(cr, px, y0 + h + 5);
      cairo_stroke(cr);
      text(cr, px, y0 + h + 8, label, 0.5, 0.0, 10);
    }
  } else {
    for (double t : ticks(xmin, xmax, 8)) {
      const double px = x0 + (t - xmin) / (xmax - xmin) * w;
      cairo_move_to(cr, px, y0 + h);
      cairo_line_to(cr, px, y0 + h + 5);
      cairo_stroke(cr);
      text(cr, px, y0 + h + 8, fmt(t), 0.5, 0.0);
    }
  }
  text(cr, x0 + w / 2, y0 + h + 28, xl, 0.5, 0.0, 13);
  auto ypix = [&](double v) { return y0 + h - (v - ymin) / (ymax - ymin) * h; };
  if (!yticks.empty()) {
    for (const auto& [v, label] : yticks) {
      if (v < ymin || v > ymax) continue;
      cairo_move_to(cr, x0 - 5, ypix(v));
      cairo_line_to(cr, x0, ypix(v));
      cairo_stroke(cr);
      text(cr, x0 - 8, ypix(v), label, 1.0, 0.5, 10);
    }
  } else {
    const std::vector<double> at = ticks(ymin, ymax, 6);
    std::vector<double> values;
    for (double t : at) values.push_back(log_y ? std::pow(10.0, t) : t);
    const std::vector<std::string> labels = tick_labels(values);
    for (std::size_t i = 0; i < at.size(); ++i) {
      cairo_move_to(cr, x0 - 5, ypix(at[i]));
      cairo_line_to(cr, x0, ypix(at[i]));
      cairo_stroke(cr);
      text(cr, x0 - 8, ypix(at[i]), labels[i], 1.0, 0.5);
    }
  }
  text(cr, 16, y0 + h / 2, yl, 0.5, 0.5, 13, true);
}

}  // namespace

std::vector<std::string> tick_labels(const std::vector<double>& values) {
  std::vector<std::string> out;
  for (int digits = 0; digits <= 4; ++digits) {
    out.clear();
    for (double v : values) out.push_back(fmt(v, digits));
    if (std::adjacent_find(out.begin(), out.end()) == out.end()) break;
  }
  return out;
}

std::array<double, 3> colour(Colormap map, double t) {
  const auto& lut = map == Colormap::Magma ? kMagma : kViridis;
  t = std::clamp(std::isfinite(t) ? t : 0.0, 0.0, 1.0) * 16.0;
  const int i = std::min(15, static_cast<int>(t));
  const double f = t - i;
  std::array<double, 3> c{};
  for (int k = 0; k < 3; ++k) c[k] = ((1 - f) * lut[i][k] + f * lut[i + 1][k]) / 255.0;
  return c;
}

std::array<double, 3> group_colour(std::size_t i) {
  static constexpr std::array<std::array<double, 3>, 8> kPalette = {{{0.12, 0.47, 0.71}, {1.0, 0.50, 0.05},
                                                                     {0.17, 0.63, 0.17}, {0.84, 0.15, 0.16},
                                                                     {0.58, 0.40, 0.74}, {0.55, 0.34, 0.29},
                                                                     {0.89, 0.47, 0.76}, {0.09, 0.75, 0.81}}};
  return kPalette[i % kPalette.size()];
}

MatrixXf pool(const MatrixXf& m, Index rows, Index cols, Pooling how) {
  require(rows >= 1 && cols >= 1, "pool size", static_cast<double>(std::min(rows, cols)), ">= 1");
  rows = std::min(rows, m.rows());
  cols = std::min(cols, m.cols());
  if (rows == m.rows() && cols == m.cols()) return m;
  MatrixXf out(rows, cols);
  for (Index c = 0; c < cols; ++c) {
    const Index c0 = c * m.cols() / cols, c1 = std::max(c0 + 1, (c + 1) * m.cols() / cols);
    for (Index r = 0; r < rows; ++r) {
      const Index r0 = r * m.rows() / rows, r1 = std::max(r0 + 1, (r + 1) * m.rows() / rows);
      const auto block = m.block(r0, c0, r1 - r0, c1 - c0);
      out(r, c) = how == Pooling::Max ? block.maxCoeff() : block.mean();
    }
  }
  return out;
}

MatrixXf decibels(const MatrixXf& m, float ref) {
  const float r = ref > 0 ? ref : 1.0f;
  return (20.0f * (m.array() / r).max(1e-6f).log10()).matrix();
}

namespace {

// libjpeg reports errors through error_exit, which must not return: jump back to write_jpeg.
struct JpegError {
  jpeg_error_mgr mgr;
  std::jmp_buf jump;
};

void write_jpeg(const std::vector<unsigned char>& rgb, int width, int height, const std::string& path) {
  std::FILE* file = std::fopen(path.c_str(), "wb");
  if (!file) throw IoError(path, "cannot open for writing");
  jpeg_compress_struct c;
  JpegError err;
  c.err = jpeg_std_error(&err.mgr);
  err.mgr.error_exit = [](j_common_ptr info) { std::longjmp(reinterpret_cast<JpegError*>(info->err)->jump, 1); };
  if (setjmp(err.jump)) {
    jpeg_destroy_compress(&c);
    std::fclose(file);
    throw IoError(path, "cannot write the JPEG file");
  }
  jpeg_create_compress(&c);
  jpeg_stdio_dest(&c, file);
  c.image_width = static_cast<JDIMENSION>(width);
  c.image_height = static_cast<JDIMENSION>(height);
  c.input_components = 3;
  c.in_color_space = JCS_RGB;
  jpeg_set_defaults(&c);
  jpeg_set_quality(&c, 85, TRUE);
  jpeg_start_compress(&c, TRUE);
  while (c.next_scanline < c.image_height) {
    JSAMPROW row = const_cast<unsigned char*>(rgb.data()) + static_cast<std::size_t>(c.next_scanline) * 3 * width;
    jpeg_write_scanlines(&c, &row, 1);
  }
  jpeg_finish_compress(&c);
  jpeg_destroy_compress(&c);
  if (std::fclose(file) != 0) throw IoError(path, "cannot write the JPEG file");
}

}  // namespace

void write_image(const MatrixXf& values, double v_min, double v_max, Colormap map, const std::string& path, ImageFormat format) {
  if (values.size() == 0) throw InvalidArgument("plot: empty image for " + path);
  if (format == ImageFormat::Jpeg) {
    const int w = static_cast<int>(values.cols()), h = static_cast<int>(values.rows());
    if (w > JPEG_MAX_DIMENSION || h > JPEG_MAX_DIMENSION) throw InvalidArgument("plot: image too large for JPEG: " + path);
    std::vector<unsigned char> rgb(static_cast<std::size_t>(w) * h * 3);
    const double span = v_max > v_min ? v_max - v_min : 1.0;
    for (Index r = 0; r < values.rows(); ++r)
      for (Index col = 0; col < values.cols(); ++col) {
        const auto c = colour(map, (values(r, col) - v_min) / span);
        unsigned char* px = rgb.data() + ((static_cast<std::size_t>(h - 1 - r) * w) + col) * 3;  // row 0 at the bottom
        for (int k = 0; k < 3; ++k) px[k] = static_cast<unsigned char>(c[k] * 255);
      }
    write_jpeg(rgb, w, h, path);
    return;
  }
  const SurfacePtr pixels(cairo_image_surface_create(CAIRO_FORMAT_RGB24, static_cast<int>(values.cols()), static_cast<int>(values.rows())),
                          cairo_surface_destroy);
  if (cairo_surface_status(pixels.get()) != CAIRO_STATUS_SUCCESS) throw IoError(path, "cannot create an image of this size");
  unsigned char* data = cairo_image_surface_get_data(pixels.get());
  const int stride = cairo_image_surface_get_stride(pixels.get());
  const double span = v_max > v_min ? v_max - v_min : 1.0;
  for (Index r = 0; r < values.rows(); ++r)
    for (Index col = 0; col < values.cols(); ++col) {
      const auto rgb = colour(map, (values(r, col) - v_min) / span);
      auto* px = reinterpret_cast<std::uint32_t*>(data + (values.rows() - 1 - r) * stride) + col;
      *px = (static_cast<std::uint32_t>(rgb[0] * 255) << 16) | (static_cast<std::uint32_t>(rgb[1] * 255) << 8) |
            static_cast<std::uint32_t>(rgb[2] * 255);
    }
  cairo_surface_mark_dirty(pixels.get());
  if (cairo_surface_write_to_png(pixels.get(), path.c_str()) != CAIRO_STATUS_SUCCESS) throw IoError(path, "cannot write the PNG file");
}

void draw(const Heatmap& h, const std::string& path, int width, int height) {
  if (h.values.size() == 0) throw InvalidArgument("plot: empty matrix for '" + h.title + "'");
  const Margins m;
  const Canvas canvas(path, width, height);
  cairo_t* c = canvas.context.get();
  const double x0 = m.left, y0 = m.top, w = width - m.left - m.right, ht = height - m.top - m.bottom;
  // The image at (at most) one cell per pixel.
  const MatrixXf img = pool(h.values, std::max<Index>(1, static_cast<Index>(ht)), std::max<Index>(1, static_cast<Index>(w)), h.pooling);
  const SurfacePtr pixels(cairo_image_surface_create(CAIRO_FORMAT_RGB24, static_cast<int>(img.cols()), static_cast<int>(img.rows())),
                          cairo_surface_destroy);
  unsigned char* data = cairo_image_surface_get_data(pixels.get());
  const int stride = cairo_image_surface_get_stride(pixels.get());
  const double span = h.v_max > h.v_min ? h.v_max - h.v_min : 1.0;
  for (Index r = 0; r < img.rows(); ++r)
    for (Index col = 0; col < img.cols(); ++col) {
      const auto rgb = colour(h.map, (img(r, col) - h.v_min) / span);
      auto* px = reinterpret_cast<std::uint32_t*>(data + (img.rows() - 1 - r) * stride) + col;  // row 0 at the bottom
      *px = (static_cast<std::uint32_t>(rgb[0] * 255) << 16) | (static_cast<std::uint32_t>(rgb[1] * 255) << 8) |
            static_cast<std::uint32_t>(rgb[2] * 255);
    }
  cairo_surface_mark_dirty(pixels.get());
  cairo_save(c);
  cairo_translate(c, x0, y0);
  cairo_scale(c, w / img.cols(), ht / img.rows());
  cairo_set_source_surface(c, pixels.get(), 0, 0);
  cairo_pattern_set_filter(cairo_get_source(c), CAIRO_FILTER_NEAREST);
  cairo_paint(c);
  cairo_restore(c);
  // Outlines (e.g. notes) in data coordinates.
  auto X = [&](double v) { return x0 + (v - h.x_min) / (h.x_max - h.x_min) * w; };
  auto Y = [&](double v) { return y0 + ht - (v - h.y_min) / (h.y_max - h.y_min) * ht; };
  cairo_set_line_width(c, 1.6);
  for (const Rect& r : h.outlines) {
    cairo_set_source_rgba(c, r.rgb[0], r.rgb[1], r.rgb[2], 0.95);
    cairo_rectangle(c, X(r.x0), Y(r.y1), X(r.x1) - X(r.x0), Y(r.y0) - Y(r.y1));
    cairo_stroke(c);
  }
  frame_and_axes(c, x0, y0, w, ht, h.x_min, h.x_max, h.y_min, h.y_max, h.x_label, h.y_label, h.y_ticks, false, h.x_ticks);
  text(c, x0, 10, h.title, 0.0, 0.0, 14);
  // Legend (groups), top right above the map.
  double lx = x0 + w;
  for (auto it = h.legend.rbegin(); it != h.legend.rend(); ++it) {
    cairo_set_font_size(c, 12);
    cairo_text_extents_t e;
    cairo_text_extents(c, it->first.c_str(), &e);
    lx -= e.width + 30;
    cairo_set_source_rgb(c, it->second[0], it->second[1], it->second[2]);
    cairo_rectangle(c, lx, 11, 14, 10);
    cairo_fill(c);
    cairo_set_source_rgb(c, 0, 0, 0);
    text(c, lx + 18, 9, it->first, 0.0, 0.0);
  }
  // Colour bar.
  const double bx = x0 + w + 18, bw = 16;
  for (int i = 0; i < static_cast<int>(ht); ++i) {
    const auto rgb = colour(h.map, 1.0 - i / ht);
    cairo_set_source_rgb(c, rgb[0], rgb[1], rgb[2]);
    cairo_rectangle(c, bx, y0 + i, bw, 1.5);
    cairo_fill(c);
  }
  cairo_set_source_rgb(c, 0, 0, 0);
  cairo_rectangle(c, bx, y0, bw, ht);
  cairo_stroke(c);
  for (double t : ticks(h.v_min, h.v_max, 5)) {
    const double py = y0 + ht - (t - h.v_min) / span * ht;
    text(c, bx + bw + 4, py, fmt(t), 0.0, 0.5, 10);
  }
  text(c, width - 12, y0 + ht / 2, h.colour_label, 0.5, 0.5, 12, true);
  finish(canvas.surface, path);
}

void draw(const LinePlot& p, const std::string& path, int width, int height) {
  const Margins m{78, 30, 34, 50};
  double xmin = 1e300, xmax = -1e300, ymin = 1e300, ymax = -1e300;
  auto tr = [&](double v) { return p.log_y ? std::log10(std::max(v, 1e-300)) : v; };
  for (const auto& s : p.series)
    for (std::size_t i = 0; i < s.x.size() && i < s.y.size(); ++i) {
      if (!std::isfinite(s.y[i])) continue;
      xmin = std::min(xmin, s.x[i]);
      xmax = std::max(xmax, s.x[i]);
      ymin = std::min(ymin, tr(s.y[i]));
      ymax = std::max(ymax, tr(s.y[i]));
    }
  if (xmin > xmax) throw InvalidArgument("plot: no data for '" + p.title + "'");
  if (xmax == xmin) xmax = xmin + 1;
  if (ymax == ymin) ymax = ymin + 1;
  const double pad = 0.05 * (ymax - ymin);
  ymin -= pad;
  ymax += pad;
  const Canvas canvas(path, width, height);
  cairo_t* c = canvas.context.get();
  const double x0 = m.left, y0 = m.top, w = width - m.left - m.right, ht = height - m.top - m.bottom;
  cairo_set_line_width(c, 2);
  double ly = y0 + 8;
  for (const auto& s : p.series) {
    cairo_set_source_rgb(c, s.rgb[0], s.rgb[1], s.rgb[2]);
    bool started = false;
    for (std::size_t i = 0; i < s.x.size() && i < s.y.size(); ++i) {
      if (!std::isfinite(s.y[i])) continue;
      const double px = x0 + (s.x[i] - xmin) / (xmax - xmin) * w, py = y0 + ht - (tr(s.y[i]) - ymin) / (ymax - ymin) * ht;
      if (started) cairo_line_to(c, px, py);
      else cairo_move_to(c, px, py);
      started = true;
    }
    cairo_stroke(c);
    cairo_move_to(c, x0 + w - 150, ly + 5);
    cairo_line_to(c, x0 + w - 128, ly + 5);
    cairo_stroke(c);
    cairo_set_source_rgb(c, 0, 0, 0);
    text(c, x0 + w - 122, ly, s.name, 0.0, 0.0);
    ly += 18;
  }
  frame_and_axes(c, x0, y0, w, ht, xmin, xmax, ymin, ymax, p.x_label, p.y_label, {}, p.log_y);
  text(c, x0, 10, p.title, 0.0, 0.0, 14);
  finish(canvas.surface, path);
}

}  // namespace notewise::plot
