#include "notewise/report/comparison.hpp"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <sstream>

#include "notewise/core/error.hpp"
#include "notewise/io/atomic_file.hpp"
#include "notewise/plot/figure.hpp"
#include "notewise/report/viewer.hpp"

namespace notewise::report {

void write_comparison(const std::string& dir, const std::vector<std::string>& names, const std::vector<std::vector<double>>& curves,
                      const nlohmann::json& scores, const std::string& reference, const std::string& audio, std::size_t notes,
                      const std::string& loss_name, const nlohmann::json& parameters, bool overwrite) {
  const std::size_t K = names.size();
  if (K == 0 || curves.size() != K) throw InvalidArgument("comparison: one loss curve per method");
  const std::filesystem::path root(dir);
  std::ostringstream csv;
  csv.precision(10);
  csv << "epoch";
  for (const auto& n : names) csv << "," << n;
  csv << "\n";
  for (std::size_t e = 0; e < curves[0].size(); ++e) {
    csv << e;
    for (const auto& c : curves) csv << "," << c[e];
    csv << "\n";
  }
  io::write_text((root / "loss.csv").string(), csv.str(), overwrite);
  plot::LinePlot p;
  p.title = loss_name + " against iterations/epochs";
  p.x_label = "iteration / epoch";
  p.y_label = "loss (log scale)";
  p.log_y = true;
  for (std::size_t kk = 0; kk < K; ++kk) {
    plot::Series s{names[kk], {}, curves[kk], plot::group_colour(kk)};
    for (std::size_t e = 0; e < curves[kk].size(); ++e) s.x.push_back(static_cast<double>(e));
    p.series.push_back(s);
  }
  io::write_atomically((root / "loss.png").string(), overwrite, [&](const std::string& tmp) {
    plot::draw(p, tmp);  // the temporary name ends in .png too
  });
  std::ostringstream h;
  h << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>notewise compare</title></head>"
    << "<body style=\"font-family:sans-serif;max-width:1060px;margin:1em auto\">\n<h1>NMF and nonnegative autoencoders</h1>\n"
    << "<p>Input <code>" << html_escape(audio) << "</code>, " << notes << " notes, " << curves[0].size() - 1
    << " iterations/epochs from the same constrained start.</p>\n<img src=\"loss.png\" alt=\"loss curves\" style=\"max-width:100%\">\n"
    << "<table border=\"1\" cellpadding=\"4\"><tr><th>method</th><th>start</th><th>final loss</th><th>final / NMF final</th></tr>\n";
  for (std::size_t kk = 0; kk < K; ++kk)
    h << "<tr><td>" << names[kk] << "</td><td>" << curves[kk].front() << "</td><td>" << curves[kk].back() << "</td><td>"
      << curves[kk].back() / curves[0].back() << "</td></tr>\n";
  h << "</table>\n";
  if (!reference.empty()) {
    // Quality per method and stem: what a user choosing a method wants beside the loss.
    h << "<h2>Separation quality against " << html_escape(reference) << "</h2>\n<table border=\"1\" cellpadding=\"4\">"
      << "<tr><th>method</th><th>stem</th><th>SDR</th><th>SIR</th><th>SAR</th><th>SI-SDR</th></tr>\n";
    for (std::size_t kk = 0; kk < K; ++kk) {
      const auto& sc = scores[names[kk]];
      for (const auto& [stem, v] : sc["stems"].items()) {
        h << "<tr><td>" << names[kk] << "</td><td>" << html_escape(stem) << "</td>" << score_cells(v) << "</tr>\n";
      }
      char b[64];
      std::snprintf(b, sizeof b, "%.2f", sc["mean_SDR"].is_null() ? NAN : sc["mean_SDR"].get<double>());
      h << "<tr><th>" << names[kk] << "</th><th>mean</th><th>" << b << "</th><td></td><td></td><td></td></tr>\n";
    }
    h << "</table>\n";
  }
  h << "<pre>" << html_escape(parameters.dump(1)) << "</pre>\n</body></html>\n";
  io::write_text((root / "report.html").string(), h.str(), overwrite);
}

}  // namespace notewise::report
