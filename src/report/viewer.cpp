#include "notewise/report/viewer.hpp"

#include <algorithm>
#include <cmath>
#include <exception>
#include <filesystem>
#include <sstream>

#include <zlib.h>

#include "notewise/core/error.hpp"
#include "notewise/io/atomic_file.hpp"
#include "notewise/io/audio.hpp"
#include "notewise/plot/figure.hpp"
#include "report_assets.hpp"  // generated from src/report/viewer.{js,css}

namespace fs = std::filesystem;

namespace notewise::report {
namespace {

constexpr Index kOverview = 1024, kFine = kViewColumns, kTile = 1024;  // columns of the views' images


std::string hex_colour(const std::array<double, 3>& rgb) {
  char b[8];
  std::snprintf(b, sizeof b, "#%02x%02x%02x", static_cast<int>(rgb[0] * 255), static_cast<int>(rgb[1] * 255), static_cast<int>(rgb[2] * 255));
  return b;
}

std::string base64(const std::string& bytes) {
  static const char* t = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const unsigned v = (static_cast<unsigned char>(bytes[i]) << 16) | (static_cast<unsigned char>(bytes[i + 1]) << 8) |
                       static_cast<unsigned char>(bytes[i + 2]);
    out += {t[v >> 18], t[(v >> 12) & 63], t[(v >> 6) & 63], t[v & 63]};
  }
  if (i < bytes.size()) {
    unsigned v = static_cast<unsigned char>(bytes[i]) << 16;
    if (i + 1 < bytes.size()) v |= static_cast<unsigned char>(bytes[i + 1]) << 8;
    out += {t[v >> 18], t[(v >> 12) & 63], i + 1 < bytes.size() ? t[(v >> 6) & 63] : '=', '='};
  }
  return out;
}


// Per note of the page (notes[i] = score note index), its share of the mix for the page's
// per-note solo: in bands of 1/6 octave from C1 (bin k in band round(6 log2(k bin_hz / C1))),
// at one column per `step` analysis frames over the frames its activations may use, the note's
// model W_n h_n over the model W H (sums over the band's bins and the column's frames), as bytes
// 0..255. Band sums make it cheap (bands x rows of W, never bins x frames per note) and small;
// the page turns it into a mask on the mix's STFT. The step doubles (4 .. 32 frames) until the
// compressed bytes fit `max_bytes`; beyond that there is no per-note solo (null).
nlohmann::json note_envelopes(const Decomposition& d, const std::vector<std::size_t>& notes, std::size_t max_bytes) {
  const Geometry& g = d.geometry;
  if (d.notes.empty() || notes.empty() || d.W.cols() != d.H.rows()) return nullptr;
  constexpr int kPerOctave = 6;
  const double fmin = LogAxis{}.fmin;
  const Index K = d.W.rows(), N = d.H.cols();
  const int bands = static_cast<int>(std::floor(std::log2(std::min(g.sample_rate / 2, fmin * 256.0) / fmin) * kPerOctave)) + 1;
  MatrixXf B = MatrixXf::Zero(bands, K);
  for (Index k = 0; k < K; ++k) {
    const double f = std::max(static_cast<double>(k) * g.bin_hz(), fmin);
    const int b = std::clamp(static_cast<int>(std::lround(std::log2(f / fmin) * kPerOctave)), 0, bands - 1);
    B(b, k) = 1;
  }
  // A band narrower than a bin (low frequencies) takes the bin nearest its centre, so that any
  // FFT size the page uses finds a value in every band.
  for (int b = 0; b < bands; ++b)
    if (B.row(b).sum() == 0) B(b, std::clamp<Index>(std::lround(fmin * std::pow(2.0, static_cast<double>(b) / kPerOctave) / g.bin_hz()), 0, K - 1)) = 1;
  const MatrixXf Wb = B * d.W;      // bands x rows
  const MatrixXf M = Wb * d.H;      // the model's band sums, bands x frames
  struct Span { Index begin, end; };
  std::vector<Span> spans;
  for (std::size_t i : notes) {
    if (i >= d.notes.size()) {  // a band's drum note: no share in the pitched decomposition
      spans.push_back({0, 0});
      continue;
    }
    const NoteShare& n = d.notes[i];
    Index b = N, e = 0;
    for (const RowShare* r : {&n.pitch, &n.onset})
      if (r->row >= 0 && !r->share.empty()) {
        b = std::min(b, r->begin);
        e = std::max(e, r->begin + static_cast<Index>(r->share.size()));
      }
    spans.push_back({std::clamp<Index>(b, 0, N), std::clamp<Index>(e, 0, N)});
  }
  for (int step = 4; step <= 32; step *= 2) {
    std::string bytes;
    nlohmann::json index = nlohmann::json::array();
    for (std::size_t j = 0; j < notes.size(); ++j) {
      const auto [b, e] = spans[j];
      if (e <= b) {
        index.push_back(nullptr);
        continue;
      }
      const NoteShare& n = d.notes[notes[j]];
      const Index cols = (e - b + step - 1) / step;
      MatrixXf y = MatrixXf::Zero(bands, e - b);
      for (const RowShare* r : {&n.pitch, &n.onset})
        for (std::size_t t = 0; r->row >= 0 && t < r->share.size(); ++t) {
          const Index f = r->begin + static_cast<Index>(t);
          if (f >= b && f < e) y.col(f - b) += Wb.col(r->row) * (d.H(r->row, f) * r->share[t]);
        }
      index.push_back({b, cols, bytes.size()});
      for (Index c = 0; c < cols; ++c) {
        const Index f0 = c * step, w = std::min<Index>(step, (e - b) - f0);
        const VectorXf num = y.middleCols(f0, w).rowwise().sum(), den = M.middleCols(b + f0, w).rowwise().sum();
        for (int k = 0; k < bands; ++k) {
          const float m = den(k) > 1e-12f ? std::clamp(num(k) / den(k), 0.0f, 1.0f) : 0.0f;
          bytes += static_cast<char>(static_cast<unsigned char>(std::lround(m * 255)));
        }
      }
    }
    uLongf packed_size = compressBound(bytes.size());
    std::string packed(packed_size, '\0');
    if (compress2(reinterpret_cast<Bytef*>(packed.data()), &packed_size, reinterpret_cast<const Bytef*>(bytes.data()), bytes.size(), 9) != Z_OK)
      return nullptr;
    packed.resize(packed_size);
    if (packed.size() > max_bytes) continue;
    return {{"fmin", fmin}, {"bands_per_octave", kPerOctave}, {"bands", bands}, {"frame_seconds", g.frame_seconds()},
            {"step", step}, {"raw_bytes", bytes.size()}, {"notes", index}, {"data", base64(packed)}};
  }
  return nullptr;
}

}  // namespace

