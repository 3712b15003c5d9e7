#include "report_run.hpp"

#include "progress.hpp"

namespace notewise::cli {
namespace {
std::string g_command;
}  // namespace

report::ViewerOptions& viewer_options() {
  static report::ViewerOptions o;
  return o;
}

bool keeps_listening_copies(double seconds, int channels, std::size_t groups) {
  return report::keeps_listening_copies(seconds, channels, groups, viewer_options());
}

std::string shell_quote(const std::string& s) {
  if (!s.empty() && s.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./=:,+@%") == std::string::npos)
    return s;
  std::string o = "'";
  for (char c : s) o += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return o + "'";
}

void set_command_line(int argc, char** argv) {
  g_command.clear();
  for (int i = 0; i < argc; ++i) {
    if (i > 0) g_command += ' ';
    g_command += shell_quote(i == 0 ? std::string("notewise") : std::string(argv[i]));
  }
}

const std::string& command_line() { return g_command; }

std::vector<std::pair<std::string, std::string>> next_commands(const nlohmann::json& report, const std::string& out_dir) {
  const std::string audio = report["input"].value("audio", std::string());
  const nlohmann::json& p = report["parameters"];
  const std::string score = p.value("score", std::string());
  std::string common = "notewise separate " + shell_quote(audio) + " --score " + shell_quote(score);
  std::string groups;
  for (const auto& g : p.value("groups", std::vector<std::string>{})) groups += " --group " + shell_quote(g);
  const std::string align = p.value("align_mode", std::string("no"));
  const std::string align_flag = align == "yes" ? " --align" : align == "no" ? " --align=no" : "";
  std::vector<std::pair<std::string, std::string>> out;
  std::string dir = out_dir;
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  // A score that does not fit: first of all, the run again with the score aligned.
  if (report.contains("score_fit") && report["score_fit"].is_object() && !report["score_fit"].value("fits", true) &&
      !report.contains("alignment"))
    out.push_back({"align the score to the recording first", common + groups + " --align --out " + shell_quote(dir + "-aligned")});
  const auto& gs = report.value("groups", nlohmann::json::array());
  if (!gs.empty()) {
    const std::string first = gs[0].value("name", std::string("left"));
    out.push_back({"turn '" + first + "' down by 6 dB in a new mix",
                   "notewise edit " + shell_quote(audio) + " --score " + shell_quote(score) + align_flag + groups + " --gain " +
                       shell_quote(first + "=-6dB") + " --out edited.wav"});
  }
  out.push_back({"group the notes otherwise (e.g. a melody and the rest)",
                 common + align_flag + " --group " + shell_quote("melody=pitch>=72") + " --out " + shell_quote(dir + "-regrouped")});
  if (!report.contains("scores"))
    out.push_back({"score the stems against true stems, if you have them",
                   "notewise eval --reference TRUE_STEMS/ --estimate " + shell_quote(dir)});
  return out;
}

RunView run_view(const Separation& s, const Score& score, ProgressBar* bar) {
  RunView view;
  view.separation = &s;
  view.score = &score;
  view.viewer = viewer_options();
  view.command = command_line();
  if (bar) view.on_progress = [bar](long done, long total, const std::string& detail) { bar->update(done, total, "figures", detail); };
  return view;
}

}  // namespace notewise::cli
