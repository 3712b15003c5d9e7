#include "notewise/separation/drums.hpp"

#include <algorithm>
#include <cmath>
#include <set>

#include "notewise/core/error.hpp"
#include "notewise/score/decompose.hpp"
#include "notewise/separation/separate.hpp"

namespace notewise {

namespace {
struct GmClass {
  const char* name;
  std::vector<int> pitches;
};
const std::vector<GmClass>& gm_map() {
  static const std::vector<GmClass> m = {{"kick", {35, 36}},
                                         {"snare", {37, 38, 39, 40}},
                                         {"hihat", {42, 44, 46}},
                                         {"toms", {41, 43, 45, 47, 48, 50}},
                                         {"cymbals", {49, 51, 52, 53, 55, 57, 59}}};
  return m;
}
}  // namespace

std::vector<GroupSpec> gm_drum_classes(const Score& score) {
  std::set<int> present;
  for (const auto& n : score.notes()) present.insert(n.pitch);
  std::vector<GroupSpec> out;
  std::set<int> mapped;
  for (const auto& c : gm_map()) {
    std::string sel;
    bool any = false;
    for (int p : c.pitches) {
      sel += (sel.empty() ? "" : " || ") + std::string("pitch==") + std::to_string(p);
      any = any || present.count(p);
      mapped.insert(p);
    }
    if (any) out.push_back({c.name, sel});
  }
  for (int p : present)
    if (!mapped.count(p)) {
      out.push_back({"percussion", "others"});
      break;
    }
  return out;
}

void DrumOptions::validate() const {
  stft.validate();
  require(std::isfinite(template_seconds) && template_seconds > 0 && template_seconds <= 10, "template_seconds",
          template_seconds, "in (0, 10]");
  require(std::isfinite(pre_onset) && pre_onset >= 0 && pre_onset <= 1, "pre_onset", pre_onset, "in [0, 1] s");
  require(std::isfinite(post_onset) && post_onset >= 0 && post_onset <= 2, "post_onset", post_onset, "in [0, 2] s");
  require(std::isfinite(decay) && decay > 0 && decay <= 2, "decay", decay, "in (0, 2] s");
  require(template_iterations >= 0, "template_iterations", template_iterations, ">= 0");
  require(iterations >= 0, "iterations", iterations, ">= 0");
  for (const auto& [name, s] : class_template_seconds)
    require(std::isfinite(s) && s > 0 && s <= 10, "template seconds of " + name, s, "in (0, 10]");
  require(std::isfinite(alpha) && alpha > 0 && alpha <= 10, "alpha", alpha, "in (0, 10]");
}

int DrumOptions::template_frames(double rate, const std::string& name) const {
  double seconds = template_seconds;
  for (const auto& [n, s] : class_template_seconds)
    if (n == name) seconds = s;
  return std::max(1, static_cast<int>(std::lround(seconds * rate / stft.hop)));
}

MatrixXf drum_activations(const Score& score, const Grouping& groups, const DrumOptions& o, double rate, Index frames) {
  const Index C = static_cast<Index>(groups.names.size());
  MatrixXf H0 = MatrixXf::Zero(C, frames);
  const double frame_s = o.stft.hop / rate;
  for (Index c = 0; c < C; ++c)
    for (std::size_t i : groups.notes[static_cast<std::size_t>(c)]) {
      const Note& note = score.notes()[i];
      const float v = static_cast<float>(std::clamp(note.velocity, 1.0, 127.0) / 127.0);
      const Index first = std::max<Index>(0, static_cast<Index>(std::floor((note.onset - o.pre_onset) / frame_s)));
      const Index last = std::min<Index>(frames - 1, static_cast<Index>(std::ceil((note.onset + o.post_onset) / frame_s)));
      for (Index n = first; n <= last; ++n) {
        const double after = n * frame_s - note.onset;
        const float h = v * static_cast<float>(after <= 0 ? 1.0 : std::exp(-after / o.decay));
        // A floor keeps the window's far end open (a zero could never become nonzero).
        H0(c, n) = std::max(H0(c, n), std::max(h, 1e-3f * v));
      }
    }
  return H0;
}

DrumSeparation separate_drums(const Eigen::Ref<const VectorXf>& analysis, double analysis_rate,
                              const Eigen::Ref<const MatrixXf>& native, double native_rate, const Score& score,
                              const Grouping& groups, const DrumOptions& o,
                              const std::vector<std::pair<std::string, MatrixXf>>& start_templates,
                              const nmf::Callback& on_iteration) {
  o.validate();
  if (groups.names.empty()) throw InvalidArgument("drums: no classes");
  if (analysis.size() == 0) throw InvalidArgument("drums: the recording is empty");
  DrumSeparation d;
  d.classes = groups.names;
  d.V = stft(analysis, o.stft).cwiseAbs();
  const Index K = d.V.rows(), N = d.V.cols(), C = static_cast<Index>(groups.names.size());
  std::vector<int> length;
  for (const auto& name : d.classes) length.push_back(o.template_frames(analysis_rate, name));
  const int T = *std::max_element(length.begin(), length.end());
  d.H0 = drum_activations(score, groups, o, analysis_rate, N);
  // Flat start at the data's level: with H0 fixed, the first W step makes each template the
  // weighted average of the frames its windows cover.
  const float level = std::max(1e-9f, d.V.mean() / std::max(1e-9f, d.H0.colwise().sum().mean() * T));
  d.W.assign(static_cast<std::size_t>(T), MatrixXf::Constant(K, C, level));
  for (Index c = 0; c < C; ++c)
    for (int t = length[static_cast<std::size_t>(c)]; t < T; ++t) d.W[static_cast<std::size_t>(t)].col(c).setZero();
  std::vector<Index> fixed;
  for (const auto& [name, tmpl] : start_templates) {
    const auto it = std::find(d.classes.begin(), d.classes.end(), name);
    if (it == d.classes.end()) throw InvalidArgument("drums: a start template for '" + name + "', which is no class");
    const Index c = it - d.classes.begin();
    const int Tc = length[static_cast<std::size_t>(c)];
    if (tmpl.rows() != K || tmpl.cols() != Tc)
      throw InvalidArgument("drums: the start template of '" + name + "' must be " + std::to_string(K) + "x" +
                            std::to_string(Tc) + " (bins x template frames)");
    if (!tmpl.allFinite() || tmpl.minCoeff() < 0) throw InvalidArgument("drums: the start template of '" + name + "' is not nonnegative");
    const float scale = level * K * Tc / std::max(1e-12f, tmpl.sum());  // the flat start's total
    for (int t = 0; t < Tc; ++t) d.W[static_cast<std::size_t>(t)].col(c) = (tmpl.col(t) * scale).array().max(1e-9f * level);
  }
  for (const auto& name : o.fixed_templates) {
    const auto it = std::find(d.classes.begin(), d.classes.end(), name);
    if (it == d.classes.end()) throw InvalidArgument("drums: fixed template '" + name + "' is no class");
    fixed.push_back(it - d.classes.begin());
  }
  nmf::Options no;
  no.divergence = nmf::Divergence::KullbackLeibler;
  no.fixed_w_columns = fixed;
  const int total = o.template_iterations + o.iterations;
  const auto progress = [&](int offset) -> nmf::Callback {
    if (!on_iteration) return {};
    return [&, offset](const nmf::Progress& p) { return on_iteration(nmf::Progress{offset + p.iteration, total, p.loss}); };
  };
  MatrixXf H = d.H0;
  bool have_loss = false;
  if (o.template_iterations > 0) {
    no.fix_h = true;
    no.max_iterations = o.template_iterations;
    auto r = nmf::factorize_nmfd<float>(d.V, std::move(d.W), std::move(H), no, progress(0));
    d.initial_loss = r.initial_loss;
    have_loss = true;
    d.loss = r.loss;
    d.W = std::move(r.W);
    H = std::move(r.H);
  }
  if (o.iterations > 0) {
    no.fix_h = false;
    no.max_iterations = o.iterations;
    auto r = nmf::factorize_nmfd<float>(d.V, std::move(d.W), std::move(H), no, progress(o.template_iterations));
    if (!have_loss) d.initial_loss = r.initial_loss;
    have_loss = true;
    d.loss.insert(d.loss.end(), r.loss.begin(), r.loss.end());
    d.W = std::move(r.W);
    H = std::move(r.H);
  }
  if (!have_loss) {
    nmf::Options lo;
    lo.divergence = nmf::Divergence::KullbackLeibler;
    d.initial_loss = nmf::nmfd_loss<float>(d.V, d.W, H, lo);
  }
  d.H = std::move(H);
  std::vector<MatrixXf> models;
  for (Index c = 0; c < C; ++c) models.push_back(nmf::convolve_one<float>(d.W, d.H, c));
  d.masks = soft_masks(models, o.alpha);
  if (native.size() > 0) d.stems = apply_masks(native, native_rate, d.masks, o.stft, analysis_rate);
  return d;
}

DrumSeparation separate_band(const Eigen::Ref<const VectorXf>& analysis, double analysis_rate,
                             const Eigen::Ref<const MatrixXf>& native, double native_rate, const Score& pitched,
                             const Grouping& pitched_groups, const ConstraintOptions& constraints, const Score& drums,
                             const Grouping& drum_classes, const DrumOptions& o, const nmf::Callback& on_iteration) {
  o.validate();
  if (pitched_groups.names.empty() || drum_classes.names.empty()) throw InvalidArgument("band: needs pitched groups and drum classes");
  if (analysis.size() == 0) throw InvalidArgument("band: the recording is empty");
  DrumSeparation d;
  d.V = stft(analysis, o.stft).cwiseAbs();
  const Index K = d.V.rows(), N = d.V.cols(), C = static_cast<Index>(drum_classes.names.size());
  const Geometry g = Geometry::of(o.stft, analysis_rate, N);
  const ScoreConstraints cs = build_constraints(pitched, g, constraints);
  const Index P = cs.W0.cols();
  std::vector<int> length;
  for (const auto& name : drum_classes.names) length.push_back(o.template_frames(analysis_rate, name));
  const int T = *std::max_element(length.begin(), length.end());
  const MatrixXf Hd = drum_activations(drums, drum_classes, o, analysis_rate, N);
  d.H0.resize(P + C, N);
  d.H0 << cs.H0, Hd;
  // Drum templates start flat at the level of the data the pitched start leaves unexplained.
  const float level = std::max(1e-9f, d.V.mean() / std::max(1e-9f, Hd.colwise().sum().mean() * T));
  d.W.assign(static_cast<std::size_t>(T), MatrixXf::Zero(K, P + C));
  d.W[0].leftCols(P) = cs.W0;
  for (Index c = 0; c < C; ++c)
    for (int t = 0; t < length[static_cast<std::size_t>(c)]; ++t) d.W[static_cast<std::size_t>(t)].col(P + c).setConstant(level);
  nmf::Options no;
  no.divergence = nmf::Divergence::KullbackLeibler;
  const int total = o.template_iterations + o.iterations;
  MatrixXf H = d.H0;
  bool have_loss = false;
  for (int phase = 0; phase < 2; ++phase) {
    const int iterations = phase == 0 ? o.template_iterations : o.iterations;
    if (iterations == 0) continue;
    no.max_iterations = iterations;
    no.fixed_h_rows.clear();
    if (phase == 0)
      for (Index c = 0; c < C; ++c) no.fixed_h_rows.push_back(P + c);
    const int offset = phase == 0 ? 0 : o.template_iterations;
    nmf::Callback cb;
    if (on_iteration) cb = [&, offset](const nmf::Progress& p) { return on_iteration(nmf::Progress{offset + p.iteration, total, p.loss}); };
    auto r = nmf::factorize_nmfd<float>(d.V, std::move(d.W), std::move(H), no, cb);
    if (!have_loss) d.initial_loss = r.initial_loss;
    have_loss = true;
    d.loss.insert(d.loss.end(), r.loss.begin(), r.loss.end());
    d.W = std::move(r.W);
    H = std::move(r.H);
  }
  if (!have_loss) d.initial_loss = nmf::nmfd_loss<float>(d.V, d.W, H, no);
  d.H = std::move(H);
  // Pitched groups through their notes' shares of the pitch rows (one frame: W_0 H).
  Decomposition dec;
  dec.geometry = g;
  dec.constraints = cs;
  dec.W = d.W[0].leftCols(P);
  dec.H = d.H.topRows(P);
  dec.notes = note_shares(pitched, cs, g);
  std::vector<MatrixXf> models = group_models(dec, pitched_groups);
  for (Index c = 0; c < C; ++c) models.push_back(nmf::convolve_one<float>(d.W, d.H, P + c));
  d.classes = pitched_groups.names;
  d.first_drum = static_cast<Index>(d.classes.size());
  d.first_drum_row = P;
  d.classes.insert(d.classes.end(), drum_classes.names.begin(), drum_classes.names.end());
  d.masks = soft_masks(models, o.alpha);
  if (native.size() > 0) d.stems = apply_masks(native, native_rate, d.masks, o.stft, analysis_rate);
  return d;
}

DrumScore drum_score(Score score, std::vector<GroupSpec> specs, bool ignore_pitched, const std::string& score_name) {
  DrumScore ds;
  // Drum notes as 'separate' tells them; every other note is pitched.
  Score pitched = score.select([](const Note& n) { return !is_drum(n); });
  score = score.select(is_drum);
  if (score.empty())
    throw ParseError(score_name, 0, "holds no drum notes (MIDI channel 10, MusicXML unpitched notes, or CSV rows labelled "
                                    "drums): 'notewise separate' separates pitched notes");
  if (ignore_pitched && !pitched.empty()) {
    ds.ignored_pitched = pitched.size();
    pitched = Score();
  }
  Grouping pitched_groups;
  if (!pitched.empty()) {
    try {
      pitched_groups = group_notes(pitched, label_group_specs(pitched));
    } catch (const InvalidArgument& e) {
      throw ParseError(score_name, 0, e.what());
    }
    for (const auto& n : pitched_groups.names)
      if (std::find_if(specs.begin(), specs.end(), [&](const GroupSpec& g) { return g.name == n; }) != specs.end() ||
          (specs.empty() && (n == "kick" || n == "snare" || n == "hihat" || n == "toms" || n == "cymbals" || n == "percussion")))
        throw InvalidArgument(score_name + ": the track '" + n + "' has the name of a drum class");
  }
  if (specs.empty()) specs = gm_drum_classes(score);
  Grouping groups;
  try {
    groups = group_notes(score, specs);
  } catch (const InvalidArgument& e) {
    throw InvalidArgument(score_name + ": " + e.what());
  }
  ds.drums = std::move(score);
  ds.pitched = std::move(pitched);
  ds.specs = std::move(specs);
  ds.groups = std::move(groups);
  ds.pitched_groups = std::move(pitched_groups);
  return ds;
}

}  // namespace notewise
