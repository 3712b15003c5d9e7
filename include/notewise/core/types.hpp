#pragma once
// Shared matrix types. Conventions used throughout notewise:
//   spectrogram  V: bins x frames (column = one frame, contiguous in memory)
//   templates    W: bins x templates
//   activations  H: templates x frames
//   audio        samples x channels, float in [-1, 1] (full scale = 1)
#include <Eigen/Dense>
#include <complex>

namespace notewise {

using MatrixXf = Eigen::MatrixXf;
using MatrixXd = Eigen::MatrixXd;
using MatrixXcf = Eigen::MatrixXcf;
using VectorXf = Eigen::VectorXf;
using VectorXd = Eigen::VectorXd;
using Index = Eigen::Index;

template <class T>
using Matrix = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>;

}  // namespace notewise
