// notewise live: separate a performance while it is played, following its score (issue #36).
// Thin: the work is LiveSeparator's (live/live.hpp); this reads blocks, writes what comes back.
#include <atomic>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <functional>
#include <memory>
#include <optional>

#include "commands.hpp"
#include "notewise/core/error.hpp"
#include "notewise/io/audio.hpp"
#include "notewise/io/audio_stream.hpp"
#include "notewise/io/jack_live.hpp"
#include "notewise/io/score_io.hpp"
#include "notewise/live/live.hpp"
#include "notewise/report/live_files.hpp"
#include "progress.hpp"

namespace notewise::cli {
namespace {

// --jack runs until SIGINT or SIGTERM (or the server stops): then it finishes as a file ends.
std::atomic<bool> g_stop{false};
extern "C" void on_stop(int) { g_stop.store(true); }

// The follower's position, in bars and beats where the score has them.
std::string status_line(const FollowerState& st) {
  char bar[60] = "";
  if (st.bar > 0 || st.beat > 0) std::snprintf(bar, sizeof bar, " (bar %d, beat %.1f)", st.bar, st.beat);
  char line[240];
  std::snprintf(line, sizeof line, "live: %.2f s in, score %.2f s%s, tempo %.2f, confidence %.2f%s", st.audio_time, st.score_time,
                bar, st.tempo, st.confidence, st.lost ? ", lost" : (st.silent ? ", silent" : ""));
  return line;
}

// The JACK client: ports named as the files would be (a group's stem, each practice mix, or
// "mix" of every group when no mix is asked for); DIR's files written as in file mode if given.
void run_jack(const Score& score, const Grouping& groups, std::vector<report::LiveMix> mixes, const LiveOptions& options,
              const std::string& client, const std::vector<std::string>& connect, const std::string& out,
              const std::string& score_path, const Globals& globals) {
  io::JackSettings js;
  js.client = client;
  js.connect = connect;
  io::JackLive jack(js);
  LiveSeparator live(score, groups, jack.sample_rate(), 1, options);
  std::vector<io::JackOutput> ports;
  const std::vector<std::string> stems = file_stems(groups.names);
  for (std::size_t g = 0; g < stems.size(); ++g) {
    std::vector<bool> one(stems.size(), false);
    one[g] = true;
    ports.push_back({stems[g], one});
  }
  for (const auto& m : mixes) ports.push_back({m.file, m.include});
  if (mixes.empty()) ports.push_back({"mix", std::vector<bool>(stems.size(), true)});
  std::optional<report::LiveFiles> files;
  if (!out.empty()) files.emplace(out, groups, std::move(mixes), 1, static_cast<int>(jack.sample_rate()), globals.force);
  std::signal(SIGINT, on_stop);
  std::signal(SIGTERM, on_stop);
  const double rate = jack.sample_rate();
  info(globals.quiet, "live: JACK client " + jack.name() + " at " + std::to_string(static_cast<int>(rate)) + " Hz, " +
                          std::to_string(jack.period()) + "-frame periods; ports in, " + std::to_string(ports.size()) +
                          " out; until interrupted");
  const io::JackRunSummary s = jack.run(
      live, ports, [] { return g_stop.load(); }, [&](const LiveBlock& b) { if (files) files->write(b, live); },
      [&](const FollowerState& st) { info(globals.quiet, status_line(st)); });
  if (files && s.samples > 0) files->finish(live, "JACK client " + jack.name(), score_path);
  char line[400];
  std::snprintf(line, sizeof line,
                "jack: %.1f s in %llu periods of %d frames; xruns %llu, late periods %llu, dropped samples %llu; latency "
                "%.1f ms (separator %.1f + bridge %.1f)%s",
                static_cast<double>(s.samples) / rate, static_cast<unsigned long long>(s.counts.periods), s.period,
                static_cast<unsigned long long>(s.xruns), static_cast<unsigned long long>(s.counts.late),
                static_cast<unsigned long long>(s.counts.dropped), 1000.0 * static_cast<double>(live.latency_samples() + s.added_latency) / rate,
                1000.0 * live.latency_seconds(), 1000.0 * static_cast<double>(s.added_latency) / rate,
                s.server_gone ? "; the server stopped" : "");
  // The counts are the run's result: shown even with -q.
  std::fprintf(stderr, "%s\n", line);
}

}  // namespace

void add_live_command(CLI::App& app, Globals& globals) {
  struct Args {
    std::string audio, score, out, raw = "float32", label_by = "auto";
    std::vector<std::string> groups, minus, only;
    double latency_ms = 100;
    int overlap = 4;
    int rate = 0, channels = 0;
    bool realtime = false, jack = false;
    std::string jack_client = "notewise";
    std::vector<std::string> jack_connect;
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
      "effect); --realtime paces the reading at the recording's speed and prints the position\n"
      "once a second (score time; bar and beat where the score has bars: MusicXML, MIDI with a\n"
      "time signature).\n"
      "--jack: a JACK client instead of AUDIO (mono port 'in'; one output port per group, named as\n"
      "its file, and one per --minus/--only mix, or 'mix' of every group), at the server's rate,\n"
      "until SIGINT/SIGTERM; --out DIR optional. The process callback only copies samples through\n"
      "lock-free rings to the separator's thread, which adds hop + 2 periods of latency. At the\n"
      "end it prints the periods, the server's xruns and the late periods (no stems in time).\n"
      "Example: notewise live quartet.flac --score score.csv --out live/ --minus violin\n"
      "         notewise live --jack --score score.mid --jack-connect system:capture_1");
  cmd->add_option("audio", a->audio, "The recording, or - for standard input (not with --jack)");
  cmd->add_option("-s,--score", a->score, "The score (.mid, .musicxml/.xml/.mxl or .csv)")->required();
  cmd->add_option("-o,--out", a->out, "Output folder (optional with --jack)");
  cmd->add_flag("--jack", a->jack, "Run as a JACK client (the server's rate and period)");
  cmd->add_option("--jack-client", a->jack_client, "The JACK client's name")->capture_default_str();
  cmd->add_option("--jack-connect", a->jack_connect, "Connect this JACK port to the input (repeatable)");
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
    if (a->jack && !a->audio.empty()) throw CLI::ValidationError("--jack takes no AUDIO (the input is the port 'in')");
    if (!a->jack && a->audio.empty()) throw CLI::ValidationError("AUDIO is required (or --jack)");
    if (!a->jack && a->out.empty()) throw CLI::ValidationError("--out is required (optional with --jack only)");
    if (a->jack && (a->rate > 0 || a->realtime)) throw CLI::ValidationError("--jack takes its rate and pace from the server");
    if (a->jack && !io::jack_available()) throw IoError("--jack", "this build of notewise has no JACK support (rebuild with libjack-jackd2-dev)");
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

    if (a->jack) return run_jack(score, groups, std::move(mixes), options, a->jack_client, a->jack_connect, a->out, a->score, globals);

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
    // At the recording's pace the position once a second, as --jack shows it.
    const auto status = [&](const FollowerState& st) { info(globals.quiet, status_line(st)); };
    const report::LiveRunSummary s = files.run(*input, live, a->audio, a->score, a->realtime,
                                               a->realtime ? std::function<void(const FollowerState&)>(status) : nullptr);
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
