// notewise mosaic: a target's sound rebuilt from the frames of a source recording
// (Driedger, Praetzlich & Mueller, "Let It Bee", ISMIR 2015). The work is mosaic::mosaic.
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>

#include "notewise/core/error.hpp"
#include "notewise/io/atomic_file.hpp"
#include "notewise/io/audio.hpp"
#include "notewise/io/npy.hpp"
#include "notewise/io/output_run.hpp"
#include "notewise/mosaic/mosaic.hpp"
#include "notewise/plot/figure.hpp"
#include "notewise/version.hpp"
#include "run_input.hpp"
#include "report_run.hpp"
#include "progress.hpp"

namespace notewise::cli {
namespace {

}  // namespace

void add_mosaic_command(CLI::App& app, Globals& globals) {
  struct Args {
    std::string target, source, out, figures, format = "pcm16";
    int rate = 22050;
    mosaic::Options o;
  };
  auto a = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("mosaic", "Rebuild a target's sound from the frames of a source (audio mosaicing)");
  cmd->footer(
      "Audio mosaicing as Driedger, Praetzlich & Mueller, \"Let It Bee\" (ISMIR 2015): every frame of\n"
      "the source's magnitude spectrogram is a fixed NMF template; KL updates find which source\n"
      "frames rebuild each target frame, and in every --restrict-every-th of the --iterations the\n"
      "paper's restrictions act before the update, harder towards the end (factor 1 - l/L):\n"
      "  repetition  (--repetition r = 3): a source frame is not reused within r target frames\n"
      "  polyphony   (--polyphony p = 10): at most p source frames at once\n"
      "  continuity  (--continuity 7): a diagonal kernel of that length (2c+1, c = 3) favours\n"
      "              source frames played in their order\n"
      "Defaults: the paper's p = 10, r = 3, c = 3; 30 iterations with the restrictions in every 5th\n"
      "iteration (--restrict-every 1: before every update, the paper's Algorithm 1). The mosaic is\n"
      "the source's complex STFT times H, refined by --griffin-lim 50 iterations of Griffin-Lim\n"
      "(fast variant, momentum 0.99) towards the magnitude W H. Both inputs are mixed to mono and\n"
      "resampled to --rate; the mosaic is written at that rate, as long as the target.\n"
      "--figures DIR: activations.png (the activation matrix, as the paper's figures), target.png,\n"
      "mosaic.png, loss.png, H.npy (source frames x target frames), loss.csv, report.json.\n"
      "Example: notewise mosaic let_it_be.wav --source bees.wav --out mosaic.wav --figures fig/");
  cmd->add_option("target", a->target, "The recording whose sound is rebuilt (WAV, FLAC, ...)")->required();
  cmd->add_option("--source", a->source, "The recording whose frames rebuild it")->required();
  cmd->add_option("-o,--out", a->out, "Output audio file; its extension names the format (.wav, .flac, .ogg, .opus, .mp3, .aiff)")->required();
  cmd->add_option("--figures", a->figures, "Folder for the figures, H.npy and loss.csv");
  cmd->add_option("-n,--iterations", a->o.iterations, "NMF iterations L")->capture_default_str()->check(CLI::Range(1, 10000));
  cmd->add_option("--restrict-every", a->o.restrict_every, "Restrictions before every k-th iteration's update")
      ->capture_default_str()->check(CLI::Range(1, 10000));
  cmd->add_option("--polyphony", a->o.polyphony, "p: source frames kept per target frame")
      ->capture_default_str()->check(CLI::Range(1, 100000));
  cmd->add_option("--repetition", a->o.repetition, "r: frames on each side within which a source frame is not reused (0: off)")
      ->capture_default_str()->check(CLI::Range(0, 10000));
  cmd->add_option("--continuity", a->o.continuity, "Length of the diagonal kernel, odd (1: off)")
      ->capture_default_str()->check(CLI::Range(1, 10001));
  cmd->add_option("--griffin-lim", a->o.griffin_lim.iterations, "Griffin-Lim iterations (0: the source's phases as they are)")
      ->capture_default_str()->check(CLI::Range(0, 10000));
  cmd->add_option("--n-fft", a->o.stft.n_fft, "FFT size (samples at --rate)")->capture_default_str()->check(CLI::Range(16, 65536));
  cmd->add_option("--hop", a->o.stft.hop, "Hop (samples at --rate)")->capture_default_str()->check(CLI::Range(1, 32768));
  cmd->add_option("--rate", a->rate, "Sample rate of the analysis and the output (Hz)")
      ->capture_default_str()->check(CLI::Range(io::kMinSampleRate, io::kMaxSampleRate));
  cmd->add_option("--seed", a->o.seed, "Seed of H's random start")->capture_default_str();
  cmd->add_option("--format", a->format, "Sample format: pcm16 | pcm24 | float32")
      ->capture_default_str()->check(CLI::IsMember({"pcm16", "pcm24", "float32"}));
  cmd->callback([a, &globals] {
    io::Encoding encoding;
    validate_options([&] {
      a->o.validate();
      encoding.format = io::file_format_of(a->out);
      encoding.sample = io::parse_sample_format(a->format);
      if (io::is_lossy(encoding.format) && a->format != "pcm16")
        throw InvalidArgument("--format " + a->format + ": " + io::extension_of(encoding.format) + " is lossy and has no sample format");
      encoding.validate();
    });
    const auto out_dir = std::filesystem::path(a->out).parent_path();
    io::ensure_output_dir(out_dir.empty() ? "." : out_dir.string());
    io::check_writable(a->out, globals.force);
    std::unique_ptr<io::OutputRun> figures;
    if (!a->figures.empty())
      figures = prepare_outputs(a->figures, {"activations.png", "target.png", "mosaic.png", "loss.png", "H.npy", "loss.csv", "report.json"},
                                globals);
    const VectorXf t = io::read_mono(a->target, a->rate), s = io::read_mono(a->source, a->rate);
    const Index M = a->o.stft.frames(s.size()), N = a->o.stft.frames(t.size());
    // H is M x N floats, and W H, the products and Griffin-Lim's STFTs are K x N: refuse what
    // cannot fit rather than fail deep inside.
    if (static_cast<double>(M) * static_cast<double>(N) > 4e8)
      throw InvalidArgument("mosaic: " + std::to_string(M) + " source frames x " + std::to_string(N) +
                            " target frames is too large (at most 4e8 activations; use shorter excerpts or a larger --hop)");
    info(globals.quiet, "mosaic: " + std::to_string(M) + " source frames, " + std::to_string(N) + " target frames");
    ProgressBar bar("mosaic", globals.quiet);
    const auto t0 = std::chrono::steady_clock::now();
    const mosaic::Result r = mosaic::mosaic(t, s, a->o, nmf_progress(bar, a->o.iterations));
    bar.finish();
    if (figures) {
      const std::string dir = figures->staging();
      report::draw_mosaic_figures(r, a->o, a->rate, dir);
      io::write_npy((std::filesystem::path(dir) / "H.npy").string(), r.H, globals.force);
      io::write_text((std::filesystem::path(dir) / "loss.csv").string(), loss_csv(r.initial_loss, r.loss), globals.force);
      nlohmann::json j = {{"notewise", kVersion},
                          {"target", a->target},
                          {"source", a->source},
                          {"rate", a->rate},
                          {"n_fft", a->o.stft.n_fft},
                          {"hop", a->o.stft.hop},
                          {"iterations", a->o.iterations},
                          {"restrict_every", a->o.restrict_every},
                          {"restricted_at", r.restricted_at},
                          {"polyphony", a->o.polyphony},
                          {"repetition", a->o.repetition},
                          {"continuity", a->o.continuity},
                          {"griffin_lim_iterations", a->o.griffin_lim.iterations},
                          {"seed", a->o.seed},
                          {"source_frames", M},
                          {"target_frames", N},
                          {"seconds", seconds_since(t0)}};
      io::write_text((std::filesystem::path(dir) / "report.json").string(), j.dump(2) + "\n", globals.force);
    }
    const float peak = r.audio.cwiseAbs().maxCoeff();
    if (peak > 1.0f && (a->format != "float32" || io::is_lossy(encoding.format)))
      warn(a->out + ": the mosaic peaks at " + std::to_string(20 * std::log10(peak)) + " dBFS and is clipped; use --format float32 (WAV, AIFF)");
    io::write_audio(a->out, r.audio, a->rate, encoding, globals.force);
    if (figures) figures->commit("report.json");
    info(globals.quiet, "wrote " + a->out + (figures ? " and " + a->figures + "/" : ""));
  });
}

}  // namespace notewise::cli
