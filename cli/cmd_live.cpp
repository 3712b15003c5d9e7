// notewise live: separate a performance while it is played, following its score (issue #36).
// Thin: the work is LiveSeparator's (live/live.hpp); this reads blocks, writes what comes back.
#include <cmath>
#include <cstdio>
#include <memory>

#include "commands.hpp"
#include "notewise/core/error.hpp"
#include "notewise/io/audio.hpp"
#include "notewise/io/audio_stream.hpp"
#include "notewise/io/score_io.hpp"
#include "notewise/live/live.hpp"
#include "notewise/report/live_files.hpp"
#include "progress.hpp"

namespace notewise::cli {

void add_live_command(CLI::App& app, Globals& globals) {
  struct Args {
    std::string audio, score, out, raw = "float32", label_by = "auto";
    std::vector<std::string> groups, minus, only;
    double latency_ms = 100;
    int overlap = 4;
    int rate = 0, channels = 0;
    bool realtime = false;
  };
  auto a = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("live", "Separate a performance while it is played, following its score");
  cmd->footer(
      "Reads AUDIO (a file, or - for standard input: WAV, or raw samples with --rate and\n"
      "--channels) block by block, follows the performance through the score (online, causal)\n"
      "and writes one stem per group (as separate: one per label, or --group) into DIR as it is\n"
      "made, delayed by a fixed latency (at most --latency ms: 3 hops of a 4-hop window).\n"
      "Streaming contract: while the run goes on, every stem grows in DIR/NAME.wav.part (a WAV\n"
      "whose header is rewritten after every block, so a player can follow it); at the end the\n"
      "latency is taken off, each is renamed to DIR/NAME.wav and DIR/aligned.csv is written (the\n"
      "columns and row order of align's output; each note's onset where the follower placed it\n"
      "when it was played, its confidence then). On an error or an interrupt the .part files\n"
      "are removed. --minus LABEL / --only LABEL also write practice mixes (minus-LABEL.wav:\n"
      "every group but LABEL's; only-LABEL.wav). The run is single-threaded (--threads has no\n"
      "effect); --realtime paces the reading at the recording's speed.\n"
      "Example: notewise live quartet.flac --score score.csv --out live/ --minus violin");
  cmd->add_option("audio", a->audio, "The recording, or - for standard input")->required();
  cmd->add_option("-s,--score", a->score, "The score (.mid, .musicxml/.xml/.mxl or .csv)")->required();
  cmd->add_option("-o,--out", a->out, "Output folder")->required();
  cmd->add_option("--latency", a->latency_ms, "Latency bound in ms")->capture_default_str()->check(CLI::Range(1.0, 10000.0));
  cmd->add_option("--overlap", a->overlap, "Window length / hop (2..8): the latency is (overlap - 1) hops")
      ->capture_default_str()->check(CLI::Range(2, 8));
  cmd->add_option("-g,--group", a->groups, "A group NAME=SELECTION (repeatable; default: one per label)");
  cmd->add_option("--minus", a->minus, "Also write a mix of every group but this one (repeatable)");
  cmd->add_option("--only", a->only, "Also write a mix of this group alone (repeatable)");
  cmd->add_flag("--realtime", a->realtime, "Read at the recording's pace instead of as fast as possible");
  cmd->add_option("--rate", a->rate, "Standard input: raw samples at this rate (Hz)")->check(CLI::Range(1, 10000000));
  cmd->add_option("--channels", a->channels, "Standard input: raw samples of this many channels")->check(CLI::Range(1, 100000));
  cmd->add_option("--raw-format", a->raw, "Raw samples: float32 or int16 (little-endian, interleaved)")
      ->capture_default_str()->check(CLI::IsMember({"float32", "int16"}));
  cmd->add_option("--label-by", a->label_by, std::string("MIDI/MusicXML labels from: ") + io::kLabelByNames)
      ->capture_default_str()->check(CLI::IsMember({"auto", "track", "channel", "program", "staff"}));
  cmd->callback([a, &globals] {
    if ((a->rate > 0) != (a->channels > 0)) throw CLI::ValidationError("--rate and --channels go together (raw samples)");
    if (a->rate > 0 && a->audio != "-") throw CLI::ValidationError("--rate and --channels are for raw samples on standard input (-)");
    LiveOptions options = LiveOptions::tuned();
    options.latency_seconds = a->latency_ms / 1000;
    options.overlap = a->overlap;
    std::vector<GroupSpec> specs;
    validate_options([&] {
      options.validate();
      for (const auto& g : a->groups) specs.push_back(parse_group_spec(g));
    });
    io::MidiOptions mo;
    mo.label_by = io::parse_label_by(a->label_by);
    const Score score = io::read_score(a->score, mo);
    if (specs.empty()) specs = label_group_specs(score);
    const Grouping groups = group_notes(score, specs);
    std::vector<report::LiveMix> mixes;
    validate_options([&] { mixes = report::live_mixes(groups, a->minus, a->only); });

    // The input.
    io::StreamFormat f;
    if (a->rate > 0) {
      f.kind = a->raw == "int16" ? io::StreamFormat::Kind::RawInt16 : io::StreamFormat::Kind::RawFloat32;
      f.sample_rate = a->rate;
      f.channels = a->channels;
    }
    std::unique_ptr<io::AudioBlocks> input;
    if (a->rate > 0) validate_options([&] { input = std::make_unique<io::AudioBlocks>(a->audio, stdin, f); });
    else input = std::make_unique<io::AudioBlocks>(a->audio, stdin, f);
    const int rate = input->sample_rate(), channels = input->channels();
    LiveSeparator live(score, groups, rate, channels, options);

    // The outputs: checked before the work, written as they grow.
    report::LiveFiles files(a->out, groups, std::move(mixes), channels, rate, globals.force);
    info(globals.quiet, "live: " + std::to_string(groups.names.size()) + " groups, latency " +
                            std::to_string(static_cast<int>(std::lround(live.latency_seconds() * 1000))) + " ms (" +
                            std::to_string(live.latency_samples()) + " samples at " + std::to_string(rate) + " Hz)");
    const report::LiveRunSummary s = files.run(*input, live, a->audio, a->score, a->realtime);
    const double seconds = static_cast<double>(s.input_samples) / rate;
    char line[300];
    std::snprintf(line, sizeof line,
                  "followed %zu of %zu notes (mean confidence %.2f%s); %.1f s of audio in %.2f s of CPU time (real-time "
                  "factor %.4f); wrote %zu files and aligned.csv in %s",
                  s.notes_passed, s.notes, s.mean_confidence, s.lost ? ", lost at the end" : "", seconds, s.cpu_seconds,
                  seconds > 0 ? s.cpu_seconds / seconds : 0.0, s.files, a->out.c_str());
    info(globals.quiet, line);
  });
}

}  // namespace notewise::cli
