// The settings table (pipeline/settings.hpp): its range check, its defaults against the
// options' own, and the round trip options -> text -> options.
#include "notewise/pipeline/settings.hpp"

#include <gtest/gtest.h>

#include <set>
#include <regex>
#include <fstream>
#include <filesystem>

#include "notewise/core/error.hpp"

namespace notewise {
namespace {

std::string message_of(const Setting& s, const std::string& text) {
  try {
    check_setting(s, text);
  } catch (const InvalidArgument& e) {
    return e.what();
  }
  return "";
}

TEST(Settings, RangeCheck_NamesTheSettingAndItsRange) {
  const Setting& sr = setting("sr");
  EXPECT_EQ(message_of(sr, "22050"), "");
  EXPECT_EQ(message_of(sr, "1000"), "");    // the bounds are inclusive
  EXPECT_EQ(message_of(sr, "768000"), "");
  EXPECT_EQ(message_of(sr, "999"), "sr = 999: must be a whole number in 1000 .. 768000 Hz");
  EXPECT_EQ(message_of(sr, "768001"), "sr = 768001: must be a whole number in 1000 .. 768000 Hz");
  EXPECT_NE(message_of(sr, "22050.5"), "");  // not a whole number
  EXPECT_NE(message_of(sr, "fast"), "");
  EXPECT_NE(message_of(sr, ""), "");
  EXPECT_EQ(message_of(setting("alpha"), "nan"), "alpha = nan: must be a number in 0 .. 10");
  EXPECT_EQ(message_of(setting("method"), "svd"), "method = svd: must be one of nmf, nae-mu, nae-pgd, nae-relu");
  EXPECT_NE(message_of(setting("onsets"), "maybe"), "");
  EXPECT_EQ(message_of(setting("onsets"), "false"), "");
  EXPECT_THROW(setting("no_such_setting"), InvalidArgument);
  SettingValues v;
  EXPECT_THROW(v.set("n_fft", "70000"), InvalidArgument);
  EXPECT_FALSE(v.has("n_fft"));
}

TEST(Settings, Table_NamesAreUniqueAndDefaultsPassTheirOwnCheck) {
  std::set<std::string> names, keys;
  for (const Setting& s : settings()) {
    EXPECT_TRUE(names.insert(s.name).second) << s.name;
    EXPECT_TRUE(keys.insert(s.key()).second) << s.key();
    EXPECT_FALSE(s.help.empty()) << s.name;
    EXPECT_NE(s.commands, 0u) << s.name;
    if (s.type != SettingType::List && !s.default_text.empty()) {
      EXPECT_EQ(message_of(s, s.default_text), "") << s.name;
    }
  }
  EXPECT_GE(settings().size(), 35u);
}

TEST(Settings, Defaults_AreTheOptionsDefaults) {
  // Nothing given: the tuned options, unchanged (only the table's getters read them).
  const PipelineOptions o = resolve_settings({});
  const PipelineOptions d;
  EXPECT_EQ(o.model.stft.n_fft, d.model.stft.n_fft);
  EXPECT_EQ(o.analysis_rate, d.analysis_rate);
  EXPECT_EQ(o.model.decompose.constraints.partial_power, d.model.decompose.constraints.partial_power);
  EXPECT_EQ(o.model.decompose.template_iterations, d.model.decompose.template_iterations);
  EXPECT_EQ(setting("n_fft").default_text, std::to_string(d.model.stft.n_fft));
  EXPECT_EQ(setting("partial_power").default_text, setting_number(d.model.decompose.constraints.partial_power));
  EXPECT_FALSE(o.overrides.band);
  EXPECT_EQ(o.drums, PipelineOptions::Drums::Classes);
}

TEST(Settings, Resolve_PresetAndMethodDefaults) {
  SettingValues v;
  v.set("preset", "libfmp");
  PipelineOptions o = resolve_settings(v);
  const PipelineOptions libfmp = PipelineOptions::libfmp();
  EXPECT_EQ(o.model.decompose.constraints.partial_power, libfmp.model.decompose.constraints.partial_power);
  EXPECT_EQ(o.timbre, Timbre::Shared);
  EXPECT_TRUE(o.overrides.onsets);
  v.set("partial_power", "3");  // given explicitly: over the preset
  EXPECT_EQ(resolve_settings(v).model.decompose.constraints.partial_power, 3.0);

  SettingValues n;
  n.set("method", "nae-pgd");
  o = resolve_settings(n);
  EXPECT_EQ(o.model.decompose.nmf.max_iterations, 200);
  EXPECT_EQ(o.model.decompose.nmf.divergence, nmf::Divergence::Euclidean);
  EXPECT_EQ(o.model.decompose.nae.optimizer, nae::Optimizer::Lipschitz);
  n.set("loss", "kl");
  n.set("iterations", "7");
  o = resolve_settings(n);
  EXPECT_EQ(o.model.decompose.nmf.max_iterations, 7);
  EXPECT_EQ(o.model.decompose.nae.optimizer, nae::Optimizer::Adam);

  SettingValues t;
  t.set("tolerance", "0.03");
  t.set_list("instruments", {"violin=strings"});
  o = resolve_settings(t);
  EXPECT_TRUE(o.overrides.band);
  EXPECT_FALSE(o.overrides.partials);
  EXPECT_EQ(o.instruments.at("violin"), Family::Strings);
  SettingValues bad;
  bad.set_list("instruments", {"violin"});
  EXPECT_THROW(resolve_settings(bad), InvalidArgument);
}

TEST(Settings, RoundTrip_OptionsToTextAndBack) {
  SettingValues v;
  v.set("n_fft", "2048");
  v.set("hop", "256");
  v.set("loss", "beta=0.3");
  v.set("tolerance", "0.0123456789012345");
  v.set("onsets", "false");
  v.set("align", "no");
  v.set("drums", "kit");
  v.set("nae_start", "random");
  v.set("nae_seed", "12345678901");
  v.set_list("groups", {"a=pitch<60", "rest=others"});
  const PipelineOptions o = resolve_settings(v);
  // The resolved values as text (report.json), every value, then read back as given.
  const SettingValues all = settings_of(o, v);
  for (const Setting& s : settings()) EXPECT_TRUE(all.has(s.name)) << s.name;
  const PipelineOptions back = resolve_settings(all);
  for (const Setting& s : settings())
    if (s.get) {
      EXPECT_EQ(s.get(back), s.get(o)) << s.name;
    }
  EXPECT_EQ(back.groups.size(), 2u);
  EXPECT_EQ(back.overrides.band, o.overrides.band);
  EXPECT_EQ(back.model.decompose.constraints.tolerance, 0.0123456789012345);
}

TEST(Settings, RenderSettingNames) {
  auto cli = [](const Setting& s, const std::string& value) {
    std::string flag = "--" + s.name;
    for (auto& ch : flag) if (ch == '_') ch = '-';
    return value.empty() ? flag : flag + " " + value;
  };
  EXPECT_EQ(render_setting_names("use {setting:drums=ignore} or {setting:label_by}", cli), "use --drums ignore or --label-by");
  EXPECT_EQ(render_setting_names("no placeholder", cli), "no placeholder");
  EXPECT_EQ(render_setting_names("{setting:unknown} stays", cli), "unknown stays");
  EXPECT_EQ(render_setting_names("open {setting:drums", cli), "open {setting:drums");
}

// align's own settings are entries of the table: they set PipelineOptions::alignment, their
// defaults are AlignOptions' own, and the one check refuses what AlignOptions refuses.
TEST(Settings, Align_TheTableSetsTheAlignmentOptions) {
  const AlignOptions d;
  SettingValues v;
  v.set("per_voice", "no");
  v.set("step_weights", "2,1,1.5");
  v.set("refine", "false");
  v.set("excerpt", "yes");
  v.set("levels", "2");
  v.set("voice_lead", "-0.02");
  const PipelineOptions o = resolve_settings(v);
  EXPECT_FALSE(o.alignment.per_voice);
  EXPECT_EQ(o.alignment.dtw.weights.diagonal, 2.0);
  EXPECT_EQ(o.alignment.dtw.weights.right, 1.5);
  EXPECT_FALSE(o.alignment.refine);
  EXPECT_EQ(o.alignment.subsequence, AlignOptions::Subsequence::On);
  EXPECT_EQ(o.alignment.dtw.levels, 2);
  EXPECT_EQ(o.alignment.voice_lead, -0.02);
  EXPECT_EQ(o.alignment.feature_rate, d.feature_rate);  // not given: AlignOptions' default
  EXPECT_EQ(setting("step_weights").default_text, "1,1,1");
  EXPECT_EQ(setting("refine_window").default_text, setting_number(d.refine_window));
  for (const char* name : {"step_weights", "feature_rate", "per_voice", "voice_weight", "excerpt", "label_by", "pedal"})
    EXPECT_NE(setting(name).commands & kAlign, 0u) << name;
  EXPECT_EQ(setting("n_fft").commands & kAlign, 0u);
  try {
    v.set("step_weights", "1,1");
    FAIL() << "two weights accepted";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("step_weights = 1,1: must be 3 numbers"), std::string::npos) << e.what();
  }
  EXPECT_THROW(v.set("feature_rate", "500"), InvalidArgument);
  EXPECT_THROW(v.set("per_voice", "maybe"), InvalidArgument);
}

TEST(Settings, FrontEndOptionsArePlaceholdersToo) {
  auto cli = [](const Setting& s, const std::string& value) {
    std::string flag = "--" + s.name;
    for (auto& ch : flag) if (ch == '_') ch = '-';
    return value.empty() ? flag : flag + " " + value;
  };
  EXPECT_EQ(render_setting_names("use {setting:force} to overwrite; {setting:no_report}", cli), "use --force to overwrite; --no-report");
  EXPECT_EQ(find_setting("force"), nullptr);  // not a setting of a run
}

// The library's texts name settings ("{setting:NAME}"), never a flag of the program: each
// string literal in src/ and include/ (outside comments and the table's own `flag` spellings,
// the command line's names kept there) holds no "--name".
TEST(Settings, LibraryTextsNameNoFlags) {
  namespace fs = std::filesystem;
  const std::regex literal(R"("(?:[^"\\]|\\.)*")"), flag(R"(--[a-z])");
  std::vector<std::string> found;
  std::size_t files = 0;
  for (const char* top : {"src", "include"})
    for (const auto& e : fs::recursive_directory_iterator(fs::path(NOTEWISE_SOURCE_DIR) / top)) {
      const std::string ext = e.path().extension().string();
      if (ext != ".cpp" && ext != ".hpp") continue;
      ++files;
      std::ifstream in(e.path());
      std::string line;
      for (int n = 1; std::getline(in, line); ++n) {
        if (line.find(".flag = ") != std::string::npos) continue;
        bool quoted = false;  // the code before a comment: "//" outside a string literal
        for (std::size_t i = 0; i + 1 < line.size(); ++i) {
          if (line[i] == '\\' && quoted) ++i;
          else if (line[i] == '"') quoted = !quoted;
          else if (!quoted && line[i] == '/' && line[i + 1] == '/') line.erase(i);
        }
        for (std::sregex_iterator m(line.begin(), line.end(), literal), end; m != end; ++m)
          if (std::regex_search(m->str(), flag)) found.push_back(e.path().string() + ":" + std::to_string(n) + ": " + m->str());
      }
    }
  EXPECT_GT(files, 50u);
  std::string list;
  for (const auto& f : found) list += f + "\n";
  EXPECT_TRUE(found.empty()) << list;
}

}  // namespace
}  // namespace notewise
