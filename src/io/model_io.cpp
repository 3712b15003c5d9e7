#include "notewise/io/model_io.hpp"

#include <cmath>
#include <filesystem>
#include <fstream>

#include "notewise/core/error.hpp"
#include "notewise/io/atomic_file.hpp"
#include "notewise/io/npy.hpp"

namespace notewise::io {
namespace {

constexpr const char* kFormat = "notewise-nae-model";

// A whole number that fits an int. nlohmann's get<int>() of a JSON float such as 1e75 converts
// out of range (undefined behaviour; found by fuzz/fuzz_model).
int whole(const nlohmann::json& v, const char* name) {
  if (v.is_number_integer() || v.is_number_unsigned()) {
    const auto i = v.get<long long>();
    if (i >= -(1LL << 31) + 1 && i < (1LL << 31)) return static_cast<int>(i);
  } else if (v.is_number_float()) {
    const double d = v.get<double>();
    if (d == std::floor(d) && std::abs(d) < 2147483647.0) return static_cast<int>(d);
  } else {
    throw InvalidArgument(std::string(name) + " must be a number");
  }
  throw InvalidArgument(std::string(name) + " is not a whole number within int's range");
}

nlohmann::json constraints_json(const ConstraintOptions& c) {
  return {{"tolerance", c.tolerance},         {"tolerance_cents", c.tolerance_cents}, {"partials", c.partials},
          {"inharmonicity", c.inharmonicity}, {"partial_power", c.partial_power},     {"before", c.before},
          {"after", c.after},                 {"onset_templates", c.onset_templates}, {"onset_before", c.onset_before},
          {"onset_after", c.onset_after},     {"velocity_start", c.velocity_start}};
}

ConstraintOptions constraints_of(const nlohmann::json& j) {
  ConstraintOptions c;
  c.tolerance = j.at("tolerance").get<double>();
  c.tolerance_cents = j.at("tolerance_cents").get<double>();
  c.partials = whole(j.at("partials"), "partials");
  c.inharmonicity = j.at("inharmonicity").get<double>();
  c.partial_power = j.at("partial_power").get<double>();
  c.before = j.at("before").get<double>();
  c.after = j.at("after").get<double>();
  c.onset_templates = j.at("onset_templates").get<bool>();
  c.onset_before = j.at("onset_before").get<double>();
  c.onset_after = j.at("onset_after").get<double>();
  c.velocity_start = j.at("velocity_start").get<bool>();
  c.validate();
  return c;
}

}  // namespace

std::vector<std::string> piano_model_files(int hidden_layers) {
  std::vector<std::string> files{"model.json", "encoder.npy", "decoder.npy"};
  for (int l = 1; l <= hidden_layers; ++l) files.push_back("hidden" + std::to_string(l) + ".npy");
  if (hidden_layers > 0) files.push_back("out.npy");
  return files;
}

void write_piano_model(const std::string& dir, const PianoModel& m, const nlohmann::json& extra, bool overwrite) {
  m.check();
  const std::filesystem::path d(dir);
  ensure_output_dir(dir);
  for (const auto& f : piano_model_files(static_cast<int>(m.hidden.size()))) check_writable((d / f).string(), overwrite);
  const nlohmann::json j = {
      {"format", kFormat},
      {"version", kModelVersion},
      {"geometry", {{"sample_rate", m.geometry.sample_rate}, {"n_fft", m.geometry.n_fft}, {"hop", m.geometry.hop}}},
      {"rows", {{"lowest_pitch", PianoModel::kLowest}, {"highest_pitch", PianoModel::kHighest},
                {"onset_rows", m.layout.onset_templates}, {"count", m.layout.rows()}}},
      {"constraints", constraints_json(m.constraints)},
      {"encoder", {{"hidden_layers", m.hidden.size()}, {"width", m.hidden.empty() ? 0 : m.hidden.front().rows()}}},
      {"loss", m.loss == nae::Loss::KullbackLeibler ? "kl" : "euclidean"},
      {"epochs", m.epochs},
      {"final_loss_per_entry", m.final_loss},
      {"training", extra},
  };
  write_npy((d / "encoder.npy").string(), m.weights.encoder, overwrite);
  write_npy((d / "decoder.npy").string(), m.weights.decoder, overwrite);
  for (std::size_t l = 0; l < m.hidden.size(); ++l)
    write_npy((d / ("hidden" + std::to_string(l + 1) + ".npy")).string(), m.hidden[l], overwrite);
  if (!m.hidden.empty()) write_npy((d / "out.npy").string(), m.out, overwrite);
  write_text((d / "model.json").string(), j.dump(1) + "\n", overwrite);
}

PianoModel read_piano_model(const std::string& dir) {
  const std::filesystem::path d(dir);
  const std::string header = (d / "model.json").string();
  if (!std::filesystem::is_directory(d)) throw IoError(dir, "not a model folder (expected model.json, encoder.npy, decoder.npy)");
  std::ifstream in(header);
  if (!in) throw IoError(header, "cannot be read (is this a model folder made by 'notewise nae train'?)");
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    throw ParseError(header, 0, std::string("not valid JSON: ") + e.what());
  }
  PianoModel m;
  int hidden_layers = 0;
  try {
    if (j.value("format", std::string()) != kFormat) throw ParseError(header, 0, "not a notewise model (format is not \"notewise-nae-model\")");
    const int version = whole(j.at("version"), "version");
    if (version != kModelVersion)
      throw ParseError(header, 0, "model version " + std::to_string(version) + "; this notewise reads version " +
                                      std::to_string(kModelVersion) + " (retrain it with 'notewise nae train')");
    const auto& g = j.at("geometry");
    m.geometry.sample_rate = g.at("sample_rate").get<double>();
    m.geometry.n_fft = whole(g.at("n_fft"), "n_fft");
    m.geometry.hop = whole(g.at("hop"), "hop");
    // The same bounds as the command-line options: the geometry sizes every STFT of a run.
    if (!(m.geometry.sample_rate >= 4000 && m.geometry.sample_rate <= 192000) || m.geometry.n_fft < 16 ||
        m.geometry.n_fft > 65536 || m.geometry.n_fft % 2 != 0 || m.geometry.hop < 1 || m.geometry.hop > m.geometry.n_fft / 2)
      throw ParseError(header, 0, "invalid geometry (sample_rate 4000 .. 192000 Hz, n_fft even in 16 .. 65536, hop 1 .. n_fft/2)");
    m.constraints = constraints_of(j.at("constraints"));
    m.layout = PianoModel::piano_layout(m.constraints.onset_templates);
    m.loss = j.at("loss").get<std::string>() == "kl" ? nae::Loss::KullbackLeibler : nae::Loss::Euclidean;
    m.epochs = j.contains("epochs") ? whole(j.at("epochs"), "epochs") : 0;
    hidden_layers = j.contains("encoder") ? whole(j.at("encoder").at("hidden_layers"), "hidden_layers") : 0;
    if (hidden_layers < 0 || hidden_layers > 4) throw ParseError(header, 0, "encoder.hidden_layers must be 0 .. 4");
    m.final_loss = j.value("final_loss_per_entry", 0.0);
  } catch (const nlohmann::json::exception& e) {
    throw ParseError(header, 0, std::string("missing or mistyped field: ") + e.what());
  } catch (const InvalidArgument& e) {
    throw ParseError(header, 0, e.what());
  }
  m.weights.encoder = read_npy((d / "encoder.npy").string());
  m.weights.decoder = read_npy((d / "decoder.npy").string());
  for (int l = 1; l <= hidden_layers; ++l) m.hidden.push_back(read_npy((d / ("hidden" + std::to_string(l) + ".npy")).string()));
  if (hidden_layers > 0) m.out = read_npy((d / "out.npy").string());
  try {
    m.check();
  } catch (const InvalidArgument& e) {
    throw ParseError(dir, 0, std::string(e.what()) + " (from model.json's geometry and rows)");
  }
  return m;
}

}  // namespace notewise::io
