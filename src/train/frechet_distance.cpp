// The Fréchet distance between two Gaussians, in float64 through BLAS and LAPACK.
//
// Tr((Σa Σb)^½) is taken from symmetric eigen-decompositions only, which stay accurate where
// the general square root of the non-symmetric Σa Σb (scipy's sqrtm in pytorch-fid) can turn
// complex or lose digits: with Σa = V Λ Vᵀ, Σa Σb is similar to Λ^½ (Vᵀ Σb V) Λ^½, a symmetric
// positive semi-definite matrix, so the trace is the sum of the square roots of its eigenvalues
// (negative ones are rounding around 0 and count as 0).

#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "soma/error.h"
#include "soma/train/generative_metrics.h"

// LAPACK's symmetric eigensolver (divide and conquer), exported by OpenBLAS; lapacke.h is not
// installed with it, so the Fortran symbol is declared here. The trailing lengths are the
// hidden lengths of the two character arguments that gfortran passes.
extern "C" void dsyevd_(const char* jobz, const char* uplo, const int* n, double* a, const int* lda,
                        double* w, double* work, const int* lwork, int* iwork, const int* liwork,
                        int* info, std::size_t jobz_len, std::size_t uplo_len);

namespace soma::train {

namespace {

// Eigenvalues (ascending) of the symmetric n x n matrix `a`; with vectors, `a` is overwritten
// by the eigenvectors, one per row (LAPACK's column-major columns, read row-major).
std::vector<double> eigh(std::vector<double>& a, int n, bool vectors) {
    std::vector<double> w(n);
    const char jobz = vectors ? 'V' : 'N', uplo = 'U';
    int info = 0, lwork = -1, liwork = -1, iwork_size = 0;
    double work_size = 0;
    dsyevd_(&jobz, &uplo, &n, a.data(), &n, w.data(), &work_size, &lwork, &iwork_size, &liwork,
            &info, 1, 1);  // asks for the workspace sizes
    check(info == 0, "frechet_distance: dsyevd workspace query failed (info ", info, ")");
    lwork = static_cast<int>(work_size);
    liwork = iwork_size;
    std::vector<double> work(std::max(lwork, 1));
    std::vector<int> iwork(std::max(liwork, 1));
    dsyevd_(&jobz, &uplo, &n, a.data(), &n, w.data(), work.data(), &lwork, iwork.data(), &liwork,
            &info, 1, 1);
    check(info == 0, "frechet_distance: the eigen-decomposition did not converge (dsyevd info ",
          info, ")");
    return w;
}

}  // namespace

GaussianStats gaussian_stats(const Tensor& features) {
    check(features.dim() == 2, "frechet_distance: features must be (N, D), got ", features.shape());
    const std::int64_t n = features.size(0), d = features.size(1);
    check(n >= 2, "frechet_distance: a covariance needs at least 2 samples, got ", n);
    check(d >= 1, "frechet_distance: features have no dimensions");
    // x: (N, D) float64, centred in place below.
    std::vector<double> x = features.contiguous().to_vector<double>();
    GaussianStats s{zeros({d}, kFloat64), zeros({d, d}, kFloat64)};
    double* mean = s.mean.data<double>();
    for (std::int64_t i = 0; i < n; ++i)
        for (std::int64_t j = 0; j < d; ++j) mean[j] += x[i * d + j];
    for (std::int64_t j = 0; j < d; ++j) {
        mean[j] /= static_cast<double>(n);
        check(std::isfinite(mean[j]), "frechet_distance: features hold inf or NaN");
    }
    for (std::int64_t i = 0; i < n; ++i)
        for (std::int64_t j = 0; j < d; ++j) x[i * d + j] -= mean[j];
    // cov = xᵀ x / (N − 1): the upper triangle by dsyrk, mirrored.
    double* cov = s.cov.data<double>();
    cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, static_cast<int>(d), static_cast<int>(n),
                1.0 / static_cast<double>(n - 1), x.data(), static_cast<int>(d), 0.0, cov,
                static_cast<int>(d));
    for (std::int64_t j = 0; j < d; ++j)
        for (std::int64_t k = 0; k < j; ++k) cov[j * d + k] = cov[k * d + j];
    return s;
}

double frechet_distance(const GaussianStats& a, const GaussianStats& b) {
    check(a.mean.dim() == 1 && b.mean.dim() == 1, "frechet_distance: malformed statistics");
    const std::int64_t d = a.mean.size(0);
    check(b.mean.size(0) == d, "frechet_distance: the feature sets have ", d, " and ",
          b.mean.size(0), " dimensions");
    const int n = static_cast<int>(d);
    const double* mu_a = a.mean.data<double>();
    const double* mu_b = b.mean.data<double>();
    double result = 0;
    for (std::int64_t j = 0; j < d; ++j)
        result += (mu_a[j] - mu_b[j]) * (mu_a[j] - mu_b[j]) + a.cov.data<double>()[j * d + j] +
                  b.cov.data<double>()[j * d + j];

    // Σa = Vᵀ Λ V with the eigenvectors as rows of V (eigh's layout).
    std::vector<double> v = a.cov.contiguous().to_vector<double>();
    const std::vector<double> lambda = eigh(v, n, true);
    // c = V Σb Vᵀ, then m = Λ^½ c Λ^½.
    std::vector<double> tmp(d * d), m(d * d);
    const std::vector<double> cov_b = b.cov.contiguous().to_vector<double>();
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0, v.data(), n, cov_b.data(),
                n, 0.0, tmp.data(), n);
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, n, n, 1.0, tmp.data(), n, v.data(), n,
                0.0, m.data(), n);
    std::vector<double> root(d);
    for (std::int64_t j = 0; j < d; ++j) root[j] = std::sqrt(std::max(lambda[j], 0.0));
    for (std::int64_t j = 0; j < d; ++j)
        for (std::int64_t k = 0; k < d; ++k) m[j * d + k] *= root[j] * root[k];
    double trace_sqrt = 0;
    for (double mu : eigh(m, n, false)) trace_sqrt += std::sqrt(std::max(mu, 0.0));
    return result - 2 * trace_sqrt;
}

double frechet_distance(const Tensor& features_a, const Tensor& features_b) {
    check(features_a.dim() == 2 && features_b.dim() == 2,
          "frechet_distance: features must be (N, D) and (M, D), got ", features_a.shape(), " and ",
          features_b.shape());
    check(features_a.size(1) == features_b.size(1), "frechet_distance: the feature sets have ",
          features_a.size(1), " and ", features_b.size(1), " dimensions");
    return frechet_distance(gaussian_stats(features_a), gaussian_stats(features_b));
}

}  // namespace soma::train
