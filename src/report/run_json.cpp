#include "notewise/report/run_json.hpp"

#include <sstream>

namespace notewise::report {

nlohmann::json timbre_json(const TimbrePlan& plan, const std::function<std::string(const std::string&)>& spell) {
  nlohmann::json instruments = nlohmann::json::array(), sources = nlohmann::json::array();
  for (const auto& i : plan.instruments)
    instruments.push_back({{"label", i.label}, {"instrument", family_name(i.family)}, {"from", spell ? spell(i.source) : i.source}});
  for (const auto& s : plan.sources)
    sources.push_back({{"name", s.name},
                       {"labels", s.labels},
                       {"instrument", family_name(s.family)},
                       {"onset_templates", s.onset_templates},
                       {"tolerance_cents", s.tolerance_cents},
                       {"partials", s.partials},
                       {"after_offset_s", s.after < 0 ? nlohmann::json(nullptr) : nlohmann::json(s.after)}});
  return {{"chosen", timbre_name(plan.chosen)}, {"reason", spell ? spell(plan.reason) : plan.reason}, {"instruments", instruments}, {"sources", sources}};
}

nlohmann::json fit_json(const std::optional<ScoreFit>& fit) {
  if (!fit) return nullptr;
  return {{"fits", fit->fits},
          {"problem", fit->problem},
          {"median_onset_shift_s", fit->median_shift},
          {"chroma_cost_as_given", fit->cost_as_given},
          {"chroma_cost_aligned", fit->cost_aligned}};
}

nlohmann::json alignment_json(const Alignment& al) {
  nlohmann::json warp = nlohmann::json::array(), issues = nlohmann::json::array();
  for (std::size_t k = 0; k < al.warp.size(); k += 10) warp.push_back({al.warp[k].first, al.warp[k].second});
  for (const AlignIssue& is : al.issues)
    issues.push_back({{"audio_s", {is.audio_start, is.audio_end}}, {"score_s", {is.score_start, is.score_end}}, {"what", is.what}});
  return {{"normalised_cost", al.cost}, {"mean_confidence", al.mean_confidence}, {"poor", al.poor}, {"problem", al.problem},
          {"issues", issues}, {"excerpt", al.excerpt}, {"score_span_s", {al.score_start, al.score_end}},
          {"warp_score_audio_s", warp}};
}

nlohmann::json index_json(const Decomposition& d, const Score& score) {
  nlohmann::json rows = nlohmann::json::array();
  for (const RowInfo& r : row_index(d, score))
    rows.push_back({{"row", r.row}, {"kind", r.onset ? "onset" : "pitch"}, {"pitch", r.pitch}, {"source", r.source},
                    {"notes", r.notes}, {"labels", r.labels}});
  const Geometry& g = d.geometry;
  return {{"rows", rows},
          {"bins", g.bins()},
          {"frames", g.frames},
          {"bin_hz", g.bin_hz()},
          {"frame_seconds", g.frame_seconds()},
          {"H_notes_rows", "notes in score order (notes.csv)"}};
}

std::string loss_csv(double initial_loss, const std::vector<double>& loss) {
  std::ostringstream csv;
  csv.precision(10);
  csv << "iteration,loss\n0," << initial_loss << "\n";
  for (std::size_t i = 0; i < loss.size(); ++i) csv << i + 1 << "," << loss[i] << "\n";
  return csv.str();
}

std::string notes_csv(const Score& score, const std::vector<double>& energy) {
  const auto& notes = score.notes();
  std::ostringstream csv;
  csv.precision(6);
  csv << std::fixed << "index,onset,offset,pitch,label,energy\n";
  for (std::size_t i = 0; i < notes.size(); ++i)
    csv << i << "," << notes[i].onset << "," << notes[i].offset() << "," << notes[i].pitch << "," << notes[i].label << ","
        << (i < energy.size() ? energy[i] : 0.0) << "\n";
  return csv.str();
}

}  // namespace notewise::report
