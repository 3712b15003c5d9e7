// notewise spectrogram: the analysis front end on its own (load, resample, STFT) plus the
// resynthesis round trip (ISTFT of every channel at the input's rate).
#include <filesystem>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "notewise/core/stft.hpp"
#include "notewise/separation/separate.hpp"
#include "notewise/io/atomic_file.hpp"
#include "notewise/io/output_run.hpp"
#include "notewise/io/audio.hpp"
#include "notewise/io/npy.hpp"
#include "notewise/version.hpp"
#include "progress.hpp"

namespace notewise::cli {

void add_spectrogram_command(CLI::App& app, Globals& globals) {
  struct Args {
    std::string audio, out, format = "pcm16";
    int rate = 22050;
    StftOptions stft = SeparationOptions{}.stft;  // the same V as separate and decompose analyse
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("spectrogram", "Magnitude spectrogram V.npy of an audio file, and its ISTFT round trip");
  cmd->footer(
      "Compute the magnitude spectrogram V (what NMF decomposes) and resynthesise the audio.\n"
      "Writes DIR/V.npy (bins x frames, float32; load with numpy.load), DIR/resynth.wav\n"
      "(ISTFT of the STFT of every channel, at the input's rate: a check of the round trip)\n"
      "and DIR/report.json (rates, sizes, and the time/frequency of frames and bins).");
  cmd->add_option("audio", args->audio, "Input audio (WAV, FLAC, OGG, MP3, ...)")->required();
  cmd->add_option("-o,--out", args->out, "Output folder (created if needed)")->required();
  cmd->add_option("--sr", args->rate, "Analysis sample rate in Hz (the audio is resampled to it)")
      ->capture_default_str()->check(CLI::Range(1000, 384000));
  cmd->add_option("--n-fft", args->stft.n_fft, "FFT size in samples (at the analysis rate)")->capture_default_str()->check(CLI::Range(16, 65536));
  cmd->add_option("--hop", args->stft.hop, "Hop size in samples (at the analysis rate)")->capture_default_str()->check(CLI::Range(1, 32768));
  cmd->add_option("--format", args->format, "Sample format of written WAV files")
      ->capture_default_str()->check(CLI::IsMember({"pcm16", "pcm24", "float32"}));
  cmd->callback([args, &globals] {
    validate_options([&] { args->stft.validate(); });
    const auto run = prepare_outputs(args->out, {"V.npy", "resynth.wav", "report.json"}, globals);
    const auto dir = std::filesystem::path(run->staging());

    const io::Audio audio = io::read_audio(args->audio);
    info(globals.quiet, "read " + args->audio + ": " + std::to_string(audio.channels()) + " channel(s), " +
                            std::to_string(audio.sample_rate) + " Hz, " + format_seconds(audio.seconds()));
    const MatrixXf V = stft(io::mono_at(audio, args->rate), args->stft).cwiseAbs();

    // Resynthesis at the input's own rate, with frames covering the same times as the analysis.
    const StftOptions native = native_stft(args->stft, args->rate, audio.sample_rate);
    MatrixXf resynth(audio.frames(), audio.channels());
    ProgressBar bar("round trip", globals.quiet);
    for (int c = 0; c < audio.channels(); ++c) {
      resynth.col(c) = istft(stft(audio.samples.col(c), native), native, audio.frames());
      bar.update(static_cast<double>(c + 1) / audio.channels());
    }
    bar.finish();
    const double max_error = (resynth - audio.samples).cwiseAbs().maxCoeff();

    io::write_npy((dir / "V.npy").string(), V, globals.force);
    io::write_wav((dir / "resynth.wav").string(), resynth, audio.sample_rate, io::parse_sample_format(args->format),
                  globals.force);
    nlohmann::json j = {
        {"version", kVersion},
        {"input", args->audio},
        {"input_sample_rate", audio.sample_rate},
        {"input_channels", audio.channels()},
        {"input_frames", audio.frames()},
        {"analysis_sample_rate", args->rate},
        {"n_fft", args->stft.n_fft},
        {"hop", args->stft.hop},
        {"bins", V.rows()},
        {"frames", V.cols()},
        {"bin_hz", static_cast<double>(args->rate) / args->stft.n_fft},
        {"frame_seconds", static_cast<double>(args->stft.hop) / args->rate},
        {"round_trip_max_abs_error", max_error},
    };
    io::write_text((dir / "report.json").string(), j.dump(2) + "\n", globals.force);
    run->commit("report.json");
    info(globals.quiet, "wrote " + (std::filesystem::path(args->out) / "V.npy").string() + " (" + std::to_string(V.rows()) + " bins x " +
                            std::to_string(V.cols()) + " frames), resynth.wav, report.json; round-trip error " +
                            std::to_string(max_error));
  });
}

}  // namespace notewise::cli
