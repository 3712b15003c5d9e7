#pragma once
// Figures for people: heat maps (spectrograms, templates, activations, masks) with labelled
// axes and a colour bar, and line plots (loss curves), drawn with Cairo to PNG or SVG.
// Large matrices are reduced to the plot's pixel size by pooling (max or mean over the cells
// that fall into one pixel), never by dropping rows or frames.
#include <array>
#include <string>
#include <vector>

#include "notewise/core/types.hpp"

namespace notewise::plot {

enum class Colormap { Magma, Viridis };
enum class Pooling { Max, Mean };

// Colour of t in [0, 1] (clamped) as RGB in [0, 1]. The maps are matplotlib's magma and
// viridis, interpolated linearly between 17 samples of each.
std::array<double, 3> colour(Colormap map, double t);

// Reduces m to rows x cols by pooling blocks of cells (rows, cols <= m's; no-op if equal).
MatrixXf pool(const MatrixXf& m, Index rows, Index cols, Pooling how);

struct Rect {  // in data coordinates
  double x0, x1, y0, y1;
  std::array<double, 3> rgb;
};

struct Heatmap {
  MatrixXf values;              // rows = y (row 0 at the bottom), cols = x
  double x_min = 0, x_max = 1;  // data range the columns span
  double y_min = 0, y_max = 1;  // data range the rows span
  double v_min = 0, v_max = 1;  // colour range (values are clamped)
  std::string title, x_label, y_label, colour_label;
  Colormap map = Colormap::Magma;
  Pooling pooling = Pooling::Max;
  std::vector<Rect> outlines;   // drawn over the map (e.g. the score's notes)
  std::vector<std::pair<std::string, std::array<double, 3>>> legend;
  std::vector<std::pair<double, std::string>> y_ticks;  // custom tick labels (empty: numeric)
  std::vector<std::pair<double, std::string>> x_ticks;  // the same for x
};

struct Series {
  std::string name;
  std::vector<double> x, y;
  std::array<double, 3> rgb;
};

struct LinePlot {
  std::vector<Series> series;
  std::string title, x_label, y_label;
  bool log_y = false;
};

// Writes the figure as PNG, or SVG if the path ends in ".svg"; width x height pixels (points).
// Throws IoError if the file cannot be written.
// Axis labels of tick values, with just enough digits that no two read the same (a log axis
// spanning less than a decade would otherwise show "1e6" twice); exponents compact ("2.5e6").
std::vector<std::string> tick_labels(const std::vector<double>& values);

void draw(const Heatmap& h, const std::string& path, int width = 1000, int height = 420);
void draw(const LinePlot& p, const std::string& path, int width = 1000, int height = 360);

// 20 log10(m / ref), floored at -120 dB (ref <= 0 counts as 1): magnitudes for the colour scale.
MatrixXf decibels(const MatrixXf& m, float ref);

// A bare image of `values` (rows = y, row 0 at the bottom; one pixel per cell, no axes),
// coloured by `map` over [v_min, v_max], written as PNG or JPEG (libjpeg, quality 85: a fifth
// of the PNG's bytes for a noisy spectrogram): the tiles an interactive page pans and zooms.
// Throws InvalidArgument for an empty matrix, IoError if the file cannot be written.
enum class ImageFormat { Png, Jpeg };
void write_image(const MatrixXf& values, double v_min, double v_max, Colormap map, const std::string& path,
                 ImageFormat format = ImageFormat::Png);

// Distinct colours for groups (a qualitative palette), cycling.
std::array<double, 3> group_colour(std::size_t i);

}  // namespace notewise::plot
