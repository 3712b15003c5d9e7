// notewise align: synchronise a score with a recording.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "notewise/align/align.hpp"
#include "notewise/core/error.hpp"
#include "notewise/io/atomic_file.hpp"
#include "run_input.hpp"
#include "progress.hpp"
#include "report_run.hpp"

namespace notewise::cli {
namespace {

constexpr int kAlignRate = 22050;  // Hz: the alignment's analysis rate


}  // namespace

void add_align_command(CLI::App& app, Globals& globals) {
  struct Args {
    std::string audio, score, out, warp, label_by = "auto", excerpt = "auto";
    std::vector<double> weights{1.0, 1.0, 1.0};
    std::string per_voice = "yes";
    bool no_onsets = false, strict = false, pedal = false, no_refine = false;
    AlignOptions options;
  };
  auto a = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("align", "Synchronise a score (MIDI, MusicXML or CSV) with a recording of it");
  cmd->footer(
      "Chroma and onset features of the audio and of the score (from 0.1 s before its first\n"
      "note), multiscale DTW (3 levels) with silence and breaths (frames --breath-db under the\n"
      "second around them) costing the same wherever they fall, and sound resuming after them\n"
      "paired with an onset (--entry-cost); then each onset event placed half way\n"
      "(--refine-weight) from the DTW estimate to where its own pitches' energy rises (within\n"
      "--refine-window s, between frames), the ends of notes before a rest where their pitch's\n"
      "energy falls, and a monotonic warp for everything else. Then each part of a sustained\n"
      "instrument (bowed, blown, sung) is moved on its own, within --voice-window s, towards\n"
      "where its own pitches rise (--per-voice; players do not start together). Drum notes\n"
      "(channel 10) are rhythm: they add onsets, not pitches.\n"
      "A recording much shorter than the score (under 0.6 times) is taken for an excerpt: it is\n"
      "matched to the stretch of the score that fits it best (subsequence DTW, free start and end\n"
      "in the score), printed as the score span it plays; the notes outside it are left out.\n"
      "Writes OUT (the same rows in the same order; a CSV score keeps its columns, only start and\n"
      "duration change, and confidence columns (0..1) are added: confidence (the note's pitch rise\n"
      "at its event's onset), voice_confidence (at its own onset) and part_confidence (its part's\n"
      "mean; not with --per-voice no); a MIDI or MusicXML score or an excerpt's notes are written as\n"
      "start,duration,pitch,velocity,label and those columns; an OUT ending\n"
      "in .mid gets a MIDI file, one track per label) and OUT's name with .warp.csv beside it\n"
      "(score_s,audio_s, over the span the recording plays).\n"
      "Prints the normalised path cost (0.14-0.29 for the right piece, 0.64-0.72 for another,\n"
      "measured) and flags as poor a cost above 0.45, a passage that does not match and a score\n"
      "passage missing from the audio, with their times (exit 1 with --strict).\n"
      "Example: notewise align rec.wav --score downloaded.mid --out aligned.csv");
  cmd->add_option("audio", a->audio, "The recording")->required();
  cmd->add_option("-s,--score", a->score, "The score to synchronise (.mid, .musicxml/.xml/.mxl or .csv)")->required();
  cmd->add_option("-o,--out", a->out, "Aligned score: .csv, or .mid for a Standard MIDI File")->required();
  cmd->add_option("--warp", a->warp, "Where to write the warp (default: OUT's name with .warp.csv)");
  cmd->add_option("--step-weights", a->weights, "DTW weights of the steps (1,1),(1,0),(0,1)")
      ->delimiter(',')->expected(3)->capture_default_str();
  cmd->add_option("--feature-rate", a->options.feature_rate, "Feature frames per second")->capture_default_str()->check(CLI::Range(1.0, 1000.0));
  cmd->add_option("--levels", a->options.dtw.levels, "Multiscale DTW levels")->capture_default_str()->check(CLI::Range(1, 8));
  cmd->add_option("--radius", a->options.dtw.radius, "Band radius around the coarser path, in frames")->capture_default_str()->check(CLI::Range(1, 100000));
  cmd->add_flag("--no-onset-features", a->no_onsets, "Chroma features only");
  cmd->add_option("--low-pitch-doublings", a->options.low_pitch_doublings,
                  "Chroma of low pitches from windows up to 2^N times the STFT size, each the shortest that resolves "
                  "its semitone (0: one window for all)")
      ->capture_default_str()->check(CLI::Range(0, 3));
  cmd->add_option("--silence-db", a->options.silence_db, "Audio frames this far below the loud level are silent (dB)")->capture_default_str();
  cmd->add_option("--silence-cost", a->options.silence_cost, "DTW cost of a silent audio frame against a sounding score frame")->capture_default_str();
  cmd->add_option("--breath-db", a->options.breath_db, "Audio frames this far below the level of the second around them are breaths (dB, 0: off)")
      ->capture_default_str();
  cmd->add_option("--entry-cost", a->options.entry_cost,
                  "DTW cost of sound resuming after a pause away from the score's onsets, per frame (0: off)")
      ->capture_default_str()->check(CLI::Range(0.0, 100.0));
  cmd->add_flag("--no-refine", a->no_refine, "Keep the DTW path's onsets (no note-level refinement)");
  cmd->add_option("--refine-window", a->options.refine_window, "Refinement: seconds either side of the DTW estimate")->capture_default_str();
  cmd->add_option("--refine-prior", a->options.refine_prior, "Refinement: cost per second away from the DTW estimate")->capture_default_str();
  cmd->add_option("--refine-weight", a->options.refine_weight,
                  "Refinement: how far the onset moves from the DTW estimate to the attack (0..1)")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  cmd->add_option("--refine-tempo", a->options.refine_tempo, "Refinement: cost per second of inter-onset change")->capture_default_str();
  cmd->add_option("--per-voice", a->per_voice,
                  "Per-voice refinement: each part's notes moved on their own to their pitches' rise (yes, no)")
      ->capture_default_str()->check(CLI::IsMember({"yes", "no"}));
  cmd->add_option("--voice-window", a->options.voice_window, "Per-voice refinement: seconds either side of the event's time")
      ->capture_default_str();
  cmd->add_option("--voice-prior", a->options.voice_prior, "Per-voice refinement: cost per second away from the event's time")
      ->capture_default_str();
  cmd->add_option("--voice-weight", a->options.voice_weight,
                  "Per-voice refinement: how far the onset moves from the event's time to the part's rise (0..1)")
      ->capture_default_str();
  cmd->add_option("--voice-lead", a->options.voice_lead, "Per-voice refinement: seconds the onset is placed before the rise")
      ->capture_default_str();
  cmd->add_option("--excerpt", a->excerpt,
                  "Subsequence alignment (the recording plays a stretch of the score): auto (when the audio\n"
                  "lasts under 0.6 times the score), yes, no")
      ->capture_default_str()->check(CLI::IsMember({"auto", "yes", "no"}));
  cmd->add_flag("--strict", a->strict, "Exit with 1 when the alignment is flagged as poor");
  cmd->add_option("--label-by", a->label_by, std::string("MIDI/MusicXML labels from: ") + io::kLabelByNames)
      ->capture_default_str()->check(CLI::IsMember({"auto", "track", "channel", "program", "staff"}));
  cmd->add_flag("--pedal", a->pedal, "MIDI: extend notes held by the sustain pedal");
  cmd->callback([a, &globals] {
    validate_options([&] {
      a->options.dtw.weights = {a->weights.at(0), a->weights.at(1), a->weights.at(2)};
      a->options.onset_features = !a->no_onsets;
      a->options.refine = !a->no_refine;
      a->options.per_voice = a->per_voice == "yes";
      a->options.subsequence = a->excerpt == "yes"  ? AlignOptions::Subsequence::On
                               : a->excerpt == "no" ? AlignOptions::Subsequence::Off
                                                    : AlignOptions::Subsequence::Auto;
      a->options.validate();
    });
    const std::filesystem::path out(a->out);
    const std::string warp = a->warp.empty() ? warp_path_for(a->out) : a->warp;
    io::ensure_output_dir(out.parent_path().empty() ? "." : out.parent_path().string());
    io::check_writable(a->out, globals.force);
    io::check_writable(warp, globals.force);
    io::MidiOptions mo;
    mo.label_by = io::parse_label_by(a->label_by);
    mo.sustain_pedal = a->pedal;
    const Score score = io::read_score(a->score, mo);
    const VectorXf mono = io::read_mono(a->audio, kAlignRate);
    if (mono.cwiseAbs().maxCoeff() == 0.0f) throw IoError(a->audio, "the audio is silent: there is nothing to align to");
    if (const std::string why = score_length_problem(score, static_cast<double>(mono.size()) / kAlignRate); !why.empty())
      throw ParseError(a->score, 0, why);
    const Alignment al = align_score(mono, kAlignRate, score, a->options);
    write_aligned_score(a->out, a->score, al, globals.force);
    write_warp(warp, al, globals.force);
    const std::string line = alignment_summary(al) + "\nwrote " + a->out + " and " + warp;
    if (al.poor) warn(line);
    else info(globals.quiet, line);
    if (al.poor && a->strict) throw Error(a->audio + ": the alignment is poor: " + al.problem);
  });
}

}  // namespace notewise::cli
