// notewise factorize: NMF of any nonnegative matrix given as .npy.
#include <chrono>
#include <filesystem>
#include <tuple>
#include <nlohmann/json.hpp>
#include <sstream>

#include "run_input.hpp"
#include "notewise/core/error.hpp"
#include "notewise/io/atomic_file.hpp"
#include "notewise/io/npy.hpp"
#include "notewise/io/output_run.hpp"
#include "notewise/nmf/nmf.hpp"
#include "notewise/version.hpp"
#include "progress.hpp"

namespace notewise::cli {
namespace {

template <class T>
void run(const MatrixXf& Vf, const MatrixXf* W0f, const MatrixXf* H0f, Index rank, std::uint64_t seed,
         const nmf::Options& o, const std::string& dir, const Globals& g) {
  const Matrix<T> V = Vf.cast<T>();
  const Index K = V.rows(), N = V.cols();
  Matrix<T> W0, H0;
  if (!W0f || !H0f) std::tie(W0, H0) = nmf::random_start<T>(V, rank, seed);  // scaled to V's level
  if (W0f) W0 = W0f->cast<T>();
  if (H0f) H0 = H0f->cast<T>();
  ProgressBar bar("factorize", g.quiet);
  const auto t0 = std::chrono::steady_clock::now();
  const nmf::Result<T> r = nmf::factorize<T>(V, std::move(W0), std::move(H0), o, [&](const nmf::Progress& p) {
    char loss[48];
    std::snprintf(loss, sizeof loss, "loss %.4g", p.loss);
    bar.update(p.iteration, std::max(1, p.max_iterations), "it", loss);
    return true;
  });
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  bar.finish();
  const auto path = [&](const char* f) { return (std::filesystem::path(dir) / f).string(); };
  io::write_npy(path("W.npy"), r.W.template cast<float>(), g.force);
  io::write_npy(path("H.npy"), r.H.template cast<float>(), g.force);
  io::write_text(path("loss.csv"), loss_csv(r.initial_loss, r.loss), g.force);
  info(g.quiet, "wrote W.npy (" + std::to_string(K) + "x" + std::to_string(r.W.cols()) + "), H.npy (" +
                    std::to_string(r.H.rows()) + "x" + std::to_string(N) + "), loss.csv: " +
                    std::to_string(r.iterations) + " iterations in " + format_seconds(seconds) + ", " +
                    (r.sparse_path ? "sparse" : "dense") + " path, final loss " +
                    std::to_string(r.loss.empty() ? r.initial_loss : r.loss.back()) +
                    (r.converged ? " (converged)" : ""));
}

}  // namespace

void add_factorize_command(CLI::App& app, Globals& globals) {
  struct Args {
    std::string v, out, init_w, init_h, loss = "euclidean", path = "auto", norm = "frobenius";
    Index rank = 0;
    std::uint64_t seed = 0;
    bool fix_w = false, fix_h = false, float64 = false;
    nmf::Options o;
  };
  auto a = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("factorize", "Nonnegative matrix factorisation V ~ W H of a .npy matrix");
  cmd->footer(
      "Nonnegative matrix factorisation V ~ W H by multiplicative updates (Lee & Seung).\n"
      "V.npy: K x N nonnegative matrix (e.g. the V.npy of 'notewise spectrogram').\n"
      "Writes DIR/W.npy (K x R), DIR/H.npy (R x N), float32, and DIR/loss.csv (iteration,loss;\n"
      "row 0 is the start). Zeros in --init-w/--init-h stay exactly zero (constraints).\n"
      "Example: notewise factorize V.npy --rank 20 --loss kl --iterations 200 --out nmf/");
  cmd->add_option("V", a->v, "Matrix to factorise (.npy, float32 or float64, 2-D, nonnegative)")->required();
  cmd->add_option("-o,--out", a->out, "Output folder (created if needed)")->required();
  cmd->add_option("-r,--rank", a->rank, "Number of templates R (taken from --init-w/--init-h if given)");
  cmd->add_option("--init-w", a->init_w, "Start for W (.npy, K x R)");
  cmd->add_option("--init-h", a->init_h, "Start for H (.npy, R x N)");
  cmd->add_flag("--fix-w", a->fix_w, "Keep W fixed (supervised: learn H only)");
  cmd->add_flag("--fix-h", a->fix_h, "Keep H fixed (learn W only)");
  cmd->add_option("--loss", a->loss,
                  "euclidean | kl | is | beta=B (B in [0, 2]). Euclidean by default, as scikit-learn's NMF, for a matrix of "
                  "any kind; separate and decompose default to kl, the divergence for magnitude spectrograms")->capture_default_str();
  cmd->add_option("-n,--iterations", a->o.max_iterations,
                  "Iteration cap (more than separate's 50: a random start is further from the optimum than a score's)")->capture_default_str()->check(CLI::NonNegativeNumber);
  cmd->add_option("--tol", a->o.tol,
                  "Stop when both ||H_l - H_(l-1)|| and ||W_l - W_(l-1)|| are <= tol (0: off)")
      ->capture_default_str()->check(CLI::NonNegativeNumber);
  cmd->add_option("--tol-norm", a->norm, "Norm of the tol rule: frobenius | spectral")
      ->capture_default_str()->check(CLI::IsMember({"frobenius", "spectral"}));
  cmd->add_option("--rel-loss-tol", a->o.rel_loss_tol, "Stop when the loss falls by less than this fraction (0: off)")
      ->capture_default_str()->check(CLI::NonNegativeNumber);
  cmd->add_option("--seed", a->seed, "Seed of the random start")->capture_default_str();
  cmd->add_option("--path", a->path, "auto | dense | sparse (sparse: cost follows the nonzeros of the start)")
      ->capture_default_str()->check(CLI::IsMember({"auto", "dense", "sparse"}));
  cmd->add_flag("--float64", a->float64, "Compute in double precision (default float32)");
  cmd->callback([a, &globals] {
    nmf::Options o = a->o;
    validate_options([&] {
      set_divergence(a->loss, o);
      o.fix_w = a->fix_w;
      o.fix_h = a->fix_h;
      o.stop_norm = a->norm == "spectral" ? nmf::StopNorm::Spectral : nmf::StopNorm::Frobenius;
      o.path = a->path == "dense" ? nmf::Path::Dense : a->path == "sparse" ? nmf::Path::Sparse : nmf::Path::Auto;
      o.validate();
      if (a->init_w.empty() && a->init_h.empty() && a->rank < 1)
        throw InvalidArgument("--rank: required (>= 1) unless --init-w or --init-h is given");
      if ((a->fix_w && a->init_w.empty()) || (a->fix_h && a->init_h.empty()))
        throw InvalidArgument("--fix-w/--fix-h need the matching --init-w/--init-h");
    });
    const auto out = prepare_outputs(a->out, {"W.npy", "H.npy", "loss.csv"}, globals);
    const MatrixXf V = io::read_npy(a->v);
    if (V.minCoeff() < 0) throw ParseError(a->v, 0, "holds negative values; NMF needs a nonnegative matrix");
    MatrixXf W0, H0;
    Index rank = a->rank;
    if (!a->init_w.empty()) {
      W0 = io::read_npy(a->init_w);
      if (W0.rows() != V.rows())
        throw ParseError(a->init_w, 0, "has " + std::to_string(W0.rows()) + " rows; V has " + std::to_string(V.rows()));
      if (rank > 0 && W0.cols() != rank)
        throw ParseError(a->init_w, 0, "has " + std::to_string(W0.cols()) + " columns; --rank is " + std::to_string(rank));
      rank = W0.cols();
    }
    if (!a->init_h.empty()) {
      H0 = io::read_npy(a->init_h);
      if (H0.cols() != V.cols())
        throw ParseError(a->init_h, 0, "has " + std::to_string(H0.cols()) + " columns; V has " + std::to_string(V.cols()));
      if (rank > 0 && H0.rows() != rank)
        throw ParseError(a->init_h, 0, "has " + std::to_string(H0.rows()) + " rows; the rank is " + std::to_string(rank));
      rank = H0.rows();
    }
    for (const auto& [file, m] : {std::pair{a->init_w, &W0}, std::pair{a->init_h, &H0}})
      if (!file.empty() && m->minCoeff() < 0) throw ParseError(file, 0, "holds negative values");
    const MatrixXf* w = a->init_w.empty() ? nullptr : &W0;
    const MatrixXf* h = a->init_h.empty() ? nullptr : &H0;
    if (a->float64) run<double>(V, w, h, rank, a->seed, o, out->staging(), globals);
    else run<float>(V, w, h, rank, a->seed, o, out->staging(), globals);
    out->commit("loss.csv");
  });
}

}  // namespace notewise::cli
