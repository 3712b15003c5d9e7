// notewise plot: one figure of a run folder, alone, as PNG or SVG (for papers and slides).
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "notewise/core/error.hpp"
#include "notewise/io/npy.hpp"
#include "notewise/io/atomic_file.hpp"
#include "run_input.hpp"
#include "report_run.hpp"

namespace notewise::cli {

namespace {

// The run's report.json and its parameters (as the run's options), and the input where the run
// read it, else the copy its report keeps (a moved or copied folder). ParseError naming
// report.json for what it lacks or holds out of range.
ModelArgs read_run(const std::string& run, nlohmann::json& report, std::string& audio) {
  const std::string report_path = (std::filesystem::path(run) / "report.json").string();
  std::ifstream f(report_path);
  if (!f) throw IoError(report_path, "cannot open (is this a folder written by 'notewise separate'?)");
  try {
    report = nlohmann::json::parse(f);
  } catch (const std::exception& e) {
    throw ParseError(report_path, 0, std::string("not valid JSON: ") + e.what());
  }
  ModelArgs m;
  // Whole-number parameters are read with get<int>; a float beyond int's range there would
  // convert with undefined behaviour. No parameter is legitimately that large.
  if (report.contains("parameters") && report["parameters"].is_object())
    for (const auto& [key, v] : report["parameters"].items())
      if (v.is_number_float() && !(std::abs(v.get<double>()) < 1e9))
        throw ParseError(report_path, 0, "parameters: " + key + " = " + v.dump() + " is out of range");
  try {
    m = ModelArgs::from_json(report.at("parameters"));
    audio = report.at("input").at("audio").get<std::string>();
  } catch (const nlohmann::json::exception& e) {
    throw ParseError(report_path, 0, std::string("lacks the run's parameters: ") + e.what());
  }
  try {  // the settings' one range check (report.json may have been edited)
    m.prepare();  // its values come from report.json: a bad one is that file's fault, not a usage error
  } catch (const CLI::ValidationError& e) {
    throw ParseError(report_path, 0, std::string("parameters: ") + e.what());
  }
  // The input where the run read it, else the copy its report keeps (a moved or copied folder).
  if (!std::filesystem::exists(audio) && std::filesystem::is_directory(std::filesystem::path(run) / "report")) {
    for (const auto& e : std::filesystem::directory_iterator(std::filesystem::path(run) / "report", std::filesystem::directory_options::skip_permission_denied))
      if (e.path().stem() == "mix") audio = e.path().string();
  }
  return m;
}

struct Saved {
  std::filesystem::path W, H;
  bool found = false;
};

Saved saved_model(const std::string& run) {
  Saved s{std::filesystem::path(run) / "W.npy", std::filesystem::path(run) / "H.npy"};
  s.found = std::filesystem::exists(s.W) && std::filesystem::exists(s.H);
  return s;
}

// The saved W and H (and the loss report.json records) in place of the rebuilt run's, with the
// masks made from them as model_groups makes them.
void use_saved_model(Separation& s, const Input& in, const Saved& saved, const nlohmann::json& report, const std::string& run) {
  const std::string report_path = (std::filesystem::path(run) / "report.json").string();
  const auto& W_path = saved.W;
  MatrixXf W = io::read_npy(W_path.string()), H = io::read_npy(saved.H.string());
  Decomposition& d = s.decomposition;
  if (W.rows() != d.W.rows() || W.cols() != d.W.cols() || H.rows() != d.H.rows() || H.cols() != d.H.cols())
    throw ParseError(W_path.string(), 0, "W.npy/H.npy do not have the shapes this run's parameters give (" +
                                             std::to_string(d.W.rows()) + "x" + std::to_string(d.W.cols()) + ", " +
                                             std::to_string(d.H.rows()) + "x" + std::to_string(d.H.cols()) + ")");
  d.W = std::move(W);
  d.H = std::move(H);
  s.masks = group_masks(d, s.groups, mask_alpha(in.model));  // as model_groups computes them
  try {
    const auto& nmf = report.contains("nmf") ? report["nmf"] : nlohmann::json::object();
    d.run.initial_loss = nmf.value("initial_loss", 0.0);
    d.run.loss = nmf.value("loss", std::vector<double>{});
  } catch (const nlohmann::json::exception& e) {
    throw ParseError(report_path, 0, std::string("nmf: ") + e.what());
  }
}

}  // namespace

void add_plot_command(CLI::App& app, Globals& globals) {
  struct Args {
    std::string run, figure, out;
    bool list = false;
    double max_hz = 0;
  };
  auto a = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("plot", "Draw one figure of a 'separate' run folder to PNG or SVG");
  cmd->footer(
      "Figures: spectrogram, stem:<group>, templates, activations, mask:<group>, loss (--list shows\n"
      "them for a run). Drawn from the saved run: its W.npy and H.npy (no NMF), the parameters in\n"
      "DIR/report.json, and the input where the run read it or, in a moved folder, the report's\n"
      "copy of it (DIR/report/mix.*).\n"
      "Examples:\n"
      "  notewise plot stems/ --figure activations --out activations.svg\n"
      "  notewise plot stems/ --figure mask:left --out mask_left.png --max-hz 2000");
  cmd->add_option("run", a->run, "Folder written by 'notewise separate'")->required()->check(CLI::ExistingDirectory);
  cmd->add_option("-f,--figure", a->figure, "Which figure");
  cmd->add_option("-o,--out", a->out, "Output file (.png or .svg); default DIR/plots/<figure>.png");
  cmd->add_option("--max-hz", a->max_hz,
                  "Highest frequency shown in spectrograms, templates and masks\n(log axis from C1; 0: the analysis Nyquist)")
      ->capture_default_str()->check(CLI::Range(0.0, 96000.0));
  cmd->add_flag("--list", a->list, "List the figures this run has");
  cmd->callback([a, &globals] {
    if (!a->list && a->figure.empty()) throw CLI::ValidationError("--figure is required (or --list)");
    nlohmann::json report;
    std::string audio;
    ModelArgs m = read_run(a->run, report, audio);
    // Drawn from the saved run: the saved W and H (no NMF iterations); the score, its windows and
    // the spectrogram are rebuilt (cheap) from the input and the parameters.
    const Saved saved = saved_model(a->run);
    if (saved.found) m.options.decompose.nmf.max_iterations = 0;
    m.drums = "ignore";  // the figures show the pitched rows, which W.npy and H.npy hold
    Globals quiet = globals;
    quiet.quiet = true;
    const Input in = load_input(audio, m, quiet);
    Separation s = separate_prepared(in, in.audio.samples, in.audio.sample_rate, false);  // figures need no audio out
    if (saved.found) use_saved_model(s, in, saved, report, a->run);
    s.views = run_views(s.V, s.masks, s.decomposition.geometry, kViewColumns);  // what the report drew from
    RunView view;
    view.separation = &s;
    view.score = &in.score;
    view.warp = &in.warp;
    view.max_hz = a->max_hz;
    if (a->list) {
      for (const auto& n : figure_names(view)) std::printf("%s\n", n.c_str());
      return;
    }
    const auto names = figure_names(view);
    if (std::find(names.begin(), names.end(), a->figure) == names.end()) {
      std::string known;
      for (const auto& n : names) known += (known.empty() ? "" : ", ") + n;
      throw CLI::ValidationError("--figure " + a->figure + ": unknown (this run has: " + known + ")");
    }
    std::string out = a->out;
    bool made_plots = false;  // a plots/ folder this command created is removed again on failure
    if (out.empty()) {
      const std::string name = figure_file(view, a->figure);
      made_plots = std::filesystem::create_directory(std::filesystem::path(a->run) / "plots");
      out = (std::filesystem::path(a->run) / "plots" / (name + ".png")).string();
    }
    const std::string ext = std::filesystem::path(out).extension().string();
    if (ext != ".png" && ext != ".svg") throw CLI::ValidationError("--out " + out + ": must end in .png or .svg");
    try {
      io::write_atomically(out, globals.force, [&](const std::string& tmp) {
        draw_figure(view, a->figure, tmp);  // the temporary name keeps the extension
      });
    } catch (...) {
      std::error_code ec;
      if (made_plots) std::filesystem::remove(std::filesystem::path(a->run) / "plots", ec);
      throw;
    }
    if (!globals.quiet) std::fprintf(stderr, "wrote %s\n", out.c_str());
  });
}

}  // namespace notewise::cli
