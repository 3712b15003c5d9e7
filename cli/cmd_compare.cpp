// notewise compare: NMF against the nonnegative autoencoders on the same recording, from the same
// constrained start, for the same number of iterations/epochs (the lecture's comparison).
#include <filesystem>
#include <sstream>

#include "notewise/core/error.hpp"
#include "notewise/io/atomic_file.hpp"
#include "notewise/io/audio.hpp"
#include "notewise/io/output_run.hpp"
#include "notewise/plot/figure.hpp"
#include "notewise/version.hpp"
#include "commands.hpp"
#include "run_input.hpp"
#include "progress.hpp"
#include "report_run.hpp"

namespace notewise::cli {

void add_compare_command(CLI::App& app, Globals& globals) {
  struct Args {
    std::string audio, out, reference;
    ModelArgs model;
  };
  auto a = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("compare", "Compare NMF with the nonnegative autoencoders (approximation loss)");
  cmd->footer(
      "Runs score-constrained NMF and the autoencoders trained by projected gradients, by multiplicative\n"
      "updates and by free-sign gradients (ReLU only), from the same templates and note windows, for\n"
      "--iterations iterations/epochs, all on the squared error (--loss euclidean, the default here) or on KL\n"
      "(--loss kl). Writes DIR/loss.csv (epoch,nmf,nae_pgd,nae_mu,nae_relu; the loss, row 0 the start),\n"
      "DIR/loss.png and DIR/report.html. With --reference TRUTH/ (true stems <group>.wav), each method's\n"
      "stems go to DIR/<method>/ and are scored (SDR, SIR, SAR, SI-SDR as mir_eval) in DIR/scores.json\n"
      "and the page.\n"
      "Example: notewise compare mix.wav --score score.csv -n 200 --out cmp/");
  cmd->add_option("audio", a->audio, "The recording")->required();
  cmd->add_option("-o,--out", a->out, "Output folder (created if needed)")->required();
  cmd->add_option("--reference", a->reference,
                  "Folder with the true stems (<group>.wav, any audio format): separate with each method and score")
      ->check(CLI::ExistingDirectory);
  a->model.set_default("loss", "euclidean");  // the lecture's comparison; --loss kl for the other
  // compare runs every method (a --method option would be ignored), in memory.
  a->model.add_to(*cmd, kEdit, true, {"method", "spectrogram"});
  cmd->callback([a, &globals] {
    validate_options([&] { a->model.finish(); });
    const char* names[] = {"nmf", "nae_pgd", "nae_mu", "nae_relu"};
    const Method methods[] = {Method::Nmf, Method::NaeProjectedGradient, Method::NaeMultiplicative, Method::NaeFreeGradient};
    constexpr int kMethods = 4;
    std::vector<std::string> files{"loss.csv", "loss.png", "report.html"};
    if (!a->reference.empty()) files.push_back("scores.json");
    const auto run = prepare_outputs(a->out, files, globals);
    const Input in = load_input(a->audio, a->model, globals);
    const auto dir = std::filesystem::path(run->staging());
    std::vector<std::vector<double>> curves;
    nlohmann::json scores = nlohmann::json::object();
    for (int k = 0; k < kMethods; ++k) {
      // The same prepared recording (score, groups, timbre) for every method; only the fit differs.
      PreparedRecording p = in;
      p.model.decompose.method = methods[k];
      p.model.decompose.nmf.path = nmf::Path::Dense;
      ProgressBar bar(names[k], globals.quiet);
      bar.stage(k + 1, kMethods);
      const Separation s = separate_prepared(p, in.audio.samples, in.audio.sample_rate, !a->reference.empty(),
                                             nmf_progress(bar, p.model.decompose.nmf.max_iterations));
      bar.finish();
      const Decomposition& d = s.decomposition;
      std::vector<double> c{d.run.initial_loss};
      c.insert(c.end(), d.run.loss.begin(), d.run.loss.end());
      curves.push_back(c);
      if (!a->reference.empty()) {
        const auto sub = dir / names[k];
        std::filesystem::create_directories(sub);
        for (std::size_t gi = 0; gi < s.groups.files.size(); ++gi)
          io::write_wav((sub / (s.groups.files[gi] + ".wav")).string(), s.stems[gi], in.audio.sample_rate,
                        io::SampleFormat::Float32, globals.force);
        scores[names[k]] = evaluate_stems(a->reference, sub.string(), s.groups.files);
      }
    }
    if (!a->reference.empty()) io::write_text((dir / "scores.json").string(), scores.dump(1) + "\n", globals.force);
    const std::vector<std::string> methods_named(names, names + kMethods);
    report::write_comparison(run->staging(), methods_named, curves, scores, a->reference, a->audio, in.score.size(),
                             a->model.loss == "kl" ? "KL divergence" : "Approximation loss ||V - V^||^2", a->model.to_json(),
                             globals.force);
    run->commit("report.html");
    std::string line = "final loss: nmf " + std::to_string(curves[0].back());
    for (int k = 1; k < kMethods; ++k) {
      char part[96];
      std::snprintf(part, sizeof part, ", %s %.4g (%.2fx)", names[k], curves[k].back(), curves[k].back() / curves[0].back());
      line += part;
    }
    if (!a->reference.empty()) {
      line += "; mean SDR:";
      for (int k = 0; k < kMethods; ++k) {
        char part[64];
        const auto& m = scores[names[k]]["mean_SDR"];
        std::snprintf(part, sizeof part, " %s %.2f dB", names[k], m.is_null() ? NAN : m.get<double>());
        line += part;
      }
    }
    info(globals.quiet, line + "; wrote " + a->out);
  });
}

}  // namespace notewise::cli
