// _notewise: the Python binding of the library. It only converts: NumPy arrays to Eigen views
// (no copy where the layout allows), dicts of options to PipelineOptions, results to arrays
// that own the library's matrices (no copy), and library errors to Python exceptions. The run
// itself is the library's pipeline (pipeline/pipeline.hpp), the same call the CLI makes.
// Argument handling with defaults and docstrings is in notewise/__init__.py.
#include <pybind11/complex.h>
#include <pybind11/functional.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cmath>
#include <complex>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "notewise/core/error.hpp"
#include "notewise/core/stft.hpp"
#include "notewise/core/threads.hpp"
#include "notewise/eval/bss_eval.hpp"
#include "notewise/io/score_io.hpp"
#include "notewise/live/live.hpp"
#include "notewise/nmf/nmf.hpp"
#include "notewise/io/model_io.hpp"
#include "notewise/pipeline/memory.hpp"
#include "notewise/pipeline/pipeline.hpp"
#include "notewise/pipeline/settings.hpp"
#include "notewise/report/live_files.hpp"
#include "notewise/report/separation_report.hpp"
#include "notewise/separation/pitch_edit.hpp"
#include "notewise/version.hpp"

namespace py = pybind11;
using namespace notewise;

namespace {

using FloatArray = py::array_t<float, py::array::c_style | py::array::forcecast>;

// Rows x cols, column-major, owned by the returned array (the matrix is moved, not copied).
template <class M>
py::array owned(M&& m) {
  using S = typename std::decay_t<M>::Scalar;
  auto* p = new std::decay_t<M>(std::forward<M>(m));
  py::capsule owner(p, [](void* q) { delete static_cast<std::decay_t<M>*>(q); });
  const auto rows = static_cast<py::ssize_t>(p->rows()), cols = static_cast<py::ssize_t>(p->cols());
  return py::array_t<S>({rows, cols}, {static_cast<py::ssize_t>(sizeof(S)), static_cast<py::ssize_t>(sizeof(S)) * rows},
                        p->data(), owner);
}

// Its transpose as a C-ordered array (frames x channels -> (channels, samples)), no copy.
py::array owned_transposed(MatrixXf&& m) {
  auto* p = new MatrixXf(std::move(m));
  py::capsule owner(p, [](void* q) { delete static_cast<MatrixXf*>(q); });
  const auto rows = static_cast<py::ssize_t>(p->rows()), cols = static_cast<py::ssize_t>(p->cols());
  return py::array_t<float>({cols, rows}, {static_cast<py::ssize_t>(sizeof(float)) * rows, static_cast<py::ssize_t>(sizeof(float))},
                            p->data(), owner);
}

py::array owned_vector(VectorXf&& v) {
  auto* p = new VectorXf(std::move(v));
  py::capsule owner(p, [](void* q) { delete static_cast<VectorXf*>(q); });
  return py::array_t<float>({static_cast<py::ssize_t>(p->size())}, {static_cast<py::ssize_t>(sizeof(float))}, p->data(), owner);
}

// (channels, samples) C-ordered float32 -> samples x channels column-major: the same memory.
Eigen::Map<const MatrixXf> audio_view(const FloatArray& a) {
  if (a.ndim() != 2) throw InvalidArgument("audio: expected a 1-D array or (channels, samples)");
  return {a.data(), static_cast<Index>(a.shape(1)), static_cast<Index>(a.shape(0))};
}

// A 2-D matrix from a NumPy array: one copy into column-major storage (none needed when it is
// Fortran-ordered of that type already, beyond this one).
template <class T>
Matrix<T> matrix_as(const py::array& a, const char* what) {
  auto f = py::array_t<T, py::array::f_style | py::array::forcecast>::ensure(a);
  if (!f || f.ndim() != 2) throw InvalidArgument(std::string(what) + ": expected a 2-D array");
  return Eigen::Map<const Matrix<T>>(f.data(), static_cast<Index>(f.shape(0)), static_cast<Index>(f.shape(1)));
}

// The score as parallel columns (onset, duration, pitch, velocity, label).
// start, duration, pitch, velocity, label, drum (1 a drum note, 0 not, -1 by its label as a
// table's row: io::is_drum_label).
using ScoreColumns = std::tuple<std::vector<double>, std::vector<double>, std::vector<int>, std::vector<double>,
                                std::vector<std::string>, std::vector<int>>;

Score score_of(const ScoreColumns& c) {
  const auto& [on, du, pi, ve, la, dr] = c;
  const std::size_t n = on.size();
  if (du.size() != n || pi.size() != n || ve.size() != n || la.size() != n || dr.size() != n)
    throw InvalidArgument("score: the columns differ in length");
  std::vector<Note> notes(n);
  for (std::size_t i = 0; i < n; ++i) {
    if (!std::isfinite(on[i]) || !std::isfinite(du[i]) || on[i] < 0 || du[i] < 0)
      throw InvalidArgument("score row " + std::to_string(i) + ": start and duration must be finite and >= 0");
    if (pi[i] < 0 || pi[i] > 127) throw InvalidArgument("score row " + std::to_string(i) + ": pitch " + std::to_string(pi[i]) + " is outside 0..127");
    if (!(ve[i] >= 0 && ve[i] <= 127)) throw InvalidArgument("score row " + std::to_string(i) + ": velocity must be in 0..127");
    notes[i] = {on[i], du[i], pi[i], ve[i], la[i], i};
    if (dr[i] > 0 || (dr[i] < 0 && io::is_drum_label(la[i]))) notes[i].channel = 9;  // is_drum
  }
  return Score(std::move(notes));
}

py::dict score_dict(const Score& s) {
  std::vector<double> on, du, ve;
  std::vector<int> pi;
  std::vector<std::string> la;
  std::vector<std::size_t> idx;
  std::vector<int> drum;
  for (const auto& n : s.notes()) {
    drum.push_back(is_drum(n) ? 1 : 0);
    on.push_back(n.onset);
    du.push_back(n.duration);
    pi.push_back(n.pitch);
    ve.push_back(n.velocity);
    la.push_back(n.label);
    idx.push_back(n.index);
  }
  py::dict d;
  d["start"] = on;
  d["duration"] = du;
  d["pitch"] = pi;
  d["velocity"] = ve;
  d["label"] = la;
  d["index"] = idx;
  d["drum"] = drum;
  return d;
}

// Progress and Ctrl-C while the GIL is released: the callback takes the GIL, checks for
// signals, calls Python, and turns a Python exception into "stop" (raised again afterwards).
struct Progress {
  py::object callback;  // None or callable(stage, fraction, loss)
  std::optional<py::error_already_set> error;

