// notewise nae train: a nonnegative autoencoder trained over the whole piano, for amortised
// decomposition of new recordings (separate/decompose --model).
#include <filesystem>

#include "notewise/core/error.hpp"
#include "notewise/io/atomic_file.hpp"
#include "notewise/io/model_io.hpp"
#include "notewise/io/output_run.hpp"
#include "notewise/version.hpp"
#include "run_input.hpp"
#include "progress.hpp"

namespace notewise::cli {

void add_nae_command(CLI::App& app, Globals& globals) {
  struct Args {
    std::vector<std::string> audio, scores;
    std::string out;
    int transpositions = 3;
    DeepOptions deep;
    ModelArgs model;
  };
  auto a = std::make_shared<Args>();
  CLI::App* nae = app.add_subcommand("nae", "Nonnegative autoencoders: train a piano model for new recordings");
  nae->require_subcommand(1);
  CLI::App* cmd = nae->add_subcommand("train", "Train an autoencoder on recordings with their scores");
  cmd->footer(
      "Trains one nonnegative autoencoder (Smaragdis & Venkataramani 2017) on all given recordings at once:\n"
      "decoder = templates of all 88 piano pitches (and their onset templates), structured dropout from each\n"
      "score's note windows (Ewert & Sandler 2017). Writes DIR/model.json (format version, geometry, options,\n"
      "what it was trained on), DIR/encoder.npy (rows x bins) and DIR/decoder.npy (bins x rows), rows = pitches\n"
      "21..108, then their onset rows. Use it with 'notewise separate NEW.wav --score NEW.csv --model DIR':\n"
      "the encoder gives the activations in one pass and 10 NMF iterations refine them.\n"
      "Examples:\n"
      "  notewise nae train --audio a/mix.wav --score a/score.csv --out piano-model/\n"
      "  notewise nae train --audio a.wav --score a.mid --audio b.wav --score b.mid -n 300 --out piano-model/");
  cmd->add_option("-a,--audio", a->audio, "A training recording (repeatable; one --score each, in the same order)")->required();
  cmd->add_option("-s,--score", a->scores, "The score of each --audio: .csv or .mid, synchronised with it")->required();
  cmd->add_option("-o,--out", a->out, "Output folder for the model (created if needed)")->required();
  cmd->add_option("--transpose", a->transpositions,
                  "Also train on every recording transposed by -T..+T semitones (spectrogram and score), so that\n"
                  "pitches the recordings lack learn from their neighbours (0: no transposition)")
      ->capture_default_str()->check(CLI::Range(0, 12));
  cmd->add_option("--deep-layers", a->deep.layers,
                  "Experimental: add this many signed hidden ReLU layers beside the encoder and train on by Adam\n"
                  "(docs/RESULTS.md has how they compare)")
      ->capture_default_str()->check(CLI::Range(0, 4))->group("Experimental");
  cmd->add_option("--deep-width", a->deep.width, "Units per hidden layer")->capture_default_str()->check(CLI::Range(1, 4096))->group("Experimental");
  cmd->add_option("--deep-epochs", a->deep.epochs, "Adam epochs of the deeper encoder")->capture_default_str()->check(CLI::Range(0, 100000))->group("Experimental");
  cmd->add_option("--deep-rate", a->deep.rate, "Adam's rate, relative to each layer's starting RMS")->capture_default_str()->check(CLI::PositiveNumber)->group("Experimental");
  a->model.set_default("method", "nae-mu");
  a->model.set_default("iterations", "100");  // measured enough with transpositions (docs/RESULTS.md)
  a->model.add_to(*cmd, kDecompose, false, {"model", "spectrogram"});
  cmd->callback([a, &globals] {
    validate_options([&] {
      a->model.finish();
      if (a->model.options.decompose.method == Method::Nmf)
        throw InvalidArgument("--method: nae train trains an autoencoder (nae-mu, nae-pgd or nae-relu)");
      if (a->audio.size() != a->scores.size())
        throw InvalidArgument(std::to_string(a->audio.size()) + " --audio but " + std::to_string(a->scores.size()) +
                              " --score: give one score per recording");
    });
    const auto t0 = std::chrono::steady_clock::now();
    const auto run = prepare_outputs(a->out, io::piano_model_files(a->deep.layers), globals);
    const auto& so = a->model.options;
    std::vector<TrainingPiece> pieces;
    nlohmann::json trained_on = nlohmann::json::array();
    for (std::size_t i = 0; i < a->audio.size(); ++i) {
      ModelArgs piece = a->model;
      piece.score = a->scores[i];
      Input in = load_input(a->audio[i], piece, globals);
      require_piano_range(in.score, a->scores[i], "a piano model");
      pieces.push_back({stft(in.analysis, so.stft).cwiseAbs(), std::move(in.score)});
      trained_on.push_back({{"audio", a->audio[i]}, {"score", a->scores[i]}, {"seconds", in.audio.seconds()},
                            {"notes", pieces.back().score.size()}});
    }
    const nae::Options o = nae_options(so.decompose);
    const int total = o.epochs + (a->deep.layers > 0 ? a->deep.epochs : 0);
    ProgressBar bar("train", globals.quiet);
    const PianoModel m = train_piano_model(pieces, Geometry::of(so.stft, a->model.rate, 0), so.decompose.constraints, o,
                                           a->transpositions, [&](int epoch, double loss) {
                                             char l[48];
                                             std::snprintf(l, sizeof l, "loss %.4g", loss);
                                             bar.update(epoch, std::max(1, total), "epoch", l);
                                             return true;
                                           },
                                           a->deep);
    bar.finish();
    const nlohmann::json extra = {{"notewise", kVersion}, {"pieces", trained_on}, {"parameters", a->model.to_json()},
                                  {"transpositions", a->transpositions},
                                  {"deep", {{"layers", a->deep.layers}, {"width", a->deep.width}, {"epochs", a->deep.epochs}, {"rate", a->deep.rate}}},
                                  {"seconds", seconds_since(t0)}};
    io::write_piano_model(run->staging(), m, extra, globals.force);
    run->commit("model.json");
    info(globals.quiet, "wrote " + a->out + ": model.json, encoder.npy, decoder.npy (" + std::to_string(m.layout.rows()) +
                            " rows, " + std::to_string(m.epochs) + " epochs, " + format_seconds(seconds_since(t0)) + ")");
  });
}

}  // namespace notewise::cli
