#include "notewise/eval/bss_eval.hpp"

#include <cmath>
#include <limits>

#include "notewise/core/error.hpp"
#include "notewise/core/fft.hpp"

namespace notewise {
namespace {

using Spectrum = Eigen::VectorXcd;

double safe_db(double num, double den) {
  if (den == 0) return std::numeric_limits<double>::infinity();
  if (num == 0) return -std::numeric_limits<double>::infinity();
  return 10 * std::log10(num / den);
}

// Everything about the references that every projection reuses: their spectra at a length
// that makes circular correlation and convolution linear, and their pairwise correlations.
class Projector {
 public:
  Projector(const MatrixXd& refs, int flen) : refs_(refs), flen_(flen) {
    const Index n = refs.cols();
    nfft_ = 1;
    while (nfft_ < n + flen - 1) nfft_ *= 2;
    fft_ = std::make_unique<RealFftD>(static_cast<int>(nfft_));
    for (Index i = 0; i < refs.rows(); ++i) spectra_.push_back(spectrum(refs.row(i).transpose()));
    const Index S = refs.rows();
    corr_.resize(S * S);
    for (Index i = 0; i < S; ++i)
      for (Index j = 0; j < S; ++j) corr_[i * S + j] = correlate(spectra_[i], spectra_[j]);
  }

  // The projection of `est_spectrum` onto delayed copies of the references in `which`,
  // length n + flen - 1 (mir_eval's _project).
  VectorXd project(const std::vector<Index>& which, const Spectrum& est_spectrum) const {
    const Index S = refs_.rows(), m = static_cast<Index>(which.size()), L = flen_;
    MatrixXd G(m * L, m * L);
    VectorXd D(m * L);
    for (Index a = 0; a < m; ++a) {
      for (Index b = 0; b < m; ++b) {
        const VectorXd& c = corr_[which[a] * S + which[b]];  // c[t] = sum_u r_a[u + t] r_b[u]
        for (Index p = 0; p < L; ++p)
          for (Index q = 0; q < L; ++q) G(a * L + p, b * L + q) = c[(q - p + nfft_) % nfft_];
      }
      const VectorXd d = correlate(spectra_[which[a]], est_spectrum);
      for (Index p = 0; p < L; ++p) D(a * L + p) = d[(nfft_ - p) % nfft_];
    }
    const VectorXd C = G.partialPivLu().solve(D);
    // sum_a conv(C_a, r_a), through the spectra (nfft >= n + flen - 1 keeps it linear).
    Spectrum acc = Spectrum::Zero(nfft_ / 2 + 1);
    for (Index a = 0; a < m; ++a) {
      VectorXd padded = VectorXd::Zero(nfft_);
      padded.head(L) = C.segment(a * L, L);
      acc += spectrum(padded).cwiseProduct(spectra_[which[a]]);
    }
    VectorXd out(nfft_);
    fft_->inverse(acc.data(), out.data());
    return out.head(refs_.cols() + L - 1);
  }

  Spectrum spectrum(const VectorXd& x) const {
    VectorXd padded = VectorXd::Zero(nfft_);
    padded.head(x.size()) = x;
    Spectrum s(nfft_ / 2 + 1);
    fft_->forward(padded.data(), s.data());
    return s;
  }

 private:
  VectorXd correlate(const Spectrum& a, const Spectrum& b) const {
    const Spectrum p = a.cwiseProduct(b.conjugate());
    VectorXd out(nfft_);
    fft_->inverse(p.data(), out.data());
    return out;
  }

  const MatrixXd& refs_;
  Index flen_, nfft_ = 1;
  std::unique_ptr<RealFftD> fft_;
  std::vector<Spectrum> spectra_;
  std::vector<VectorXd> corr_;
};

}  // namespace

double si_sdr(const Eigen::Ref<const VectorXd>& s, const Eigen::Ref<const VectorXd>& e) {
  if (s.size() != e.size()) throw InvalidArgument("si_sdr: reference and estimate differ in length");
  const double eps = 1e-12;  // as the reference scorer, so silent signals give finite numbers
  const double a = e.dot(s) / (s.dot(s) + eps);
  const VectorXd t = a * s;
  return 10 * std::log10((t.squaredNorm() + eps) / ((e - t).squaredNorm() + eps));
}

BssScores bss_eval_sources(const MatrixXd& refs, const MatrixXd& ests, int flen) {
  if (refs.rows() == 0 || refs.cols() == 0) throw InvalidArgument("bss_eval: no reference signal");
  if (refs.rows() != ests.rows() || refs.cols() != ests.cols())
    throw InvalidArgument("bss_eval: references are " + std::to_string(refs.rows()) + " x " + std::to_string(refs.cols()) +
                          ", estimates " + std::to_string(ests.rows()) + " x " + std::to_string(ests.cols()));
  require(flen >= 1 && flen <= refs.cols(), "filter_length", flen, "in 1 .. number of samples");
  if (!refs.allFinite() || !ests.allFinite()) throw InvalidArgument("bss_eval: signals hold NaN or Inf");
  for (Index i = 0; i < refs.rows(); ++i)
    if (refs.row(i).squaredNorm() == 0) throw InvalidArgument("bss_eval: reference " + std::to_string(i) + " is silent");
  const Index S = refs.rows(), n = refs.cols();
  const Projector proj(refs, flen);
  std::vector<Index> all(static_cast<std::size_t>(S));
  for (Index i = 0; i < S; ++i) all[static_cast<std::size_t>(i)] = i;
  BssScores out;
  for (Index j = 0; j < S; ++j) {
    const VectorXd est = ests.row(j).transpose();
    const Spectrum es = proj.spectrum(est);
    VectorXd s_true = VectorXd::Zero(n + flen - 1);
    s_true.head(n) = refs.row(j).transpose();
    const VectorXd e_spat = proj.project({j}, es) - s_true;
    const VectorXd e_interf = proj.project(all, es) - s_true - e_spat;
    VectorXd e_artif = -s_true - e_spat - e_interf;
    e_artif.head(n) += est;
    const VectorXd s_filt = s_true + e_spat;
    out.sdr.push_back(safe_db(s_filt.squaredNorm(), (e_interf + e_artif).squaredNorm()));
    out.sir.push_back(safe_db(s_filt.squaredNorm(), e_interf.squaredNorm()));
    out.sar.push_back(safe_db((s_filt + e_interf).squaredNorm(), e_artif.squaredNorm()));
    out.si_sdr.push_back(si_sdr(refs.row(j).transpose(), est));
  }
  return out;
}

}  // namespace notewise
