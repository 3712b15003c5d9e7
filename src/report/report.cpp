#include "notewise/report/report.hpp"

#include <cctype>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <sstream>

#include "notewise/core/error.hpp"
#include "notewise/io/atomic_file.hpp"
#include "notewise/io/audio.hpp"
#include "notewise/plot/figure.hpp"
#include "notewise/report/verdict.hpp"
#include "notewise/report/viewer.hpp"

namespace fs = std::filesystem;

namespace notewise::report {
namespace {

const Geometry& geometry(const RunView& r) { return r.separation->decomposition.geometry; }

std::string pitch_name(int p);

// Every C on a log-frequency axis, labelled with its name and frequency.
std::vector<std::pair<double, std::string>> frequency_ticks(const LogAxis& axis) {
  std::vector<std::pair<double, std::string>> t;
  for (int p = 24; p <= 120; p += 12) {
    const double hz = 440.0 * std::pow(2.0, (p - 69) / 12.0);
    const double row = axis.row_of(hz);
    if (row >= 0 && row <= static_cast<double>(axis.rows)) t.push_back({row, pitch_name(p) + " " + std::to_string(static_cast<int>(std::lround(hz)))});
  }
  return t;
}

// A spectrogram-like figure on a log-frequency axis (C1 up to the analysis Nyquist).
LogAxis figure_axis(const RunView& run) {
  const double nyquist = geometry(run).sample_rate / 2;
  return log_axis(run.max_hz > 0 ? std::min(nyquist, run.max_hz) : nyquist);
}

// The views of the run (Separation::views): the figures and the page are drawn from them only.
const RunViews& views(const RunView& run) {
  const RunViews& v = run.separation->views;
  if (v.empty()) throw InvalidArgument("report: the run has no views (SeparationOptions::view_columns)");
  return v;
}

// A spectrogram-like figure of one of the views (log frequency, cut at the figure's top).
plot::Heatmap spectrogram(const RunView& run, const MatrixXf& view, const std::string& title, float ref, bool mask = false) {
  const LogAxis axis = figure_axis(run);
  plot::Heatmap h;
  h.values = view.topRows(std::min(axis.rows, view.rows()));
  if (!mask) h.values = plot::decibels(h.values, ref);
  h.x_max = views(run).seconds();
  h.y_max = static_cast<double>(h.values.rows());
  h.y_ticks = frequency_ticks(axis);
  h.v_min = -80;
  h.v_max = 0;
  h.title = title;
  h.x_label = "time (s)";
  h.y_label = "frequency (note, Hz; log)";
  h.colour_label = "magnitude (dB re mix max)";
  return h;
}

std::size_t group_index(const RunView& run, const std::string& name) {
  const auto& names = run.separation->groups.names;
  const auto it = std::find(names.begin(), names.end(), name);
  if (it == names.end()) throw InvalidArgument("no group '" + name + "' in this run");
  return static_cast<std::size_t>(it - names.begin());
}

std::string pitch_name(int p) {
  static const char* names[] = {"C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"};
  return std::string(names[p % 12]) + std::to_string(p / 12 - 1);
}


// A relative URL for a file name: bytes outside the unreserved set are percent-encoded, so a
// stem named after a label ("Piano #2", "lh:") still loads.
std::string url_escape(const std::string& s) {
  std::string o;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      o += static_cast<char>(c);
    } else {
      char b[4];
      std::snprintf(b, sizeof b, "%%%02X", c);
      o += b;
    }
  }
  return o;
}

// A value of report.json for a person: numbers to `digits` significant digits (0.10932098999999995
// -> 0.1093), yes/no, lists joined, null as a dash.
std::string format_value(const nlohmann::json& v, int digits) {
  if (v.is_null()) return "&ndash;";
  if (v.is_boolean()) return v.get<bool>() ? "yes" : "no";
  if (v.is_number_integer() || v.is_number_unsigned()) return v.dump();
  if (v.is_number()) {
    char b[48];
    std::snprintf(b, sizeof b, "%.*g", digits, v.get<double>());
    return b;
  }
  if (v.is_string()) return html_escape(v.get<std::string>());
  if (v.is_array()) {
    if (v.empty()) return "&ndash;";
    std::string o;
    for (const auto& x : v) o += (o.empty() ? "" : ", ") + format_value(x, digits);
    return o;
  }
  return html_escape(v.dump());
}