  bool call(const char* stage, double fraction, std::optional<double> loss) {
    py::gil_scoped_acquire gil;
    if (error) return false;
    try {
      if (PyErr_CheckSignals() != 0) throw py::error_already_set();
      if (!callback.is_none()) {
        py::object r = callback(stage, fraction, loss ? py::cast(*loss) : py::none());
        if (!r.is_none() && !py::bool_(r)) return false;
      }
      return true;
    } catch (py::error_already_set& e) {
      error = std::move(e);
      return false;
    }
  }
  nmf::Callback nmf(const char* stage) {
    return [this, stage](const nmf::Progress& p) {
      return call(stage, static_cast<double>(p.iteration) / std::max(1, p.max_iterations), p.loss);
    };
  }
  void rethrow() {
    if (error) {
      py::error_already_set e = std::move(*error);
      error.reset();
      throw e;
    }
  }
};

template <class T>
T take(py::dict& d, const char* key) {
  py::object v = d[key];
  PyDict_DelItemString(d.ptr(), key);
  try {
    return v.cast<T>();
  } catch (const py::cast_error&) {
    throw InvalidArgument(std::string(key) + "=" + py::repr(v).cast<std::string>() + ": the wrong type");
  }
}

// A keyword argument's value as its setting's text (pipeline/settings.hpp).
std::string setting_text(const Setting& s, const py::handle& v) {
  auto wrong = [&](const char* expected) {
    return InvalidArgument(s.name + "=" + py::repr(v).cast<std::string>() + ": expected " + expected);
  };
  switch (s.type) {
    case SettingType::Bool:
      if (!py::isinstance<py::bool_>(v)) throw wrong("True or False");
      return v.cast<bool>() ? "true" : "false";
    case SettingType::Int:
      if (py::isinstance<py::bool_>(v) || !py::isinstance<py::int_>(v)) {
        if (!py::isinstance<py::float_>(v) || std::floor(v.cast<double>()) != v.cast<double>()) throw wrong("a whole number");
        return setting_number(v.cast<double>());
      }
      return py::str(v).cast<std::string>();
    case SettingType::Real:
      if (py::isinstance<py::bool_>(v) || !(py::isinstance<py::int_>(v) || py::isinstance<py::float_>(v))) throw wrong("a number");
      return setting_number(v.cast<double>());
    default:
      if (!py::isinstance<py::str>(v)) throw wrong("a string");
      return v.cast<std::string>();
  }
}

// The options of separate/decompose/edit from keyword arguments named as the settings (a key
// that is absent keeps the default, as an option not given on the command line), resolved by
// the library as the CLI's are. Besides the settings: mute (edit), check_fit.
PipelineOptions pipeline_options(py::dict o, const std::string& mode, std::string& max_memory) {
  SettingValues v;
  PipelineOptions extra;
  std::string keys;
  for (const auto& kv : o) {
    const std::string name = py::str(kv.first).cast<std::string>();
    if (name == "mute") {
      extra.mute = kv.second.cast<std::string>();
      continue;
    }
    if (name == "check_fit") {
      extra.check_fit = kv.second.cast<bool>();
      continue;
    }
    const Setting* s = find_setting(name);
    const unsigned takes = mode == "align" ? unsigned{kAlign} : unsigned{kSeparate | kDecompose | kEdit};
    if (s == nullptr || (s->commands & takes) == 0 || (mode != "separate" && name == "drums")) {
      keys += (keys.empty() ? "" : ", ") + name;
      continue;
    }
    if (s->type == SettingType::List) {
      std::vector<std::string> items;
      for (const auto& item : kv.second.cast<std::vector<std::pair<std::string, std::string>>>())
        items.push_back(item.first + "=" + item.second);
      v.set_list(name, items);
    } else {
      v.set(name, setting_text(*s, kv.second));
    }
  }
  if (!keys.empty()) throw InvalidArgument("unknown keyword argument(s): " + keys);
  if (v.text("spectrogram") == "disk")
    throw InvalidArgument("spectrogram='disk': the arrays of a Python call are in memory (the notewise program reads a file's V from disk)");
  if (mode != "separate") v.set("drums", "ignore", false);  // edit's gains and decompose's rows: pitched groups
  PipelineOptions p = resolve_settings(v);
  max_memory = v.text("max_memory");
  p.mute = extra.mute;
  p.check_fit = extra.check_fit;
  if (!v.text("model").empty()) use_piano_model(p, std::make_shared<PianoModel>(io::read_piano_model(v.text("model"))), v);
  p.audio_name = "audio";
  p.score_name = "score";
  p.validate();
  return p;
}

// The settings table for the Python side: signatures and defaults (notewise/__init__.py).
py::list settings_list() {
  py::list out;
  for (const Setting& s : settings()) {
    py::dict d;
    d["name"] = s.name;
    const char* types[] = {"int", "real", "bool", "choice", "text", "list"};
    d["type"] = types[static_cast<int>(s.type)];
    d["default"] = s.default_text;
    d["unit"] = s.unit;
    d["min"] = s.has_range ? py::object(py::float_(s.min)) : py::object(py::none());
    d["max"] = s.has_range ? py::object(py::float_(s.max)) : py::object(py::none());
    d["choices"] = s.choices;
    d["help"] = s.help;
    const char* groups[] = {"common", "model", "advanced", "research"};
    d["group"] = groups[static_cast<int>(s.group)];
    py::list commands;
    if (s.commands & kSeparate) commands.append("separate");
    if (s.commands & kDecompose) commands.append("decompose");
    if (s.commands & kEdit) commands.append("edit");
    if (s.commands & kAlign) commands.append("align");
    d["commands"] = commands;
    d["report_key"] = s.key();
    out.append(d);
  }
  return out;
}

std::string python_text(const std::string& text);  // below: the library's setting names as keywords

py::dict timbre_dict(const TimbrePlan& plan) {
  py::list instruments, sources;
  for (const auto& i : plan.instruments) {
    py::dict d;
    d["label"] = i.label;
    d["instrument"] = family_name(i.family);
    d["from"] = python_text(i.source);
    instruments.append(d);
  }
  for (const auto& s : plan.sources) {
    py::dict d;
    d["name"] = s.name;
    d["labels"] = s.labels;
    d["instrument"] = family_name(s.family);
    d["onset_templates"] = s.onset_templates;
    d["tolerance_cents"] = s.tolerance_cents;
    d["partials"] = s.partials;
    d["after_offset_s"] = s.after < 0 ? py::object(py::none()) : py::object(py::float_(s.after));
    sources.append(d);
  }
  py::dict d;
  d["chosen"] = timbre_name(plan.chosen);
  d["reason"] = plan.reason;
  d["instruments"] = instruments;
  d["sources"] = sources;
  return d;
}

py::dict alignment_dict(const Alignment& al) {
  py::dict d;
  std::vector<double> s, a;
  for (const auto& [x, y] : al.warp) {
    s.push_back(x);
    a.push_back(y);
  }
  d["warp_score_s"] = s;
  d["warp_audio_s"] = a;
  d["cost"] = al.cost;
  d["poor"] = al.poor;
  d["problem"] = al.problem;
  d["confidence"] = al.confidence;
  d["mean_confidence"] = al.mean_confidence;
  d["voice_confidence"] = al.voice_confidence;
  d["part_confidence"] = al.part_confidence;
  d["event_onset"] = al.event_onset;
  py::list issues;
  for (const auto& i : al.issues) {
    py::dict x;
    x["audio_start"] = i.audio_start;
    x["audio_end"] = i.audio_end;
    x["score_start"] = i.score_start;
    x["score_end"] = i.score_end;
    x["what"] = i.what;
    issues.append(x);
  }
  d["issues"] = issues;
  d["score"] = score_dict(al.aligned);
  return d;
}

// mode: "separate" (stems), "decompose" (no stems; H_notes), "edit" (stems, then the remix;
// with transpositions, (kind, "SELECTION=N") with kind "transpose" or "shift_time": the notes
// moved instead, as the program's edit --transpose / --shift-time).
// report_dir (separate): the library writes the report there (report/separation_report.hpp),
// with report_parameters (JSON) as report.json's "parameters" and `call` as the page's command.
py::dict run(const FloatArray& audio, int sample_rate, const ScoreColumns& score_columns, const py::dict& options,
             const std::string& mode, const std::map<std::string, double>& gains, const py::object& progress,
             const std::string& report_dir, const std::string& report_parameters, const std::string& call,
             const std::vector<std::pair<std::string, std::string>>& transpositions) {
  if (mode != "separate" && mode != "decompose" && mode != "edit") throw InvalidArgument("mode " + mode);
  std::vector<Transposition> moves;
  for (const auto& [kind, text] : transpositions) {
    if (mode != "edit" || (kind != "transpose" && kind != "shift_time")) throw InvalidArgument("transposition " + kind);
    try {
      moves.push_back(parse_transposition(text, kind == "shift_time"));
    } catch (const InvalidArgument& e) {
      throw InvalidArgument(kind + " " + text + ": " + e.what());
    }
  }
  if (!report_dir.empty() && mode != "separate") throw InvalidArgument("report: only separate writes one");
  std::string max_memory;
  PipelineOptions po = pipeline_options(options.attr("copy")(), mode, max_memory);
  if (!report_dir.empty()) po.model.view_columns = report::kViewColumns;  // what the page draws from
  Score score = score_of(score_columns);
  const auto samples = audio_view(audio);
  if (!max_memory.empty()) {
    // The same honest limit as the program's (the arrays are in memory already: not streamed).
    const double limit = parse_bytes(max_memory);
    plan_spectrogram(samples.rows(), sample_rate, static_cast<int>(samples.cols()), score, po, "memory", limit,
                     "{setting:max_memory}", "audio", mode != "decompose", false, false, false);
  }
  Progress prog{progress, std::nullopt};
  PreparedRecording prep;
  Separation sep;
  std::vector<double> gain;
  MatrixXf moved;  // edit with transpositions: the recording with the notes moved
  {
    py::gil_scoped_release nogil;
    prep = prepare_recording(samples, sample_rate, std::move(score), po);
    if (!moves.empty()) {
      PitchEdit e = transpose_notes(prep.analysis, prep.analysis_rate, samples, sample_rate, prep.score, moves, prep.model, {},
                                    prog.nmf("decompose"));
      moved = std::move(e.audio);
      sep = std::move(e.separation);
    } else {
      if (mode == "edit") gain = group_gains(prep.groups, gains);
      const bool stems = mode != "decompose";
      sep = separate_prepared(prep, samples, sample_rate, stems, prog.nmf("decompose"),
                              [&](double f) { prog.call("resynthesise", f, std::nullopt); });
    }
  }
  prog.rethrow();
  py::dict r;
  if (!report_dir.empty()) {
    report::SeparationFacts facts;
    facts.audio = "(array)";
    facts.parameters = nlohmann::json::parse(report_parameters);
    report::RunView view;
    view.command = call;
    nlohmann::json written;
    {
      py::gil_scoped_release nogil;
      written = report::write_separation_report(report_dir, prep, samples, sample_rate, sep, std::move(facts), std::move(view), true);
    }
    r["report"] = written.dump();
  }
  const Decomposition& d = sep.decomposition;
  py::list messages;
  for (const auto& m : prep.messages)
    messages.append(py::make_tuple(m.level == PipelineMessage::Level::Warning ? "warning" : "info", m.text));
  r["messages"] = messages;
  r["names"] = sep.groups.names;
  r["group_notes"] = sep.groups.notes;
  py::list rows;
  for (const RowInfo& ri : row_index(d, prep.score)) {
    py::dict x;
    x["row"] = ri.row;
    x["kind"] = ri.onset ? "onset" : "pitch";
    x["pitch"] = ri.pitch;
    x["source"] = ri.source;
    x["notes"] = ri.notes;
    x["labels"] = ri.labels;
    rows.append(x);
  }
  r["rows"] = rows;
  py::dict geom;
  geom["sample_rate"] = d.geometry.sample_rate;
  geom["n_fft"] = d.geometry.n_fft;
  geom["hop"] = d.geometry.hop;
  geom["bins"] = d.geometry.bins();
  geom["frames"] = d.geometry.frames;
  geom["bin_hz"] = d.geometry.bin_hz();
  geom["frame_seconds"] = d.geometry.frame_seconds();
  r["geometry"] = geom;
  r["loss"] = d.run.loss;
  r["initial_loss"] = d.run.initial_loss;
  r["iterations"] = d.run.iterations;
  r["cancelled"] = d.run.cancelled;
  r["sparse_path"] = d.run.sparse_path;
  r["fit_seconds"] = d.fit_seconds;
  r["alpha_used"] = prep.model.alpha;  // resolved once by the library (Decisions::alpha)
  py::dict decisions;
  const std::pair<const char*, const Decision*> all[] = {{"alpha", &prep.decisions.alpha}, {"align", &prep.decisions.align},
                                                         {"drums", &prep.decisions.drums}, {"timbre", &prep.decisions.timbre}};
  for (const auto& [name, x] : all)
    if (!x->value.empty()) decisions[name] = py::make_tuple(x->value, x->reason);
  decisions["spectrogram"] = py::make_tuple("memory", "a Python call's arrays are in memory");
  r["decisions"] = decisions;
  r["timbre"] = timbre_dict(prep.timbre);
  if (prep.fit) {
    py::dict f;
    f["fits"] = prep.fit->fits;
    f["problem"] = prep.fit->problem;
    f["median_onset_shift_s"] = prep.fit->median_shift;
    f["chroma_cost_as_given"] = prep.fit->cost_as_given;
    f["chroma_cost_aligned"] = prep.fit->cost_aligned;
    r["score_fit"] = f;
  } else {
    r["score_fit"] = py::none();
  }
  r["alignment"] = prep.alignment ? py::object(alignment_dict(*prep.alignment)) : py::object(py::none());
  r["score"] = score_dict(prep.score);
  if (mode == "decompose") r["H_notes"] = owned(note_activations(d));
  if (mode == "edit") {
    r["edited"] = owned_transposed(moves.empty() ? remix(sep, gain) : std::move(moved));
    return r;
  }
  py::list stems, masks;
  for (auto& s : sep.stems) stems.append(owned_transposed(std::move(s)));
  for (auto& m : sep.masks) masks.append(owned(std::move(m)));
  r["stems"] = stems;
  r["masks"] = masks;
  r["V"] = owned(std::move(sep.V));
  r["W"] = owned(std::move(sep.decomposition.W));
  r["H"] = owned(std::move(sep.decomposition.H));
  return r;
}

template <class T>
py::dict factorize_as(const py::array& V_in, const py::object& W_in, const py::object& H_in, Index rank, std::uint64_t seed,
                      nmf::Options o, const py::object& progress) {
  const Matrix<T> V = matrix_as<T>(V_in, "V");
  Matrix<T> W0, H0;
  if (W_in.is_none() || H_in.is_none()) {
    if (rank < 1) throw InvalidArgument("rank: required (>= 1) unless W and H are given");
    std::tie(W0, H0) = nmf::random_start<T>(V, rank, seed);
  }
  if (!W_in.is_none()) W0 = matrix_as<T>(W_in, "W");
  if (!H_in.is_none()) H0 = matrix_as<T>(H_in, "H");
  Progress prog{progress, std::nullopt};
  nmf::Result<T> res;
  {
    py::gil_scoped_release nogil;
    res = nmf::factorize<T>(V, std::move(W0), std::move(H0), o, prog.nmf("factorize"));
  }
  prog.rethrow();
  py::dict r;
  r["W"] = owned(std::move(res.W));
  r["H"] = owned(std::move(res.H));
  r["loss"] = res.loss;
  r["initial_loss"] = res.initial_loss;
  r["iterations"] = res.iterations;
  r["converged"] = res.converged;
  r["cancelled"] = res.cancelled;
  r["sparse_path"] = res.sparse_path;
  return r;
}

// A library message with the settings it names spelt as this module's keywords (the analysis
// rate: analysis_sr, as the audio's rate is sr).
std::string python_text(const std::string& text) {
  std::string out = render_setting_names(text, [](const Setting& s, const std::string& value) {
    if (s.commands == 0 && value.empty())  // the program's own options, in Python's terms
      return s.name == "out" ? std::string("report=") : s.name == "no_report" ? std::string("report=None") : s.name + "=";
    const std::string name = s.name == "sr" ? "analysis_sr" : s.name;
    if (value.empty()) return name + "=";
    const auto eq = value.find('=');
    if (s.type == SettingType::List && eq != std::string::npos)  // a dict's entry: instruments={'violin': 'strings'}
      return name + "={'" + value.substr(0, eq) + "': '" + value.substr(eq + 1) + "'}";
    if (s.type == SettingType::Choice || s.type == SettingType::Text || s.type == SettingType::List) return name + "='" + value + "'";
    return name + "=" + value;
  });
  // "{setting:mute} 'pitch==60'": the selection is the keyword's value, mute='pitch==60'.
  for (std::size_t at; (at = out.find("mute= '")) != std::string::npos;) out.erase(at + 5, 1);
  return out;
}

}  // namespace

