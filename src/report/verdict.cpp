#include "notewise/report/verdict.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "json_number.hpp"
#include "notewise/core/error.hpp"
#include "notewise/core/stft.hpp"
#include "notewise/score/decompose.hpp"
#include "notewise/report/viewer.hpp"

namespace notewise::report {
namespace {

double num(const nlohmann::json& j, const char* key, double otherwise = NAN) {
  return j.is_object() && j.contains(key) && j[key].is_number() ? j[key].get<double>() : otherwise;
}

std::string fmt(const char* f, double v) {
  char b[64];
  std::snprintf(b, sizeof b, f, v);
  return b;
}

}  // namespace

nlohmann::json estimate_quality(const Separation& s, std::size_t pitched, const Eigen::Ref<const VectorXf>& analysis,
                                const StftOptions& stft, double alpha) {
  const Decomposition& d = s.decomposition;
  const Index N = d.H.cols(), K = d.W.rows();
  // A band's masks share the sound with its drum model, which W H does not hold: no estimate.
  if (pitched == 0 || pitched != s.groups.names.size() || d.W.cols() != d.H.rows()) return nullptr;
  if (stft.frames(analysis.size()) != N || stft.bins() != K)
    throw InvalidArgument("estimate_quality: the analysis signal does not give the run's frames");
  const std::size_t G = pitched;
  std::vector<MatrixXf> Wg(G), Hg(G);
  std::vector<std::vector<char>> active(G, std::vector<char>(static_cast<std::size_t>(N), 0));
  for (std::size_t g = 0; g < G; ++g) {
    RowActivations ra = row_activations(d, s.groups.notes[g]);
    Wg[g] = d.W(Eigen::all, ra.rows);
    Hg[g] = std::move(ra.H);
    for (std::size_t i : s.groups.notes[g]) {
      if (i >= d.constraints.windows.size()) continue;
      const NoteWindow& w = d.constraints.windows[i];
      for (auto [b, e] : {std::pair{w.begin, w.end}, std::pair{w.onset_begin, w.onset_end}})
        for (Index t = std::max<Index>(0, b); t < std::min(e, N); ++t) active[g][static_cast<std::size_t>(t)] = 1;
    }
  }
  double v2 = 0, unexplained = 0;
  std::vector<double> energy(G, 0), leak(G, 0), region_v(G, 0), region_err(G, 0);
  constexpr Index kChunk = 256;
  const float a = static_cast<float>(alpha);
  std::vector<MatrixXf> model(G);
  std::vector<float> power(G);
  std::vector<double> col(G);
  for (Index j0 = 0; j0 < N; j0 += kChunk) {
    const Index n = std::min(kChunk, N - j0);
    const MatrixXf V = stft_frames(analysis, stft, j0, n).cwiseAbs();
    for (std::size_t g = 0; g < G; ++g)
      model[g] = Wg[g].cols() > 0 ? MatrixXf(Wg[g] * Hg[g].middleCols(j0, n)) : MatrixXf::Zero(K, n);
    // One pass over the cells (the models, their powers and every group's mask at hand).
    for (Index t = 0; t < n; ++t) {
      std::fill(col.begin(), col.end(), 0.0);
      for (Index k = 0; k < K; ++k) {
        const float v = V(k, t);
        float all = 0, sum = 0;
        for (std::size_t g = 0; g < G; ++g) {
          const float m = model[g](k, t);
          power[g] = a == 2.0f ? m * m : std::pow(m, a);
          all += m;
          sum += power[g];
        }
        const float err = v - all;
        const double v_sq = static_cast<double>(v) * v, err_sq = static_cast<double>(err) * err;
        v2 += v_sq;
        if (err > 0) unexplained += err_sq;
        for (std::size_t g = 0; g < G; ++g) {
          // The run's soft mask (separate.hpp); cells no group explains are split evenly.
          const float mask = sum > 0 ? power[g] / std::max(sum, 1e-30f) : 1.0f / static_cast<float>(G);
          const double stem = static_cast<double>(mask * v);
          col[g] += stem * stem;
          if (mask > 0.5f) {
            region_v[g] += v_sq;
            region_err[g] += err_sq;
          }
        }
      }
      for (std::size_t g = 0; g < G; ++g) {
        energy[g] += col[g];
        if (!active[g][static_cast<std::size_t>(j0 + t)]) leak[g] += col[g];
      }
    }
  }
  double total = 0;
  for (double e : energy) total += e;
  nlohmann::json groups = nlohmann::json::array();
  for (std::size_t g = 0; g < G; ++g)
    groups.push_back({{"name", s.groups.names[g]},
                      {"share_db", number(10 * std::log10(energy[g] / total))},
                      {"fit_db", region_v[g] > 0 ? number(10 * std::log10(region_v[g] / std::max(region_err[g], 1e-30))) : nlohmann::json(nullptr)},
                      {"leakage", energy[g] > 0 ? number(leak[g] / energy[g]) : nlohmann::json(nullptr)}});
  return {{"unexplained", v2 > 0 ? number(unexplained / v2) : nlohmann::json(nullptr)}, {"groups", groups}};
}

const VerdictThresholds& verdict_thresholds() {
  static const VerdictThresholds t;
  return t;
}

nlohmann::json make_verdict(const nlohmann::json& report) {
  const VerdictThresholds& th = verdict_thresholds();
  nlohmann::json reasons = nlohmann::json::array();
  int worst = 0;  // 0 good, 1 doubtful, 2 poor
  const auto reason = [&](int level, const std::string& text) {
    worst = std::max(worst, level);
    reasons.push_back({{"level", level == 0 ? "ok" : level == 1 ? "warning" : "problem"}, {"text", text}});
  };
  // The score against the recording.
  const nlohmann::json& al = report.contains("alignment") ? report["alignment"] : nlohmann::json();
  const nlohmann::json& fit = report.contains("score_fit") ? report["score_fit"] : nlohmann::json();
  if (al.is_object()) {
    const double conf = num(al, "mean_confidence", 0);
    if (al.value("poor", false))
      reason(2, "the score could not be aligned to the recording: " + al.value("problem", std::string("poor match")) +
                    " (is it this recording's score?)");
    else if (conf < th.alignment_confidence_doubtful)
      reason(1, "the score was aligned with low confidence (mean note confidence " + fmt("%.2f", conf) + ")");
    else
      reason(0, "the score was aligned to the recording (mean note confidence " + fmt("%.2f", conf) + ", path cost " +
                    fmt("%.3f", num(al, "normalised_cost", 0)) + ")");
  } else if (fit.is_object()) {
    if (fit.value("fits", true))
      reason(0, "the score fits the recording (median onset shift " + fmt("%.0f", 1000 * num(fit, "median_onset_shift_s", 0)) + " ms)");
    else
      reason(2, "the score does not fit the recording: " + fit.value("problem", std::string()) + " (try aligning it)");
  } else {
    reason(1, "the score's fit to the recording was not checked");
  }
  // The model against the spectrogram.
  const nlohmann::json& q = report.contains("quality") ? report["quality"] : nlohmann::json();
  const double unexplained = num(q, "unexplained");
  if (std::isfinite(unexplained)) {
    const std::string pct = fmt("%.0f", 100 * unexplained) + " %";
    if (unexplained > th.unexplained_poor)
      reason(2, "the model leaves " + pct + " of the sound's energy unexplained: much of the recording is not in the score");
    else if (unexplained > th.unexplained_doubtful)
      reason(1, "the model leaves " + pct + " of the sound's energy unexplained");
    else
      reason(0, "the model explains all but " + pct + " of the sound's energy");
  }
  // Per stem.
  nlohmann::json stems = nlohmann::json::array();
  const nlohmann::json& scores = report.contains("scores") ? report["scores"] : nlohmann::json();
  const nlohmann::json groups = report.value("groups", nlohmann::json::array());
  double total_ms = 0;
  for (const auto& g : groups) total_ms += std::pow(num(g, "rms", 0), 2);
  for (std::size_t k = 0; k < groups.size(); ++k) {
    const auto& g = groups[k];
    const std::string name = g.value("name", std::string());
    const std::string file = g.value("file", std::string());
    nlohmann::json st = {{"name", name}, {"file", file}};
    const double rms = num(g, "rms", 0);
    st["level_dbfs"] = number(20 * std::log10(rms));
    const double share = total_ms > 0 ? 10 * std::log10(rms * rms / total_ms) : NAN;
    st["share_db"] = number(share);
    if (!(share > th.silent_stem_db)) reason(1, "stem '" + name + "' is near-silent (" + (std::isfinite(share) ? fmt("%.0f", share) + " dB" : std::string("silent")) + " of the stems' energy)");
    if (q.is_object() && q.contains("groups"))
      for (const auto& qg : q["groups"])
        if (qg.value("name", std::string()) == name) {
          st["fit_db"] = qg["fit_db"];
          st["leakage"] = qg["leakage"];
          const double fit_db = num(qg, "fit_db");
          if (fit_db < th.fit_doubtful_db)
            reason(1, "the model explains stem '" + name + "' poorly (fit " + fmt("%.1f", fit_db) + " dB over its own cells)");
          const double leak = num(qg, "leakage");
          if (leak > th.leakage_poor)
            reason(2, "stem '" + name + "' holds " + fmt("%.0f", 100 * leak) + " % of its energy where the score has none of its notes");
          else if (leak > th.leakage_doubtful)
            reason(1, "stem '" + name + "' holds " + fmt("%.0f", 100 * leak) + " % of its energy where the score has none of its notes");
        }
    if (scores.is_object() && scores.contains("stems")) {
      const std::string stem = file.substr(0, file.rfind('.'));
      if (scores["stems"].contains(stem)) st["SDR"] = scores["stems"][stem]["SDR"];
      for (const char* b : {"mix", "ideal_mask"})
        if (scores.contains("baselines") && scores["baselines"].contains(b) && scores["baselines"][b]["stems"].contains(stem))
          st[std::string("SDR_") + b] = scores["baselines"][b]["stems"][stem]["SDR"];
    }
    stems.push_back(st);
  }
  if (scores.is_object()) {
    const double sdr = num(scores, "mean_SDR");
    const double mix = scores.contains("baselines") ? num(scores["baselines"]["mix"], "mean_SDR") : NAN;
    const double ideal = scores.contains("baselines") ? num(scores["baselines"]["ideal_mask"], "mean_SDR") : NAN;
    std::string text = "against the reference stems: mean SDR " + fmt("%.1f", sdr) + " dB";
    if (std::isfinite(mix)) text += ", the mix alone " + fmt("%.1f", mix) + " dB";
    if (std::isfinite(ideal)) text += ", the ideal mask " + fmt("%.1f", ideal) + " dB";
    if (std::isfinite(mix) && !(sdr - mix >= th.sdr_gain_poor)) reason(2, text + ": hardly better than doing nothing");
    else reason(0, text);
  }
  const char* word = worst == 0 ? "good" : worst == 1 ? "doubtful" : "poor";
  return {{"verdict", word},
          {"reasons", reasons},
          {"stems", stems},
          {"thresholds", {{"unexplained_doubtful", th.unexplained_doubtful},
                          {"unexplained_poor", th.unexplained_poor},
                          {"leakage_doubtful", th.leakage_doubtful},
                          {"leakage_poor", th.leakage_poor},
                          {"fit_doubtful_db", th.fit_doubtful_db},
                          {"silent_stem_db", th.silent_stem_db},
                          {"alignment_confidence_doubtful", th.alignment_confidence_doubtful},
                          {"sdr_gain_poor_db", th.sdr_gain_poor}}}};
}

std::string verdict_html(const nlohmann::json& report, const std::vector<std::string>& stem_files,
                         const std::vector<std::pair<std::string, std::string>>& next) {
  const nlohmann::json& v = report["verdict"];
  const std::string word = v.value("verdict", std::string("doubtful"));
  std::string h = "<section id=\"nw-verdict\" class=\"nw-verdict nw-" + word + "\" data-verdict=\"" + word + "\">\n";
  const char* says = word == "good"       ? "the stems can be trusted"
                     : word == "doubtful" ? "listen before you use the stems"
                                          : "the stems are not a separation of this recording's parts";
  h += "<div class=\"nw-verdict-head\"><span class=\"nw-verdict-word\">" + word + "</span> <span>" + says + "</span></div>\n<ul>";
  for (const auto& r : v["reasons"])
    h += "<li class=\"nw-" + r.value("level", std::string("ok")) + "\">" + html_escape(r.value("text", std::string())) + "</li>";
  h += "</ul>\n";
  const auto& stems = v["stems"];
  bool sdr = false, fit = false;
  for (const auto& s : stems) {
    sdr = sdr || s.contains("SDR");
    fit = fit || s.contains("fit_db");
  }
  h += "<table class=\"nw-stems\"><tr><th>stem</th><th>level</th><th>share</th>";
  if (fit) h += "<th title=\"how well the model explains the cells this stem dominates\">model fit</th>"
                "<th title=\"share of the stem's energy where the score has none of its notes\">leakage</th>";
  if (sdr) h += "<th>SDR</th><th>mix alone</th><th>ideal mask</th>";
  h += "</tr>\n";
  const auto cell = [](const nlohmann::json& s, const char* key, const char* f, double scale = 1) {
    return "<td>" + (s.contains(key) && s[key].is_number() ? fmt(f, scale * s[key].get<double>()) : std::string("&ndash;")) + "</td>";
  };
  for (std::size_t k = 0; k < stems.size(); ++k) {
    const auto& s = stems[k];
    const std::string name = html_escape(s.value("name", std::string()));
    h += "<tr><td>" + name + (k < stem_files.size() ? " <a class=\"nw-stem\" href=\"" + html_escape(stem_files[k]) + "\">" +
                                   html_escape(s.value("file", std::string())) + "</a>" : std::string()) + "</td>";
    h += cell(s, "level_dbfs", "%.1f dBFS") + cell(s, "share_db", "%.1f dB");
    if (fit) h += cell(s, "fit_db", "%.1f dB") + cell(s, "leakage", "%.1f %%", 100);
    if (sdr) h += cell(s, "SDR", "%.2f dB") + cell(s, "SDR_mix", "%.2f dB") + cell(s, "SDR_ideal_mask", "%.2f dB");
    h += "</tr>\n";
  }
  h += "</table>\n";
  if (!next.empty()) {
    h += "<div class=\"nw-next\"><b>Next:</b><ul>";
    for (const auto& [what, cmd] : next) h += "<li>" + html_escape(what) + ": <code>" + html_escape(cmd) + "</code></li>";
    h += "</ul></div>\n";
  }
  h += "</section>\n";
  return h;
}

}  // namespace notewise::report