// A table of an object's keys and values, `per_row` pairs a row.
std::string json_table(const nlohmann::json& j, int per_row) {
  std::string h = "<table class=\"nw-params\">";
  int i = 0;
  for (const auto& [k, v] : j.items()) {
    if (i % per_row == 0) h += i ? "</tr><tr>" : "<tr>";
    h += "<th>" + html_escape(k) + "</th><td>" + format_value(v, 4) + "</td>";
    ++i;
  }
  return h + (i ? "</tr>" : "") + "</table>\n";
}

// A number with `decimals` decimals, or a dash for null (a score of -inf).
std::string format_number(const nlohmann::json& v, int decimals) {
  if (!v.is_number()) return "&ndash;";
  char b[48];
  std::snprintf(b, sizeof b, "%.*f", decimals, v.get<double>());
  return b;
}

}  // namespace

std::string figure_file(const RunView& run, const std::string& name) {
  for (const char* prefix : {"stem:", "mask:"})
    if (name.rfind(prefix, 0) == 0) {
      const std::size_t k = group_index(run, name.substr(5));
      return name.substr(0, 4) + "_" + run.separation->groups.files[k];
    }
  std::string f = name;
  std::replace(f.begin(), f.end(), ':', '_');
  return f;
}

std::vector<std::string> figure_names(const RunView& run) {
  std::vector<std::string> out{"spectrogram"};
  for (const auto& g : run.separation->groups.names) out.push_back("stem:" + g);
  out.insert(out.end(), {"templates", "activations"});
  for (const auto& g : run.separation->groups.names) out.push_back("mask:" + g);
  out.push_back("loss");
  if (run.warp && !run.warp->empty()) out.push_back("warp");
  return out;
}

