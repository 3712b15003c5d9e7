// Calls one function of every installed library (layer), so that a consumer that links through
// find_package(notewise) or `pkg-config --libs notewise` fails to link if a layer is missing
// from either. Prints one line per layer; the test compares the two builds' output.
// Argument: a folder to write one small .npy file into.
#include <cmath>
#include <cstdio>
#include <string>

#include "notewise/align/dtw.hpp"
#include "notewise/core/stft.hpp"
#include "notewise/eval/bss_eval.hpp"
#include "notewise/io/npy.hpp"
#include "notewise/mosaic/mosaic.hpp"
#include "notewise/nae/nae.hpp"
#include "notewise/nmf/nmf.hpp"
#include "notewise/pipeline/pipeline.hpp"
#include "notewise/plot/figure.hpp"
#include "notewise/report/viewer.hpp"
#include "notewise/score/score.hpp"
#include "notewise/separation/groups.hpp"
#include "notewise/separation/pitch_edit.hpp"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: every_layer FOLDER\n");
    return 2;
  }
  using namespace notewise;
  const VectorXf window = hann_periodic(8);                                            // core
  std::printf("core %.3f\n", window.sum());
  const MatrixXf W = nmf::random_matrix<float>(4, 2, 7);                              // nmf
  const MatrixXf H = nmf::random_matrix<float>(2, 5, 8);
  std::printf("nmf %.0f\n", static_cast<double>(W.rows() * H.cols()));
  const MatrixXf V = W * H, mask = MatrixXf::Ones(2, 5);
  const auto model = nae::initial_model<float>(W, V, mask);                           // nae
  std::printf("nae %d\n", std::isfinite(nae::loss<float>(model, V, mask)) ? 1 : 0);
  std::printf("score %.1f\n", pitch_to_hz(69));                                       // score
  Note note;
  note.pitch = 72;
  std::printf("separation %d\n", parse_selection("pitch>=60")(note) ? 1 : 0);         // separation
  std::printf("align %zu\n", dtw(MatrixXf::Ones(3, 3)).size());                       // align
  MatrixXf stereo(4, 2);
  stereo << 1, 3, 1, 3, 1, 3, 1, 3;
  const auto source = [&](Index start, Eigen::Ref<MatrixXf> out) { out = stereo.middleRows(start, out.rows()); };
  std::printf("pipeline %.1f\n", analysis_signal(source, 4, 2, 22050, 22050).sum());  // pipeline
  const MatrixXf tone = MatrixXf::Zero(22050, 1);
  std::printf("edit %ld\n", static_cast<long>(pitch_shift(tone, 22050, 2).rows()));   // edit
  std::printf("mosaic %ld\n", static_cast<long>(mosaic::enhance_continuity(H, 2).cols()));  // mosaic
  const Eigen::VectorXd ref = Eigen::VectorXd::LinSpaced(100, -1, 1);
  std::printf("eval %d\n", si_sdr(ref, ref) > 100 ? 1 : 0);                          // eval
  std::printf("plot %.2f\n", plot::colour(plot::Colormap::Viridis, 2.0)[0] >= 0 ? 1.0 : 0.0);  // plot
  const std::string npy = std::string(argv[1]) + "/v.npy";
  io::write_npy(npy, V, true);                                                         // io
  std::printf("io %d\n", io::read_npy(npy).isApprox(V) ? 1 : 0);
  std::printf("report %d\n", report::html_escape("<a>") == "&lt;a&gt;" ? 1 : 0);         // report
  return 0;
}
