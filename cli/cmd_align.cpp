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
    std::string audio, score, out, warp;
    bool strict = false;
    ModelArgs settings;  // the library's table: align's own settings, label_by, pedal
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
      "mean), then event_onset (s: the note's score event's time, before the per-voice move; the\n"
      "estimate for a reference with one time per event); these three not with --per-voice no; a MIDI or MusicXML score or an excerpt's notes are written as\n"
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
  cmd->add_flag("--strict", a->strict, "Exit with 1 when the alignment is flagged as poor");
  a->settings.add_to(*cmd, kAlign, false);
  cmd->callback([a, &globals] {
    validate_options([&] { a->settings.finish(); });
    const AlignOptions& options = a->settings.resolved.alignment;
    const std::filesystem::path out(a->out);
    const std::string warp = a->warp.empty() ? warp_path_for(a->out) : a->warp;
    io::ensure_output_dir(out.parent_path().empty() ? "." : out.parent_path().string());
    io::check_writable(a->out, globals.force);
    io::check_writable(warp, globals.force);
    const Score score = io::read_score(a->score, a->settings.midi_options());
    const VectorXf mono = io::read_mono(a->audio, kAlignRate);
    if (mono.cwiseAbs().maxCoeff() == 0.0f) throw IoError(a->audio, "the audio is silent: there is nothing to align to");
    if (const std::string why = score_length_problem(score, static_cast<double>(mono.size()) / kAlignRate); !why.empty())
      throw ParseError(a->score, 0, why);
    const Alignment al = align_score(mono, kAlignRate, score, options);
    write_aligned_score(a->out, a->score, al, globals.force);
    write_warp(warp, al, globals.force);
    const std::string line = alignment_summary(al) + "\nwrote " + a->out + " and " + warp;
    if (al.poor) warn(line);
    else info(globals.quiet, line);
    if (al.poor && a->strict) throw Error(a->audio + ": the alignment is poor: " + al.problem);
  });
}

}  // namespace notewise::cli
