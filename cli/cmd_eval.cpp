// notewise eval: SDR / SIR / SAR (BSS Eval v3, as mir_eval) and SI-SDR of estimated stems.
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "report_run.hpp"  // evaluate_stems: the library's (report/stem_scores.hpp)

namespace notewise::cli {

void add_eval_command(CLI::App& app, Globals& globals) {
  struct Args {
    std::string reference, estimate;
    std::vector<std::string> stems;
    bool json = false;
    int filter = 512;
  };
  auto a = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("eval", "Score estimated stems against reference stems (SDR, SIR, SAR, SI-SDR)");
  cmd->footer(
      "BSS Eval v3 exactly as mir_eval.separation.bss_eval_sources (512-tap distortion filter, whole\n"
      "signal, no permutation: each estimate is compared with the reference of the same name), and\n"
      "SI-SDR. Stems are the audio files (WAV, FLAC, OGG, MP3, AIFF, ...) of the reference folder\n"
      "(mix.* excepted), or --stems, matched by name whatever the extension;\n"
      "multichannel files are averaged to mono; estimates are zero-padded or cut to the reference, and\n"
      "resampled to its rate where they have another (Opus and MP3 stems).\n"
      "Example: notewise eval --reference piece/ --estimate stems/ --json > scores.json");
  cmd->add_option("-r,--reference", a->reference, "Folder with the true stems")
      ->required()
      ->check(CLI::ExistingDirectory);
  cmd->add_option("-e,--estimate", a->estimate, "Folder with the estimated stems (same file names)")
      ->required()
      ->check(CLI::ExistingDirectory);
  cmd->add_option("--stems", a->stems, "Stem names to score (default: every audio file of --reference but mix.*)")
      ->delimiter(',');
  cmd->add_flag("--json", a->json, "Print JSON instead of a table");
  cmd->add_option("--filter-length", a->filter, "Distortion filter taps")
      ->capture_default_str()
      ->check(CLI::Range(1, 8192));
  cmd->callback([a, &globals] {
    const nlohmann::json j = evaluate_stems(a->reference, a->estimate, a->stems, a->filter);
    if (a->json) {
      std::printf("%s\n", j.dump(1).c_str());
    } else {
      const auto v = [](const nlohmann::json& x) { return x.is_null() ? -INFINITY : x.get<double>(); };
      std::printf("%-16s %8s %8s %8s %8s\n", "stem", "SDR", "SIR", "SAR", "SI-SDR");
      for (const auto& [stem, m] : j["stems"].items())
        std::printf("%-16s %8.2f %8.2f %8.2f %8.2f\n", stem.c_str(), v(m["SDR"]), v(m["SIR"]), v(m["SAR"]),
                    v(m["SI_SDR"]));
      std::printf("mean SDR %.2f dB, mean SI-SDR %.2f dB\n", v(j["mean_SDR"]), v(j["mean_SI_SDR"]));
    }
    (void)globals;
  });
}

}  // namespace notewise::cli