void draw_figure(const RunView& run, const std::string& name, const std::string& path) {
  const Separation& s = *run.separation;
  const Decomposition& d = s.decomposition;
  const Geometry& g = geometry(run);
  const RunViews& v = views(run);
  const float ref = v.ref;
  if (name == "spectrogram") {
    plot::draw(spectrogram(run, v.mix, "Mix: log-magnitude spectrogram", ref), path);
  } else if (name.rfind("stem:", 0) == 0) {
    const std::size_t k = group_index(run, name.substr(5));
    // The stem's magnitude as the mask gives it: M_g |X|.
    plot::draw(spectrogram(run, v.stems.at(k), "Stem '" + s.groups.names[k] + "': log-magnitude spectrogram", ref), path);
  } else if (name.rfind("mask:", 0) == 0) {
    const std::size_t k = group_index(run, name.substr(5));
    plot::Heatmap h = spectrogram(run, v.masks.at(k), "Soft mask of '" + s.groups.names[k] + "'", 1.0f, true);
    h.v_min = 0;
    h.v_max = 1;
    h.map = plot::Colormap::Viridis;
    h.pooling = plot::Pooling::Mean;
    h.colour_label = "mask value";
    plot::draw(h, path);
  } else if (name == "templates") {
    // Each template (a column) on the log-frequency axis, labelled by its pitch (and source).
    const auto& layout = d.constraints.layout;
    const LogAxis axis = figure_axis(run);
    plot::Heatmap h;
    h.values = plot::decibels(to_log_frequency(d.W, g.bin_hz(), axis, false), d.W.maxCoeff());
    h.x_min = -0.5;
    h.x_max = static_cast<double>(d.W.cols()) - 0.5;
    h.y_max = static_cast<double>(axis.rows);
    h.y_ticks = frequency_ticks(axis);
    const Index P = static_cast<Index>(layout.pitches.size());
    const Index step = std::max<Index>(1, P / 8);
    const bool several = layout.source_names.size() > 1;
    for (Index r = 0; r < P; r += step) {
      const std::string source = several ? layout.source_name(layout.source_of_row(r)).substr(0, 4) + " " : "";
      h.x_ticks.push_back({static_cast<double>(r), source + pitch_name(layout.pitches[r])});
    }
    if (d.W.cols() > P) h.x_ticks.push_back({0.5 * static_cast<double>(P + d.W.cols()), "onset templates"});
    h.v_min = -60;
    h.v_max = 0;
    h.title = "Templates W: one column per pitch (and source), then the onset templates";
    h.x_label = "template (row of H), by pitch";
    h.y_label = "frequency (note, Hz; log)";
    h.colour_label = "dB re max";
    plot::draw(h, path);
  } else if (name == "activations") {
    const auto& layout = d.constraints.layout;
    const Index P = static_cast<Index>(layout.pitches.size());
    plot::Heatmap h;
    // Each row scaled by its template's total magnitude: what the row adds to the model
    // (NMF's W/H scaling is arbitrary per row, so raw H rows are not comparable).
    const VectorXf weight = d.W.leftCols(P).colwise().sum().transpose();
    const MatrixXf contribution = weight.asDiagonal() * d.H.topRows(P);
    h.values = plot::decibels(contribution, contribution.maxCoeff());
    h.x_max = d.H.cols() * g.frame_seconds();
    h.y_min = -0.5;
    h.y_max = P - 0.5;
    h.v_min = -50;
    h.v_max = 0;
    h.title = "Activations H (pitch rows, scaled by their template's magnitude) with the score";
    h.x_label = "time (s)";
    h.y_label = "pitch";
    h.colour_label = "dB re max";
    const Index step = std::max<Index>(1, P / 16);
    for (Index p = 0; p < P; p += step) {
      const std::string source = layout.source_name(layout.source_of_row(p));
      h.y_ticks.push_back({static_cast<double>(p), (source.empty() ? "" : source + " ") + pitch_name(layout.pitches[p])});
    }
    for (std::size_t k = 0; k < s.groups.names.size(); ++k) {
      h.legend.push_back({s.groups.names[k], plot::group_colour(k)});
      for (std::size_t i : s.groups.notes[k]) {
        if (i >= d.constraints.windows.size()) continue;  // a drum note (after the pitched ones): no pitch row
        const Note& n = run.score->notes()[i];
        const double row = static_cast<double>(d.constraints.windows[i].row);
        h.outlines.push_back({n.onset, n.offset(), row - 0.45, row + 0.45, plot::group_colour(k)});
      }
    }
    plot::draw(h, path);
  } else if (name == "loss") {
    plot::LinePlot p;
    plot::Series sr{"NMF", {}, {}, plot::group_colour(0)};
    sr.x.push_back(0);
    sr.y.push_back(d.run.initial_loss);
    for (std::size_t i = 0; i < d.run.loss.size(); ++i) {
      sr.x.push_back(static_cast<double>(i + 1));
      sr.y.push_back(d.run.loss[i]);
    }
    p.series.push_back(sr);
    p.title = "Loss against iterations";
    p.x_label = "iteration";
    p.y_label = "divergence (log scale)";
    p.log_y = true;
    plot::draw(p, path);
  } else if (name == "warp" && run.warp && !run.warp->empty()) {
    plot::LinePlot p;
    plot::Series sr{"warping path", {}, {}, plot::group_colour(0)};
    for (const auto& [st, at] : *run.warp) {
      sr.x.push_back(st);
      sr.y.push_back(at);
    }
    p.series.push_back(sr);
    p.title = "Score-to-audio warp (the score aligned to the recording)";
    p.x_label = "score time (s)";
    p.y_label = "audio time (s)";
    plot::draw(p, path);
  } else {
    std::string known;
    for (const auto& n : figure_names(run)) known += (known.empty() ? "" : ", ") + n;
    throw InvalidArgument("figure '" + name + "': unknown (figures: " + known + ")");
  }
}

