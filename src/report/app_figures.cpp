#include "notewise/report/app_figures.hpp"

#include <algorithm>
#include <filesystem>
#include <tuple>

#include "notewise/plot/figure.hpp"

namespace notewise::report {

void draw_drum_figures(const DrumSeparation& d, const DrumOptions& o, int rate, const std::string& dir) {
  const double frame_s = static_cast<double>(o.stft.hop) / rate;
  // The drum classes only (a band's pitched rows are the score's pitches, shown by 'separate').
  const Index C = static_cast<Index>(d.classes.size()) - d.first_drum, T = static_cast<Index>(d.W.size());
  const Index R0 = d.first_drum_row;
  const auto name = [&](Index c) { return d.classes[static_cast<std::size_t>(d.first_drum + c)]; };
  const MatrixXf H = d.H.middleRows(R0, C), H0 = d.H0.middleRows(R0, C);
  plot::Heatmap h;
  h.values = H;
  for (Index c = 0; c < C; ++c) {
    const float m = H.row(c).maxCoeff();
    if (m > 0) h.values.row(c) /= m;
  }
  h.x_max = H.cols() * frame_s;
  h.y_min = -0.5;
  h.y_max = C - 0.5;
  h.title = "Activations H per class (each row scaled to its maximum) and the score's windows";
  h.x_label = "time (s)";
  h.y_label = "class";
  h.colour_label = "activation";
  h.map = plot::Colormap::Viridis;
  for (Index c = 0; c < C; ++c) h.y_ticks.push_back({static_cast<double>(c), name(c)});
  for (Index c = 0; c < C; ++c)
    for (Index n = 0; n < H0.cols(); ++n)
      if (H0(c, n) > 0 && (n == 0 || H0(c, n - 1) == 0)) {
        Index e = n;
        while (e + 1 < H0.cols() && H0(c, e + 1) > 0) ++e;
        h.outlines.push_back({n * frame_s, (e + 1) * frame_s, c - 0.45, c + 0.45, {1, 1, 1}});
      }
  plot::draw(h, (std::filesystem::path(dir) / "activations.png").string());
  // Templates side by side: class c's T frames in columns c T .. c T + T - 1.
  const Index rows = std::min<Index>(d.V.rows(), static_cast<Index>(8000.0 * o.stft.n_fft / rate) + 1);
  MatrixXf W(rows, C * T);
  for (Index c = 0; c < C; ++c)
    for (Index t = 0; t < T; ++t) W.col(c * T + t) = d.W[static_cast<std::size_t>(t)].col(R0 + c).head(rows);
  plot::Heatmap w;
  w.values = plot::decibels(W, W.maxCoeff());
  w.x_max = static_cast<double>(C);
  w.y_max = rows * static_cast<double>(rate) / o.stft.n_fft;
  w.v_min = -60;
  w.v_max = 0;
  w.title = "NMFD templates (each " + std::to_string(T) + " frames)";
  w.x_label = "class";
  w.y_label = "frequency (Hz)";
  w.colour_label = "dB re max";
  for (Index c = 0; c < C; ++c) w.outlines.push_back({static_cast<double>(c), c + 1.0, 0, w.y_max, {1, 1, 1}});
  for (Index c = 0; c < C; ++c) w.legend.push_back({std::to_string(c) + ": " + name(c), {1, 1, 1}});
  plot::draw(w, (std::filesystem::path(dir) / "templates.png").string());
}

void draw_mosaic_figures(const mosaic::Result& r, const mosaic::Options& o, int rate, const std::string& dir) {
  const double frame_s = static_cast<double>(o.stft.hop) / rate;
  const auto path = [&](const char* f) { return (std::filesystem::path(dir) / f).string(); };
  // The activation matrix as the paper shows it: source time up, target time across.
  plot::Heatmap h;
  const float hmax = r.H.maxCoeff();
  h.values = plot::decibels(r.H, hmax);
  h.x_max = r.H.cols() * frame_s;
  h.y_max = r.H.rows() * frame_s;
  h.v_min = -40;
  h.v_max = 0;
  h.title = "Activations H: which source frame sounds in each target frame";
  h.x_label = "target time (s)";
  h.y_label = "source time (s)";
  h.colour_label = "dB re max";
  h.map = plot::Colormap::Viridis;
  plot::draw(h, path("activations.png"), 800, 700);
  const float ref = std::max(r.target_V.maxCoeff(), r.model.maxCoeff());
  const Index rows = std::min<Index>(r.target_V.rows(), static_cast<Index>(5000.0 * o.stft.n_fft / rate) + 1);
  for (const auto& [file, m, title] : {std::tuple{"target.png", &r.target_V, "Target: log-magnitude spectrogram"},
                                       std::tuple{"mosaic.png", &r.model, "Mosaic (W H): log-magnitude spectrogram"}}) {
    plot::Heatmap s;
    s.values = plot::decibels(m->topRows(rows), ref);
    s.x_max = m->cols() * frame_s;
    s.y_max = rows * static_cast<double>(rate) / o.stft.n_fft;
    s.v_min = -80;
    s.v_max = 0;
    s.title = title;
    s.x_label = "time (s)";
    s.y_label = "frequency (Hz)";
    s.colour_label = "dB re max";
    plot::draw(s, path(file));
  }
  plot::LinePlot lp;
  plot::Series se{"KL divergence", {}, {}, plot::group_colour(0)};
  se.x.push_back(0);
  se.y.push_back(r.initial_loss);
  for (std::size_t i = 0; i < r.loss.size(); ++i) {
    se.x.push_back(static_cast<double>(i + 1));
    se.y.push_back(r.loss[i]);
  }
  lp.series.push_back(se);
  lp.title = "Loss (restrictions act at iterations " + std::to_string(o.restrict_every) + ", " +
             std::to_string(2 * o.restrict_every) + ", ...)";
  lp.x_label = "iteration";
  lp.y_label = "KL divergence";
  lp.log_y = true;
  plot::draw(lp, path("loss.png"));
}

}  // namespace notewise::report