// notewise.Live's state: the separator and, with `out`, the files it writes (report::LiveFiles).
struct PyLive {
  std::unique_ptr<LiveSeparator> live;
  std::unique_ptr<report::LiveFiles> files;
  std::string score_path;
  bool finished = false;
  report::LiveRunSummary summary;
};

PYBIND11_MODULE(_notewise, m) {
  m.doc() = "notewise's C++ library (use the notewise package, not this module)";
  m.attr("__version__") = kVersion;
  m.attr("version_info") = py::make_tuple(NOTEWISE_VERSION_MAJOR, NOTEWISE_VERSION_MINOR, NOTEWISE_VERSION_PATCH);

  // Files the library cannot read are OSError; bad arguments and malformed content ValueError.
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const IoError& e) {
      PyErr_SetString(PyExc_OSError, python_text(e.what()).c_str());
    } catch (const ScoreMismatch& e) {  // the library's words, then the keywords that decide
      const bool alignable = e.kind() != ScoreMismatch::Kind::NotAlignable;
      PyErr_SetString(PyExc_ValueError, (python_text(e.what()) + (alignable ? "; align=True aligns it, " : "; ") +
                                         "as_given=True uses it as given").c_str());
    } catch (const ParseError& e) {
      PyErr_SetString(PyExc_ValueError, python_text(e.what()).c_str());
    } catch (const InvalidArgument& e) {
      PyErr_SetString(PyExc_ValueError, python_text(e.what()).c_str());
    } catch (const Error& e) {
      PyErr_SetString(PyExc_RuntimeError, python_text(e.what()).c_str());
    }
  });

  // Threads (core/threads.hpp): the process-wide limit; 0 = auto.
  m.def("settings", &settings_list);
  // edit's "GROUP=GAIN" ("-6dB", "0.5") as the program reads it: the linear gain.
  m.def("parse_gain", [](const std::string& text) { return parse_group_gain(text).second; }, py::arg("text"));
  m.def("render_settings", &python_text);
  m.def("set_threads", [](int n) { threads::set_limit(n); }, py::arg("n"));
  m.def("threads", [] { return threads::limit(); });
  m.def("available_cpus", [] { return threads::available_cpus(); });

  m.def("run", &run, py::arg("audio"), py::arg("sample_rate"), py::arg("score"), py::arg("options"), py::arg("mode"),
        py::arg("gains"), py::arg("progress"), py::arg("report_dir") = "", py::arg("report_parameters") = "", py::arg("call") = "",
        py::arg("transpositions") = std::vector<std::pair<std::string, std::string>>{});

  m.def(
      "align",
      [](const FloatArray& audio, int sample_rate, const ScoreColumns& score, py::dict options) {
        const Score s = score_of(score);
        const auto samples = audio_view(audio);
        std::string max_memory;
        const AlignOptions o = pipeline_options(options, "align", max_memory).alignment;  // the table's align settings
        Alignment al;
        {
          py::gil_scoped_release nogil;
          al = align_recording(samples, sample_rate, s, o);
        }
        return alignment_dict(al);
      },
      py::arg("audio"), py::arg("sample_rate"), py::arg("score"), py::arg("options") = py::dict());

  m.def(
      "read_score",
      [](const std::string& path, const std::string& label_by, bool pedal) {
        io::MidiOptions mo;
        mo.label_by = io::parse_label_by(label_by);  // InvalidArgument naming the accepted values
        mo.sustain_pedal = pedal;
        return score_dict(io::read_score(path, mo));
      },
      py::arg("path"), py::arg("label_by") = "auto", py::arg("pedal") = false);

  m.def(
      "stft",
      [](const FloatArray& x, int n_fft, int hop) {
        if (x.ndim() != 1) throw InvalidArgument("stft: expected a 1-D signal");
        if (x.shape(0) == 0) throw InvalidArgument("stft: the signal is empty");
        const Eigen::Map<const VectorXf> v(x.data(), static_cast<Index>(x.shape(0)));
        MatrixXcf X;
        {
          py::gil_scoped_release nogil;
          X = stft(v, {n_fft, hop});
        }
        return owned(std::move(X));
      },
      py::arg("x"), py::arg("n_fft"), py::arg("hop"));

  m.def(
      "istft",
      [](const py::array& X_in, int n_fft, int hop, Index length) {
        auto f = py::array_t<std::complex<float>, py::array::f_style | py::array::forcecast>::ensure(X_in);
        if (!f || f.ndim() != 2) throw InvalidArgument("istft: expected a 2-D complex array (bins, frames)");
        const MatrixXcf X = Eigen::Map<const MatrixXcf>(f.data(), static_cast<Index>(f.shape(0)), static_cast<Index>(f.shape(1)));
        const StftOptions o{n_fft, hop};
        if (X.rows() != o.bins()) throw InvalidArgument("istft: " + std::to_string(X.rows()) + " bins; n_fft " + std::to_string(n_fft) + " has " + std::to_string(o.bins()));
        if (length < 0) length = static_cast<Index>(hop) * (X.cols() - 1);
        VectorXf x;
        {
          py::gil_scoped_release nogil;
          x = istft(X, o, length);
        }
        return owned_vector(std::move(x));
      },
      py::arg("X"), py::arg("n_fft"), py::arg("hop"), py::arg("length"));

  m.def(
      "factorize",
      [](const py::array& V, const py::object& W, const py::object& H, Index rank, std::uint64_t seed, const std::string& loss,
         int iterations, double tol, double rel_loss_tol, const std::string& path, bool fix_w, bool fix_h, bool float64,
         const py::object& progress) {
        nmf::Options o;
        nmf::parse_divergence(loss, o);
        o.max_iterations = iterations;
        o.tol = tol;
        o.rel_loss_tol = rel_loss_tol;
        if (path != "auto" && path != "dense" && path != "sparse") throw InvalidArgument("path='" + path + "': expected 'auto', 'dense' or 'sparse'");
        o.path = path == "dense" ? nmf::Path::Dense : path == "sparse" ? nmf::Path::Sparse : nmf::Path::Auto;
        o.fix_w = fix_w;
        o.fix_h = fix_h;
        o.validate();
        return float64 ? factorize_as<double>(V, W, H, rank, seed, o, progress) : factorize_as<float>(V, W, H, rank, seed, o, progress);
      },
      py::arg("V"), py::arg("W"), py::arg("H"), py::arg("rank"), py::arg("seed"), py::arg("loss"), py::arg("iterations"),
      py::arg("tol"), py::arg("rel_loss_tol"), py::arg("path"), py::arg("fix_w"), py::arg("fix_h"), py::arg("float64"),
      py::arg("progress"));

  m.def(
      "bss_eval",
      [](const py::array& reference, const py::array& estimate, int filter_length) {
        const MatrixXd R = matrix_as<double>(reference, "reference"), E = matrix_as<double>(estimate, "estimate");
        if (R.rows() != E.rows() || R.cols() != E.cols())
          throw InvalidArgument("bss_eval: reference and estimate differ in shape");
        BssScores s;
        {
          py::gil_scoped_release nogil;
          s = bss_eval_sources(R, E, filter_length);
        }
        py::dict d;
        d["sdr"] = s.sdr;
        d["sir"] = s.sir;
        d["sar"] = s.sar;
        d["si_sdr"] = s.si_sdr;
        return d;
      },
      py::arg("reference"), py::arg("estimate"), py::arg("filter_length"));

  // Live separation (issue #36; live/live.hpp): blocks in, stems out, following the score; with
  // `out`, the files written as they grow by report::LiveFiles, the CLI's own code path.
  py::class_<PyLive>(m, "Live")
      .def(py::init([](const std::optional<ScoreColumns>& columns, const std::string& score_path, const std::string& label_by,
                       bool pedal, double sample_rate, int channels, double latency, const std::vector<std::string>& group_specs,
                       const std::string& out, bool overwrite, const std::vector<std::string>& minus,
                       const std::vector<std::string>& only) {
             auto p = std::make_unique<PyLive>();
             // A file is read here (not through columns): its bars come with it.
             Score s;
             if (columns) s = score_of(*columns);
             else {
               io::MidiOptions mo;
               mo.label_by = io::parse_label_by(label_by);
               mo.sustain_pedal = pedal;
               s = io::read_score(score_path, mo);
             }
             std::vector<GroupSpec> specs;
             for (const auto& g : group_specs) specs.push_back(parse_group_spec(g));
             if (specs.empty()) specs = label_group_specs(s);
             const Grouping groups = group_notes(s, specs);
             std::vector<report::LiveMix> mixes = report::live_mixes(groups, minus, only);
             if (out.empty() && !mixes.empty()) throw InvalidArgument("live: minus and only are mixes written to out (none given)");
             LiveOptions o = LiveOptions::tuned();
             o.latency_seconds = latency;
             p->live = std::make_unique<LiveSeparator>(s, groups, sample_rate, channels, o);
             p->score_path = score_path.empty() ? "score" : score_path;
             if (!out.empty())
               p->files = std::make_unique<report::LiveFiles>(out, groups, std::move(mixes), channels, static_cast<int>(sample_rate), overwrite);
             return p;
           }),
           py::arg("columns"), py::arg("score_path"), py::arg("label_by"), py::arg("pedal"), py::arg("sample_rate"),
           py::arg("channels"), py::arg("latency"), py::arg("groups"), py::arg("out"), py::arg("overwrite"), py::arg("minus"),
           py::arg("only"))
      .def("push",
           [](PyLive& p, const FloatArray& block) {
             LiveBlock b;
             {
               const auto view = audio_view(block);
               py::gil_scoped_release nogil;
               b = p.live->push(view);
               if (p.files) p.files->write(b, *p.live);
             }
             py::list stems;
             for (auto& st : b.stems) stems.append(owned_transposed(std::move(st)));
             return py::make_tuple(b.first, stems);
           })
      .def("finish",
           [](PyLive& p) {
             LiveBlock b;
             {
               py::gil_scoped_release nogil;
               if (p.files && !p.finished) {
                 // The files' finish takes the separator's last block: it is given back here too.
                 p.finished = true;
                 p.summary = p.files->finish(*p.live, "the stream", p.score_path, &b);
               } else {
                 b = p.live->finish();
               }
             }
             py::list stems;
             for (auto& st : b.stems) stems.append(owned_transposed(std::move(st)));
             return py::make_tuple(b.first, stems);
           })
      .def_property_readonly("summary", [](const PyLive& p) -> py::object {
        if (!p.finished) return py::none();
        py::dict d;
        d["notes"] = p.summary.notes;
        d["notes_passed"] = p.summary.notes_passed;
        d["mean_confidence"] = p.summary.mean_confidence;
        d["lost"] = p.summary.lost;
        d["files"] = p.summary.files;
        return d;
      })
      .def_property_readonly("names", [](const PyLive& p) { return p.live->groups().names; })
      .def_property_readonly("latency_samples", [](const PyLive& p) { return p.live->latency_samples(); })
      .def_property_readonly("hop", [](const PyLive& p) { return p.live->hop(); })
      .def_property_readonly("position", [](const PyLive& p) {
        const FollowerState& st = p.live->follower().state();
        py::dict d;
        d["audio_time"] = st.audio_time;
        d["score_time"] = st.score_time;
        d["bar"] = st.bar;
        d["beat"] = st.beat;
        d["tempo"] = st.tempo;
        d["confidence"] = st.confidence;
        d["lost"] = st.lost;
        return d;
      })
      .def_property_readonly("onsets", [](const PyLive& p) { return p.live->follower().onsets(); });
}