void write_report(const std::string& dir, const RunView& run, const nlohmann::json& report, const std::string& audio,
                  const nlohmann::json& scores, bool overwrite) {
  const fs::path root(dir);
  fs::create_directories(root / "plots");
  const Separation& s = *run.separation;
  auto png = [&run](const std::string& name) { return "plots/" + figure_file(run, name) + ".png"; };
  const std::vector<std::string> figures = figure_names(run);
  const auto progress = [&](std::size_t done, const std::string& detail) {
    if (run.on_progress) run.on_progress(static_cast<long>(done), static_cast<long>(figures.size() + 1), detail);
  };
  for (std::size_t i = 0; i < figures.size(); ++i) {
    progress(i, "");
    io::write_atomically((root / png(figures[i])).string(), overwrite, [&](const std::string& tmp) {
      draw_figure(run, figures[i], tmp);  // the temporary name ends in .png too
    });
  }
  progress(figures.size(), "interactive views");
  std::ostringstream h;
  const auto img = [&](const std::string& name, const std::string& alt) {
    h << "<figure><img src=\"" << "plots/" << url_escape(figure_file(run, name) + ".png") << "\" alt=\"" << html_escape(alt) << "\"></figure>\n";
  };
  const ViewerPage viewer = write_viewer(dir, run, report, audio, overwrite);
  const std::string& mix_rel = viewer.mix;
  h << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>notewise report</title>\n"
    << "<style>body{font-family:sans-serif;max-width:1060px;margin:1em auto;color:#222}"
       "img{max-width:100%}table{border-collapse:collapse}td,th{border:1px solid #bbb;padding:3px 8px;text-align:right}"
       "th{background:#eee}figure{margin:0.5em 0}pre{background:#f6f6f6;padding:8px;overflow:auto;font-size:12px}"
       ".audio td,.nw-params td:nth-child(odd){text-align:left}h1{margin:0.2em 0;font-size:1.6em}"
       ".nw-verdict{border:2px solid #888;border-radius:8px;padding:6px 14px;margin:8px 0}"
       ".nw-verdict ul{margin:4px 0;padding-left:1.3em}.nw-verdict li{margin:1px 0}"
       ".nw-verdict-head{font-size:1.15em}.nw-verdict-word{font-weight:bold;font-size:1.5em;text-transform:uppercase;margin-right:0.4em}"
       ".nw-good{border-color:#2e7d32;background:#edf7ee}.nw-good .nw-verdict-word{color:#2e7d32}"
       ".nw-doubtful{border-color:#b26a00;background:#fff6e6}.nw-doubtful .nw-verdict-word{color:#b26a00}"
       ".nw-poor{border-color:#c62828;background:#fdecea}.nw-poor .nw-verdict-word{color:#c62828}"
       "li.nw-warning::marker{content:'\\26A0  '}li.nw-problem::marker{content:'\\2716  '}li.nw-ok::marker{content:'\\2714  '}"
       ".nw-stems{margin:4px 0;background:#fff}.nw-stems td:first-child{text-align:left}"
       ".nw-next{font-size:13px}.nw-next ul{margin:2px 0}.nw-next code{word-break:break-all}</style>\n</head><body>\n";
  h << "<h1>notewise " << (run.stems_written ? "separation" : "decomposition") << " report</h1>\n<p>Input <code>" << html_escape(audio) << "</code>, score <code>"
    << html_escape(report["parameters"].value("score", "")) << "</code>; " << report["input"].value("notes", 0)
    << " notes in " << s.groups.names.size() << " groups.</p>\n";
  // What a user asks first: did it work? (verdict.hpp)
  std::vector<std::string> stem_files;
  if (run.stems_written)
    for (const auto& f : s.groups.files) stem_files.push_back(url_escape(f + "." + run.stem_ext));
  if (report.contains("verdict")) h << verdict_html(report, stem_files, run.next);
  h << viewer.html;
  h << "<h2>Listen</h2>\n<table class=\"audio\"><tr><th>track</th><th>audio</th><th>file</th></tr>\n";
  h << "<tr><td>mix (input)</td><td><audio controls preload=\"metadata\" src=\"" << html_escape(mix_rel) << "\"></audio></td><td><a href=\""
    << html_escape(mix_rel) << "\">" << html_escape(mix_rel) << "</a></td></tr>\n";
  for (std::size_t k = 0; k < stem_files.size(); ++k)  // decompose writes no stems
    h << "<tr><td>" << html_escape(s.groups.names[k]) << "</td><td><audio controls preload=\"metadata\" src=\"" << stem_files[k]
      << "\"></audio></td><td><a href=\"" << stem_files[k] << "\">" << html_escape(s.groups.files[k] + "." + run.stem_ext) << "</a></td></tr>\n";
  h << "</table>\n";
  if (!scores.is_null()) {
    const bool base = scores.contains("baselines");
    h << "<h2>Quality against the reference stems</h2>\n<table><tr><th>stem</th><th>SDR</th><th>SIR</th><th>SAR</th><th>SI-SDR</th>"
      << (base ? "<th>SDR of the mix alone</th><th>SDR of the ideal mask</th>" : "") << "</tr>\n";
    for (const auto& [stem, v] : scores["stems"].items()) {
      h << "<tr><td>" << html_escape(stem) << "</td>" << score_cells(v);
      if (base)
        for (const char* b : {"mix", "ideal_mask"}) {
          const auto& x = scores["baselines"][b]["stems"];
          h << "<td>" << format_number(x.contains(stem) ? x[stem]["SDR"] : nlohmann::json(), 2) << "</td>";
        }
      h << "</tr>\n";
    }
    h << "</table><p>mean SDR " << format_number(scores["mean_SDR"], 2) << " dB";
    if (base)
      h << " (the mix alone " << format_number(scores["baselines"]["mix"]["mean_SDR"], 2) << " dB, the ideal ratio mask on the same STFT "
        << format_number(scores["baselines"]["ideal_mask"]["mean_SDR"], 2) << " dB)";
    h << "; BSS Eval v3, as mir_eval</p>\n";
  }
  h << "<h2>Spectrograms</h2>\n";
  img("spectrogram", "mix spectrogram");
  for (const auto& g : s.groups.names) img("stem:" + g, "spectrogram of " + g);
  h << "<h2>Decomposition</h2>\n";
  img("templates", "templates W");
  img("activations", "activations H with the score");
  h << "<h2>Masks</h2>\n";
  for (const auto& g : s.groups.names) img("mask:" + g, "mask of " + g);
  h << "<h2>Loss</h2>\n";
  img("loss", "loss curve");
  if (run.warp && !run.warp->empty()) {
    h << "<h2>Alignment</h2>\n";
    img("warp", "score-to-audio warp");
    if (report.contains("alignment"))
      h << "<p>normalised path cost " << format_number(report["alignment"]["normalised_cost"], 3) << ", mean note confidence "
        << format_number(report["alignment"]["mean_confidence"], 2) << "</p>\n";
  }
  h << "<h2>Groups</h2>\n<table><tr><th>group</th><th>notes</th></tr>\n";
  for (std::size_t k = 0; k < s.groups.names.size(); ++k)
    h << "<tr><td>" << html_escape(s.groups.names[k]) << "</td><td>" << s.groups.notes[k].size() << "</td></tr>\n";
  h << "</table>\n";
  if (report.contains("timbre") && report["timbre"].contains("chosen")) {
    // What the run assumed about the instruments, in words.
    const auto& t = report["timbre"];
    h << "<h2>Instruments and timbre</h2>\n<p>Timbre <b>" << html_escape(t.value("chosen", "")) << "</b>: "
      << html_escape(t.value("reason", "")) << "</p>\n<ul>\n";
    for (const auto& i : t["instruments"])
      h << "<li>" << html_escape(i.value("label", "")) << ": " << html_escape(i.value("instrument", "")) << " ("
        << html_escape(i.value("from", "")) << ")</li>\n";
    h << "</ul>\n";
  }
  h << "<h2>Parameters</h2>\n" << json_table(report["parameters"], 3);
  nlohmann::json run_info = {{"version", report["version"]}, {"NMF iterations", report["nmf"]["iterations"]}};
  for (const auto& [k, v] : report["timings_s"].items()) run_info[k + " (s)"] = v;
  h << "<h2>Run</h2>\n" << json_table(run_info, 3);
  // A check the tests read (report_test.cpp, browser_test.js), out of the user's sight: did every
  // image and audio file load, any errors? It lands in <body data-selfcheck>.
  h << "<script>\n"
       "const errors=[];window.addEventListener('error',e=>errors.push(e.message||(e.target&&e.target.src)||'error'),true);\n"
       "window.addEventListener('load',()=>{const imgs=[...document.images];"
       "const ok=imgs.filter(i=>i.complete&&i.naturalWidth>0).length;"
       "const auds=[...document.querySelectorAll('audio')];"
       "Promise.all(auds.map(a=>a.readyState>=1?true:new Promise(r=>{a.addEventListener('loadedmetadata',()=>r(true));"
       "a.addEventListener('error',()=>r(false));}))).then(res=>{const aok=res.filter(x=>x).length;"
       "document.body.dataset.selfcheck=`self-check: images ${ok}/${imgs.length}, audio ${aok}/${auds.length}, errors ${errors.length}`;});});\n"
       "</script>\n</body></html>\n";
  io::write_text((root / "report.html").string(), h.str(), overwrite);
}

}  // namespace notewise::report
