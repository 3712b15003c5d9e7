#include "notewise/pipeline/pipeline.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "notewise/core/error.hpp"
#include "notewise/core/parse.hpp"
#include "notewise/core/resample.hpp"

namespace notewise {

void PipelineOptions::validate() const {
  model.validate();
  alignment.validate();
  require(analysis_rate >= 1000 && analysis_rate <= 768000, "analysis_rate", analysis_rate, "in 1000 .. 768000 Hz");
  for (const auto& g : groups) {
    try {
      if (g.selection != "others") parse_selection(g.selection);
    } catch (const InvalidArgument& e) {
      throw InvalidArgument("group " + g.name + ": " + e.what());
    }
  }
  if (!mute.empty()) {
    try {
      parse_selection(mute);
    } catch (const InvalidArgument& e) {
      throw InvalidArgument(std::string("mute: ") + e.what());
    }
  }
  drum_model.validate();
}

namespace {
std::string mismatch_text(ScoreMismatch::Kind kind, const std::string& score, const std::string& audio, const std::string& problem,
                          const std::string& alignment_problem) {
  switch (kind) {
    case ScoreMismatch::Kind::NotAlignable:
      return score + " does not fit " + audio + " and cannot be aligned to it: " + problem;
    case ScoreMismatch::Kind::NoMatch:
      return score + " does not fit " + audio + " as given (" + problem + "), nor aligned (" + alignment_problem +
             "): is it the score of this recording?";
    case ScoreMismatch::Kind::NotSynchronised:
    default:
      return score + " does not fit " + audio + " (" + problem + "): the stems would follow the wrong frames";
  }
}
}  // namespace

ScoreMismatch::ScoreMismatch(Kind kind, std::string score_name, std::string audio_name, std::string problem, std::string alignment_problem)
    : InvalidArgument(mismatch_text(kind, score_name, audio_name, problem, alignment_problem)),
      kind_(kind),
      score_name_(std::move(score_name)),
      audio_name_(std::move(audio_name)),
      problem_(std::move(problem)),
      alignment_problem_(std::move(alignment_problem)) {}

PipelineOptions PipelineOptions::libfmp() {
  PipelineOptions o;
  o.model.decompose.constraints = ConstraintOptions{};
  o.model.decompose.template_iterations = 0;
  o.timbre = Timbre::Shared;
  o.overrides = SourceOverrides::all();
  return o;
}

namespace {

void info(PreparedRecording& p, std::string text) { p.messages.push_back({PipelineMessage::Level::Info, std::move(text)}); }
void warn(PreparedRecording& p, std::string text) { p.messages.push_back({PipelineMessage::Level::Warning, std::move(text)}); }

// The drum notes out of `score` into p.drums (modelled) or away (ignored); p.score: the rest.
void split_drums(PreparedRecording& p, Score score, const PipelineOptions& o) {
  Score drums = score.select(is_drum);
  if (drums.empty()) {
    p.score = std::move(score);
    p.decisions.drums = {"none", "the score has no drum notes"};
    return;
  }
  p.score = score.select([](const Note& n) { return !is_drum(n); });
  if (o.drums == PipelineOptions::Drums::Ignore) {
    if (p.score.empty()) throw ParseError(o.score_name, 0, "holds drum notes only, and drum notes are left out here (drums: ignore): "
                                                   "'notewise drums' separates a drum recording by its classes");
    warn(p, o.score_name + ": " + std::to_string(drums.size()) +
                " drum note(s) (General MIDI percussion) left out of the model: their sound goes to the pitched groups");
    p.decisions.drums = {"ignored", std::to_string(drums.size()) + " drum note(s) left out, as asked: their sound goes to the pitched groups"};
    return;
  }
  if (p.score.empty())
    throw ParseError(o.score_name, 0, "holds drum notes only (" + std::to_string(drums.size()) +
                                          "): 'notewise drums' separates a drum recording by its classes");
  p.decisions.drums = {o.drums == PipelineOptions::Drums::Kit ? "kit" : "classes",
                       std::to_string(drums.size()) + " drum note(s) modelled by NMFD templates per General MIDI class" +
                           (o.drums == PipelineOptions::Drums::Kit ? ", summed into one stem" : "")};
  p.drums = std::move(drums);
  p.drum_stems = o.drums;
  p.drum_model = o.drum_model;
  p.drum_model.stft = o.model.stft;  // one spectrogram for both kinds of template
}

// An alignment taken: the score in audio time (an excerpt's notes only, said in a message), the
// drum notes through its warp (an excerpt's within its span). `what` begins the message.
void take_alignment(PreparedRecording& p, std::shared_ptr<Alignment> al, const std::string& what);

// The notes' onsets and offsets through an alignment's warp (drum notes beside the aligned ones).
Score warp_score(const Score& s, const std::vector<std::pair<double, double>>& warp) {
  std::vector<Note> out = s.notes();
  for (Note& n : out) {
    const double on = warp_time(warp, n.onset), off = warp_time(warp, n.offset());
    n.onset = on;
    n.duration = std::max(0.0, off - on);
  }
  return Score(std::move(out));
}

void take_alignment(PreparedRecording& p, std::shared_ptr<Alignment> al, const std::string& what) {
  const std::size_t before = p.score.size() + p.drums.size();
  p.score = al->aligned;
  if (al->excerpt) {
    const double a = al->score_start, b = al->score_end;
    p.drums = p.drums.select([a, b](const Note& n) { return n.onset >= a - 0.05 && n.onset < b; });
  }
  p.drums = warp_score(p.drums, al->warp);
  char line[200];
  std::snprintf(line, sizeof line, "%snormalised path cost %.3f", what.c_str(), al->cost);
  std::string text = line;
  if (al->excerpt) {
    std::snprintf(line, sizeof line, "; the recording plays the score's %.2f-%.2f s (an excerpt): %zu note(s) outside it left out",
                  al->score_start, al->score_end, before - p.score.size() - p.drums.size());
    text += line;
  }
  if (al->poor) warn(p, text + " (POOR: " + al->problem + "; is this the right score for this recording?)");
  else info(p, text);
  p.alignment = std::move(al);
}

// The timbre sources of the score into p.model (none with a trained model: it is one piano).
void plan_sources(PreparedRecording& p, const PipelineOptions& o) {
  auto& sources = p.model.decompose.constraints.sources;
  sources.clear();
  if (p.model.decompose.pretrained) {
    p.decisions.timbre = {"shared", "a trained piano model: one template per pitch"};
    return;
  }
  TimbrePlan plan = plan_timbre(p.score, o.timbre, o.instruments);
  for (auto& s : plan.sources) {
    if (o.overrides.band) s.tolerance_cents = 0;
    if (o.overrides.partials) s.partials = 0;
    if (o.overrides.onsets) s.onset_templates = true;
    if (o.overrides.after) s.after = -1;
  }
  sources = plan.sources;
  std::string line = "timbre " + timbre_name(plan.chosen) + ": " + plan.reason + "; ";
  for (std::size_t i = 0; i < plan.instruments.size(); ++i)
    line += (i ? ", " : "") + plan.instruments[i].label + " = " + family_name(plan.instruments[i].family) + " (" +
            plan.instruments[i].source + ")";
  for (const auto& w : plan.warnings) warn(p, w);
  info(p, line);
  p.decisions.timbre = {timbre_name(plan.chosen), plan.reason};
  p.timbre = std::move(plan);
}

}  // namespace

PreparedRecording prepare_recording(const Eigen::Ref<const MatrixXf>& samples, int sample_rate, Score score,
                                    const PipelineOptions& o) {
  o.validate();
  require(sample_rate >= 1000 && sample_rate <= 768000, "sample_rate", sample_rate, "in 1000 .. 768000 Hz");
  if (samples.rows() == 0 || samples.cols() == 0)
    throw InvalidArgument(o.audio_name + ": no samples (expected frames x channels, at least one of each)");
  if (!samples.allFinite()) throw InvalidArgument(o.audio_name + ": the samples are not all finite");
  if (score.empty()) throw InvalidArgument(o.score_name + ": no notes");
  return prepare_analysis(resample_mono(mix_down(samples), sample_rate, o.analysis_rate), samples.rows(), sample_rate,
                          std::move(score), o);
}

VectorXf analysis_signal(const SampleSource& source, Index frames, int channels, int sample_rate, int analysis_rate) {
  require(sample_rate >= 1000 && sample_rate <= 768000, "sample_rate", sample_rate, "in 1000 .. 768000 Hz");
  return mix_down_resampled(source, frames, channels, sample_rate, analysis_rate);
}


PreparedRecording prepare_analysis(VectorXf analysis, Index frames, int sample_rate, Score score, const PipelineOptions& o) {
  o.validate();
  require(sample_rate >= 1000 && sample_rate <= 768000, "sample_rate", sample_rate, "in 1000 .. 768000 Hz");
  if (analysis.size() == 0 || frames <= 0)
    throw InvalidArgument(o.audio_name + ": no samples (expected frames x channels, at least one of each)");
  if (score.empty()) throw InvalidArgument(o.score_name + ": no notes");
  PreparedRecording p;
  p.model = o.model;
  p.analysis_rate = o.analysis_rate;
  split_drums(p, std::move(score), o);
  const double length = static_cast<double>(frames) / sample_rate;
  p.analysis = std::move(analysis);
  const bool silent = p.analysis.cwiseAbs().maxCoeff() == 0.0f;
  if (o.align) {
    if (silent) throw InvalidArgument(o.audio_name + ": the audio is silent: there is nothing to align to");
    if (const std::string why = score_length_problem(p.score, length); !why.empty()) throw InvalidArgument(o.score_name + ": " + why);
    take_alignment(p, std::make_shared<Alignment>(align_score(p.analysis, o.analysis_rate, p.score, o.alignment)), "aligned the score to the audio: ");
    p.decisions.align = {"aligned", "asked for (align: yes)"};
  } else if (!o.check_fit) {
    p.decisions.align = {"unchecked", "used as given, not checked (check_fit off)"};
  } else if (silent) {
    p.decisions.align = {"as given", "the audio is silent: nothing to check the score against"};
  }
  if (!o.align && o.check_fit && !silent) {
    // A score that is not synchronised gives stems worse than the mix: decided before the work
    // (PipelineOptions::align says how).
    p.fit = score_fit(p.analysis, o.analysis_rate, p.score);
    char line[300];
    std::snprintf(line, sizeof line, "score fit: median onset shift %.3f s when aligned, chroma cost %.3f as given, %.3f aligned",
                  p.fit->median_shift, p.fit->cost_as_given, p.fit->cost_aligned);
    const Alignment& al = p.fit->alignment;
    const bool alignable = !al.warp.empty();  // not: far longer than the recording
    const bool matches = alignable && al.cost <= AlignOptions{}.poor_cost;
    using Kind = ScoreMismatch::Kind;
    char costs[120];
    std::snprintf(costs, sizeof costs, " (chroma cost %.3f as given, %.3f aligned)", p.fit->cost_as_given, p.fit->cost_aligned);
    if (p.fit->fits) {
      info(p, std::string(line) + "; fits as given, not aligned");
      p.decisions.align = {"as given", std::string("the score fits the recording as given") + costs};
    } else if (o.as_given) {
      p.decisions.align = {"as given", "the score does not fit (" + p.fit->problem + "), used as given all the same, as asked (align: no)"};
      warn(p, o.score_name + " does not seem synchronised with " + o.audio_name + " (" + p.fit->problem +
                  "); used as given, the stems follow the score's times");
    } else if (o.align_auto && matches) {
      take_alignment(p, std::make_shared<Alignment>(al),
                     o.score_name + " does not fit " + o.audio_name + " as given (" + p.fit->problem + "); aligned it: ");
      p.decisions.align = {"aligned", "the score does not fit as given (" + p.fit->problem + ") and aligned it matches" + costs};
    } else if (!alignable) {
      throw ScoreMismatch(Kind::NotAlignable, o.score_name, o.audio_name, p.fit->problem);
    } else if (o.align_auto) {
      throw ScoreMismatch(Kind::NoMatch, o.score_name, o.audio_name, p.fit->problem, "POOR: " + al.problem);
    } else {
      throw ScoreMismatch(Kind::NotSynchronised, o.score_name, o.audio_name, p.fit->problem);
    }
  }
  if (p.drums.end() > length + 1e-6) p.drums.cut_at(length);  // counted with the pitched notes' below
  if (p.score.end() > length + 1e-6) {
    std::ostringstream w;
    w.precision(3);
    w << std::fixed << o.score_name << ": the score runs to " << p.score.end() << " s but " << o.audio_name << " lasts "
      << length << " s; ";
    const std::size_t changed = p.score.cut_at(length);
    w << changed << " note(s) cut or dropped";
    warn(p, w.str());
    if (p.score.empty()) throw ParseError(o.score_name, 0, "no note starts within the audio (" + std::to_string(length) + " s)");
  }
  if (silent) warn(p, o.audio_name + ": the audio is silent; the stems will be silent too");
  plan_sources(p, o);
  if (const Index rows = count_pitch_rows(p.score, p.model.decompose.constraints.sources); rows > kMaxPitchRows)
    throw ParseError(o.score_name, 0, "asks for " + std::to_string(rows) + " pitch templates (a pitch of each instrument), at most " +
                                          std::to_string(kMaxPitchRows) + ": fewer instruments with a timbre of their own (timbre: shared)");
  std::vector<GroupSpec> specs;
  if (!o.mute.empty()) {
    const NotePredicate pick = parse_selection(o.mute);
    if (std::none_of(p.score.notes().begin(), p.score.notes().end(), pick))
      throw InvalidArgument("{setting:mute} '" + o.mute + "' matches no note of " + o.score_name);
    specs.push_back({"(muted)", o.mute});
    for (const auto& s : o.groups.empty() ? label_group_specs(p.score) : o.groups) specs.push_back(s);
  } else {
    specs = o.groups;
  }
  if (specs.empty() && p.score.labels().size() > kMaxGroups)  // a property of the score: named with it
    throw ParseError(o.score_name, 0, "has " + std::to_string(p.score.labels().size()) + " labels: at most " +
                                          std::to_string(kMaxGroups) + " groups (stems) in one run; gather them with group selections");
  p.groups = group_notes(p.score, specs);
  if (!p.drums.empty()) {
    p.drum_classes = group_notes(p.drums, gm_drum_classes(p.drums));
    std::string names;
    for (const auto& n : p.drum_classes.names) names += (names.empty() ? "" : ", ") + n;
    info(p, std::to_string(p.drums.size()) + " drum note(s) get drum templates (NMFD) by class: " + names +
                (p.drum_stems == PipelineOptions::Drums::Kit ? "; one stem 'drums'" : ""));
  }
  if (p.groups.automatic_rest >= 0) {
    const auto k = static_cast<std::size_t>(p.groups.automatic_rest);
    info(p, std::to_string(p.groups.notes[k].size()) + " note(s) that no group takes go to the group '" + p.groups.names[k] + "'");
  }
  // The mask exponent, once: given, or by instrument (a sustained source: 1, else 2).
  const double alpha = mask_alpha(p.model);
  std::string why = "given";
  if (o.model.alpha <= 0) {
    why = "by instrument: every source is struck, plucked or unknown";
    for (const auto& s : p.model.decompose.constraints.sources)
      if (!is_struck(s.family) && s.family != Family::Unknown) {
        why = "by instrument: " + s.name + " is " + family_name(s.family) + " (sustained: bowed, blown or sung)";
        break;
      }
    if (p.model.decompose.pretrained) why = "by instrument: a trained piano model";
  }
  char text[32];
  std::snprintf(text, sizeof text, "%g", alpha);
  p.decisions.alpha = {text, why};
  p.model.alpha = alpha;
  return p;
}

Score stem_score(const PreparedRecording& p) {
  if (p.drums.empty()) return p.score;
  std::vector<Note> all = p.score.notes();
  all.insert(all.end(), p.drums.notes().begin(), p.drums.notes().end());
  return Score(std::move(all));
}

std::vector<std::string> stem_names_of_score(const Score& score, const PipelineOptions& o) {
  PreparedRecording names;
  names.score = score.select([](const Note& n) { return !is_drum(n); });
  try {
    names.groups = group_notes(names.score.empty() ? score : names.score, o.groups);
  } catch (const InvalidArgument& e) {
    if (!o.groups.empty()) throw;
    throw ParseError(o.score_name, 0, e.what());  // the score's labels
  }
  if (o.drums != PipelineOptions::Drums::Ignore && !names.score.empty()) {
    names.drums = score.select(is_drum);
    if (!names.drums.empty()) names.drum_classes = group_notes(names.drums, gm_drum_classes(names.drums));
    names.drum_stems = o.drums;
  }
  return stem_groups(names).names;
}

Grouping stem_groups(const PreparedRecording& p) {
  Grouping g = p.groups;
  if (p.drums.empty()) return g;
  const std::size_t first = p.score.size();
  auto offset = [&](std::vector<std::size_t> v) {
    for (auto& i : v) i += first;
    return v;
  };
  if (p.drum_stems == PipelineOptions::Drums::Kit) {
    g.names.push_back("drums");
    std::vector<std::size_t> all(p.drums.size());
    for (std::size_t i = 0; i < all.size(); ++i) all[i] = first + i;
    g.notes.push_back(all);
  } else {
    for (std::size_t k = 0; k < p.drum_classes.names.size(); ++k) {
      g.names.push_back(p.drum_classes.names[k]);
      g.notes.push_back(offset(p.drum_classes.notes[k]));
    }
  }
  g.files = file_stems(g.names);  // a pitched label "kick" and the class kick: "kick", "kick 2"
  return g;
}

namespace {

// A band: separate_band's joint model as a Separation of stem_groups(p).
Separation separate_band_prepared(const PreparedRecording& p, const Eigen::Ref<const MatrixXf>& samples, int sample_rate,
                                  bool resynthesise, const nmf::Callback& on_iteration,
                                  const std::function<void(double)>& on_resynthesis) {
  if (p.model.decompose.pretrained || p.model.decompose.method != Method::Nmf)
    throw InvalidArgument("drum notes are modelled by NMF only: use {setting:method=nmf} without {setting:model}, or {setting:drums=ignore}");
  DrumOptions o = p.drum_model;
  o.alpha = mask_alpha(p.model);
  const auto start = std::chrono::steady_clock::now();
  const MatrixXf none;
  DrumSeparation d = separate_band(p.analysis, p.analysis_rate, resynthesise ? samples : Eigen::Ref<const MatrixXf>(none), sample_rate, p.score,
                                   p.groups, p.model.decompose.constraints, p.drums, p.drum_classes, o, on_iteration);
  if (on_resynthesis) on_resynthesis(1.0);
  Separation s;
  s.groups = stem_groups(p);
  const Index P = d.first_drum_row;
  Decomposition& dec = s.decomposition;
  dec.geometry = Geometry::of(o.stft, p.analysis_rate, d.V.cols());
  dec.constraints = build_constraints(p.score, dec.geometry, p.model.decompose.constraints);
  dec.notes = note_shares(p.score, dec.constraints, dec.geometry);
  dec.W = d.W[0].leftCols(P);
  dec.H = d.H.topRows(P);
  dec.run.iterations = static_cast<int>(d.loss.size());
  dec.run.initial_loss = d.initial_loss;
  dec.run.loss = d.loss;
  dec.run.converged = false;
  dec.fit_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  s.V = std::move(d.V);
  const std::size_t G = p.groups.names.size();
  if (p.drum_stems == PipelineOptions::Drums::Kit) {
    // The classes' masks and stems summed (the stems are linear in the masks).
    for (std::size_t k = G + 1; k < d.masks.size(); ++k) {
      d.masks[G] += d.masks[k];
      if (!d.stems.empty()) d.stems[G] += d.stems[k];
    }
    d.masks.resize(G + 1);
    if (!d.stems.empty()) d.stems.resize(G + 1);
  }
  s.masks = std::move(d.masks);
  s.stems = std::move(d.stems);
  s.drums = std::move(d);
  if (p.model.view_columns > 0) s.views = run_views(s.V, s.masks, dec.geometry, p.model.view_columns);
  return s;
}

// V formed in `store`, then the model of the groups from it; `formed()` runs in between (the
// streaming form frees the analysis signal there).
Separation model_groups_in_store(const PreparedRecording& p, nmf::ColumnStore<float>& store,
                                 const nmf::Callback& on_iteration, const std::function<void()>& formed) {
  if (!spills_spectrogram(p.model, false))
    throw InvalidArgument("separate: V in a store needs NMF with the KL loss, no trained model and no kept views");
  magnitude_spectrogram(p.analysis, p.model.stft, store);
  formed();
  return model_groups_from_store(store, p.analysis_rate, p.score, p.groups, p.model, on_iteration);
}

}  // namespace

Separation separate_prepared(PreparedRecording& p, Index frames, int channels, int sample_rate,
                             const SampleSource& source, const StemSink& sink, const nmf::Callback& on_iteration,
                             const std::function<void(double)>& on_resynthesis, nmf::ColumnStore<float>* spectrogram) {
  if (p.analysis.size() == 0) throw InvalidArgument("separate_prepared: the recording was not prepared (prepare_recording)");
  if (!p.drums.empty()) {
    // A band's joint model (separate_band) synthesises its stems whole: the recording is read
    // whole for it and the stems handed on block by block as the streaming contract says.
    MatrixXf samples(frames, channels);
    source(0, samples);
    Separation s = separate_band_prepared(p, samples, sample_rate, true, on_iteration, on_resynthesis);
    const Index step = 1 << 16;
    for (Index i = 0; i < frames; i += step)
      for (std::size_t k = 0; k < s.stems.size(); ++k) sink(k, s.stems[k].middleRows(i, std::min(step, frames - i)));
    s.stems.clear();
    return s;
  }
  p.model.validate();
  if (p.groups.names.empty()) throw InvalidArgument("separate: no groups");
  // The analysis signal has served (alignment, fit, V): freed before the NMF, it is not held
  // beside the spectrogram through the run (0.32 GB an hour at 22050 Hz).
  Separation s;
  if (spectrogram) {
    s = model_groups_in_store(p, *spectrogram, on_iteration, [&] { p.analysis = VectorXf(); });
  } else {
    MatrixXf V = magnitude_spectrogram(p.analysis, p.model.stft);
    p.analysis = VectorXf();
    s = model_groups_from_spectrogram(std::move(V), p.analysis_rate, p.score, p.groups, p.model, on_iteration);
  }
  resynthesise(s.decomposition, p.groups, mask_alpha(p.model), frames, channels, sample_rate, source, sink, on_resynthesis);
  return s;
}

bool spills_spectrogram(const SeparationOptions& model, bool drums) {
  const nmf::Options& o = model.decompose.nmf;
  const bool kl = o.divergence == nmf::Divergence::KullbackLeibler || (o.divergence == nmf::Divergence::Beta && o.beta == 1);
  return kl && o.path != nmf::Path::Dense && model.decompose.method == Method::Nmf && !model.decompose.pretrained &&
         !model.keep_views && !drums;
}

Separation separate_prepared(const PreparedRecording& p, const Eigen::Ref<const MatrixXf>& samples, int sample_rate,
                             bool resynthesise, const nmf::Callback& on_iteration,
                             const std::function<void(double)>& on_resynthesis, nmf::ColumnStore<float>* spectrogram) {
  if (p.analysis.size() == 0) throw InvalidArgument("separate_prepared: the recording was not prepared (prepare_recording)");
  if (!p.drums.empty()) {
    if (resynthesise && (samples.rows() == 0 || samples.cols() == 0)) throw InvalidArgument("separate_prepared: no samples");
    return separate_band_prepared(p, samples, sample_rate, resynthesise, on_iteration, on_resynthesis);
  }
  if (!resynthesise && spectrogram) return model_groups_in_store(p, *spectrogram, on_iteration, [] {});
  if (!resynthesise) return model_groups(p.analysis, p.analysis_rate, p.score, p.groups, p.model, on_iteration);
  if (samples.rows() == 0 || samples.cols() == 0) throw InvalidArgument("separate_prepared: no samples");
  return separate(p.analysis, p.analysis_rate, samples, sample_rate, p.score, p.groups, p.model, on_iteration, on_resynthesis);
}

RecordingSeparation separate_recording(const Eigen::Ref<const MatrixXf>& samples, int sample_rate, Score score,
                                       const PipelineOptions& options, const nmf::Callback& on_iteration,
                                       const std::function<void(double)>& on_resynthesis) {
  RecordingSeparation r;
  r.input = prepare_recording(samples, sample_rate, std::move(score), options);
  r.separation = separate_prepared(r.input, samples, sample_rate, true, on_iteration, on_resynthesis);
  return r;
}

Alignment align_recording(const Eigen::Ref<const MatrixXf>& samples, int sample_rate, const Score& score,
                          const AlignOptions& options, int analysis_rate) {
  require(sample_rate >= 1000 && sample_rate <= 768000, "sample_rate", sample_rate, "in 1000 .. 768000 Hz");
  require(analysis_rate >= 1000 && analysis_rate <= 768000, "analysis_rate", analysis_rate, "in 1000 .. 768000 Hz");
  if (samples.rows() == 0 || samples.cols() == 0) throw InvalidArgument("align: no samples");
  if (score.empty()) throw InvalidArgument("align: the score has no notes");
  const VectorXf mono = resample(mix_down(samples), sample_rate, analysis_rate).col(0);
  if (mono.cwiseAbs().maxCoeff() == 0.0f) throw InvalidArgument("align: the audio is silent: there is nothing to align to");
  return align_score(mono, analysis_rate, score, options);
}

std::pair<std::string, double> parse_group_gain(const std::string& text) {
  const std::size_t eq = text.rfind('=');
  if (eq == std::string::npos || eq == 0) throw InvalidArgument("expected GROUP=GAIN, e.g. left=-6dB");
  const std::string name = text.substr(0, eq);
  std::string value = text.substr(eq + 1);
  bool db = false;
  for (const char* suffix : {"dB", "db", "DB"})
    if (value.size() > 2 && value.compare(value.size() - 2, 2, suffix) == 0) {
      db = true;
      value = value.substr(0, value.size() - 2);
    }
  while (!value.empty() && value.back() == ' ') value.pop_back();
  const std::optional<double> number = parse_number(value);
  if (!number) throw InvalidArgument("'" + value + "' is not a number");
  const double v = *number;
  const double gain = db ? std::pow(10.0, v / 20.0) : v;
  // A number without a unit is a factor; "-6" meant as decibels is the likely mistake.
  if (!db && std::isfinite(v) && (v < 0 || v > 1000))
    throw InvalidArgument("a gain without a unit is a factor in 0 .. 1000; use " + value + "dB for decibels");
  if (!std::isfinite(gain) || gain < 0 || gain > 1000) throw InvalidArgument("gain must be in 0 .. 1000 (60 dB)");
  return {name, gain};
}

std::vector<double> group_gains(const Grouping& groups, const std::map<std::string, double>& gains) {
  std::vector<double> out(groups.names.size(), 1.0);
  for (std::size_t k = 0; k < groups.names.size(); ++k)
    if (groups.names[k] == "(muted)") out[k] = 0.0;
  for (const auto& [name, g] : gains) {
    // The group as written (a label's own characters), or the file name of its stem.
    auto it = std::find(groups.names.begin(), groups.names.end(), name);
    if (it == groups.names.end() && groups.files.size() == groups.names.size()) {
      const auto f = std::find(groups.files.begin(), groups.files.end(), name);
      if (f != groups.files.end()) it = groups.names.begin() + (f - groups.files.begin());
    }
    if (it == groups.names.end() || *it == "(muted)") {
      std::string known;
      for (const auto& n : groups.names)
        if (n != "(muted)") known += (known.empty() ? "" : ", ") + n;
      throw InvalidArgument(name + ": no such group (groups: " + known + ")");
    }
    require(g >= 0 && g <= 1000, "gain of " + name, g, "in 0 .. 1000");
    out[static_cast<std::size_t>(it - groups.names.begin())] = g;
  }
  return out;
}

MatrixXf remix(const Separation& s, const std::vector<double>& gains) {
  if (s.stems.empty()) throw InvalidArgument("remix: the separation has no stems");
  if (gains.size() != s.stems.size())
    throw InvalidArgument("remix: " + std::to_string(gains.size()) + " gains for " + std::to_string(s.stems.size()) + " groups");
  MatrixXf out = MatrixXf::Zero(s.stems[0].rows(), s.stems[0].cols());
  for (std::size_t k = 0; k < s.stems.size(); ++k) out += static_cast<float>(gains[k]) * s.stems[k];
  return out;
}

}  // namespace notewise