std::string html_escape(const std::string& s) {
  std::string o;
  for (char c : s) {
    if (c == '<') o += "&lt;";
    else if (c == '>') o += "&gt;";
    else if (c == '&') o += "&amp;";
    else if (c == '"') o += "&quot;";
    else o += c;
  }
  return o;
}

std::string score_cells(const nlohmann::json& v) {
  std::string cells;
  for (const char* k : {"SDR", "SIR", "SAR", "SI_SDR"}) {
    char b[32];
    std::snprintf(b, sizeof b, "<td>%.2f</td>", v.contains(k) && v[k].is_number() ? v[k].get<double>() : NAN);
    cells += b;
  }
  return cells;
}

bool keeps_listening_copies(double seconds, int channels, std::size_t groups, const ViewerOptions& options) {
  return channels <= 2 && seconds * static_cast<double>(groups + 1) <= options.preview_max_seconds;
}

ViewerPage write_viewer(const std::string& dir, const RunView& run, const nlohmann::json& report, const std::string& audio,
                         bool overwrite) {
  const ViewerOptions& options = run.viewer;
  const fs::path root = fs::path(dir) / "report";
  fs::create_directories(root);
  const Separation& s = *run.separation;
  const Decomposition& d = s.decomposition;
  const RunViews& rv = s.views;
  if (rv.empty()) throw InvalidArgument("report: the run has no views (SeparationOptions::view_columns)");
  const double seconds = rv.seconds();
  // Two levels per view, JPEG (a fifth of a PNG's bytes for these noisy images): an overview of
  // at most kOverview columns for the whole recording, drawn at load, and where the run has more
  // frames a fine level, one column per analysis frame up to kFine columns (pooled beyond: max
  // for magnitudes, mean for masks), in tiles of kTile columns that the page loads only when a
  // zoomed view shows more columns than the overview holds. Bytes per view: at most
  // (kOverview + kFine) x rows pixels, about 0.3 byte each.
  const LogAxis axis = rv.axis;
  const float ref = rv.ref;
  auto levels = [&](const std::string& name, const MatrixXf& v, double lo, double hi, plot::Colormap map, plot::Pooling how) {
    auto write = [&](const std::string& file, const MatrixXf& m) {
      io::write_atomically((root / file).string(), overwrite,
                           [&](const std::string& tmp) { plot::write_image(m, lo, hi, map, tmp, plot::ImageFormat::Jpeg); });
      return "report/" + file;
    };
    nlohmann::json view = {{"image", write(name + ".jpg", plot::pool(v, v.rows(), std::min(v.cols(), kOverview), how))}, {"fine", nullptr}};
    if (v.cols() > kOverview) {
      const MatrixXf fine = plot::pool(v, v.rows(), std::min(v.cols(), kFine), how);
      nlohmann::json files = nlohmann::json::array();
      for (Index c = 0; c < fine.cols(); c += kTile)
        files.push_back(write(name + "_t" + std::to_string(c / kTile) + ".jpg", fine.middleCols(c, std::min(kTile, fine.cols() - c))));
      view["fine"] = {{"cols", fine.cols()}, {"tile", kTile}, {"files", files}};
    }
    return view;
  };
  auto image = [&](const std::string& name, const MatrixXf& v, bool mask) {  // a view (log frequency)
    if (mask) return levels(name, v, 0.0, 1.0, plot::Colormap::Viridis, plot::Pooling::Mean);
    return levels(name, plot::decibels(v, ref), -80.0, 0.0, plot::Colormap::Magma, plot::Pooling::Max);
  };
  auto safe = [](std::string n) {  // a file name from a group name
    for (char& c : n)
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') c = '_';
    return n;
  };

  nlohmann::json views = nlohmann::json::array();
  auto view = [](nlohmann::json v, const nlohmann::json& images) {
    v.update(images);
    return v;
  };
  views.push_back(view({{"id", "mix"}, {"title", "Mix"}, {"kind", "spec"}, {"roll", true}}, image("spec_mix", rv.mix, false)));
  const bool has_masks = rv.masks.size() == s.groups.names.size();
  if (has_masks)
    for (std::size_t k = 0; k < s.groups.names.size(); ++k)
      views.push_back(view({{"id", "stem:" + s.groups.names[k]}, {"title", "Stem '" + s.groups.names[k] + "' (mask x mix)"},
                            {"kind", "spec"}, {"group", k}},
                           image("spec_" + std::to_string(k) + "_" + safe(s.groups.names[k]), rv.stems[k], false)));
  // Activations on a pitch axis: each pitch row of H scaled by its template's magnitude (what it
  // adds to the model), the strongest source per pitch.
  const auto& layout = d.constraints.layout;
  const Index P = static_cast<Index>(layout.pitches.size());
  int pmin = 127, pmax = 0;
  for (const Note& n : run.score->notes()) {
    pmin = std::min(pmin, n.pitch);
    pmax = std::max(pmax, n.pitch);
  }
  if (P > 0 && pmin <= pmax) {
    pmin = std::max(0, pmin - 1);
    pmax = std::min(127, pmax + 1);
    const VectorXf weight = d.W.leftCols(P).colwise().sum().transpose();
    const MatrixXf contribution = weight.asDiagonal() * d.H.topRows(P);
    MatrixXf act = MatrixXf::Zero(pmax - pmin + 1, contribution.cols());
    for (Index r = 0; r < P; ++r) {
      const int p = layout.pitches[static_cast<std::size_t>(r)];
      if (p >= pmin && p <= pmax) act.row(p - pmin) = act.row(p - pmin).cwiseMax(contribution.row(r));
    }
    views.push_back(view({{"id", "activations"}, {"title", "Activations H by pitch, with the score"}, {"kind", "pitch"}, {"roll", true}},
                         levels("activations", plot::decibels(act, act.maxCoeff()), -50.0, 0.0, plot::Colormap::Magma, plot::Pooling::Max)));
  }
  if (has_masks)
    for (std::size_t k = 0; k < s.groups.names.size(); ++k)
      views.push_back(view({{"id", "mask:" + s.groups.names[k]}, {"title", "Mask '" + s.groups.names[k] + "'"}, {"kind", "mask"}, {"group", k}},
                           image("mask_" + std::to_string(k) + "_" + safe(s.groups.names[k]), rv.masks[k], true)));

  // Notes as [onset, duration, pitch, group] (score seconds = audio seconds after alignment).
  std::vector<int> group_of(run.score->size(), -1);
  for (std::size_t k = 0; k < s.groups.notes.size(); ++k)
    for (std::size_t i : s.groups.notes[k]) group_of[i] = static_cast<int>(k);
  nlohmann::json notes = nlohmann::json::array();
  std::vector<std::size_t> note_order;  // score index of each of the page's notes
  for (std::size_t i = 0; i < run.score->size(); ++i) {
    if (group_of[i] < 0) continue;
    note_order.push_back(i);
    const Note& n = run.score->notes()[i];
    notes.push_back({std::round(n.onset * 1000) / 1000, std::round(n.duration * 1000) / 1000, n.pitch, group_of[i]});
  }
  const bool stems = run.stems_written;
  nlohmann::json groups = nlohmann::json::array();
  for (std::size_t k = 0; k < s.groups.names.size(); ++k)
    groups.push_back({{"name", s.groups.names[k]},
                      {"color", hex_colour(plot::group_colour(k))},
                      {"notes", s.groups.notes[k].size()},
                      {"file", stems ? nlohmann::json(s.groups.files[k] + "." + run.stem_ext) : nlohmann::json(nullptr)}});

  // The input recording, copied beside the page (a copied report keeps its mix).
  nlohmann::json mix = nullptr;
  std::string mix_note;
  if (run.mix_samples != nullptr) {
    io::write_wav((root / "mix.wav").string(), *run.mix_samples, run.mix_rate, io::SampleFormat::Float32, overwrite);
    mix = "report/mix.wav";
  } else if (options.copy_mix) {
    const std::string name = "mix" + fs::path(audio).extension().string();
    io::write_atomically((root / name).string(), overwrite, [&](const std::string& tmp) {
      fs::copy_file(audio, tmp, fs::copy_options::overwrite_existing);
    });
    mix = "report/" + name;
  } else {
    std::error_code ec;
    mix = fs::relative(fs::absolute(audio), fs::absolute(dir), ec).string();
    mix_note = "the mix is played from its original place (not copied)";
  }

  // Listening copies for the live remix: MP3 of each stem and of their sum (= the mix), as a
  // script (a page opened from file:// can decode these, but may not fetch the WAV files).
  const int rate = report.contains("input") ? report["input"].value("sample_rate", 0) : 0;
  const double length = stems ? run.seconds : 0.0;
  // The stems' samples are at hand only where the run kept them for these copies (short runs).
  bool preview = stems && rate > 0 && !s.stems.empty() && s.stems[0].cols() <= 2 &&
                 length * static_cast<double>(s.stems.size() + 1) <= options.preview_max_seconds;
  std::string why_no_preview;
  if (!stems) why_no_preview = "this run wrote no stems";
  else if (!preview) why_no_preview = "the recording is too long (or has more than two channels) for listening copies in the page";
  if (preview) {
    try {
      std::ostringstream js;
      MatrixXf sum = s.stems[0];
      for (std::size_t k = 1; k < s.stems.size(); ++k) sum += s.stems[k];
      // The copies are encoded at once (each its own encoder, the same bytes as one after
      // another): MP3 encoding is most of the report's time for a few minutes of audio.
      const std::size_t copies = s.stems.size() + 1;
      std::vector<std::string> mp3(copies);
      std::vector<std::exception_ptr> failed(copies);
#pragma omp parallel for schedule(dynamic, 1)
      for (std::size_t k = 0; k < copies; ++k) {
        try {
          mp3[k] = base64(io::encode_mp3(k == 0 ? sum : s.stems[k - 1], rate));
        } catch (...) {
          failed[k] = std::current_exception();
        }
      }
      for (const auto& e : failed)
        if (e) std::rethrow_exception(e);
      js << "window.NW_AUDIO={\"mix\":\"" << mp3[0] << "\",\"groups\":[";
      for (std::size_t k = 1; k < copies; ++k) js << (k > 1 ? "," : "") << "\"" << mp3[k] << "\"";
      js << "]};\n";
      io::write_text((root / "audio.js").string(), js.str(), overwrite);
    } catch (const InvalidArgument& e) {
      preview = false;
      why_no_preview = e.what();
    }
  }
  if (!preview) io::write_text((root / "audio.js").string(), "window.NW_AUDIO=null;\n", overwrite);

  // Per-note solo needs the mix's listening copy (the page masks it) and the run's note shares.
  nlohmann::json envelopes = preview ? note_envelopes(d, note_order, options.note_max_bytes) : nlohmann::json(nullptr);
  std::string why_no_note_solo;
  if (!preview) why_no_note_solo = "no listening copies";
  else if (envelopes.is_null()) why_no_note_solo = d.notes.empty() ? "this run has no note shares" : "too many notes for the page";
  io::write_text((root / "notes.js").string(), "window.NW_NOTES=" + envelopes.dump() + ";\n", overwrite);

  const nlohmann::json data = {{"title", stems ? "separation" : "decomposition"},
                               {"command", run.command},
                               {"duration", stems ? length : seconds},
                               {"image_seconds", seconds},
                               {"freq", {{"fmin", axis.fmin}, {"bins_per_octave", axis.per_octave}, {"rows", axis.rows}}},
                               {"pitch", {{"min", pmin}, {"max", pmax}}},
                               {"groups", groups},
                               {"notes", notes},
                               {"views", views},
                               {"mix", mix},
                               {"mix_note", mix_note},
                               {"preview", preview},
                               {"no_preview_reason", why_no_preview},
                               {"no_note_solo_reason", why_no_note_solo}};
  io::write_text((root / "data.js").string(), "window.NW_DATA=" + data.dump() + ";\n", overwrite);
  io::write_text((root / "viewer.js").string(), kViewerJs, overwrite);
  io::write_text((root / "viewer.css").string(), kViewerCss, overwrite);

  std::ostringstream h;
  h << "<section id=\"nw-viewer\"><noscript>The interactive views need JavaScript; the figures below do not.</noscript></section>\n";
  if (!run.command.empty()) h << "<p class=\"nw-command\">Reproduce this run: <code>" << html_escape(run.command) << "</code></p>\n";
  h << "<script src=\"report/data.js\"></script><script src=\"report/audio.js\"></script><script src=\"report/notes.js\"></script><script src=\"report/viewer.js\"></script>\n";
  return {h.str(), mix.get<std::string>()};
}

}  // namespace notewise::report
