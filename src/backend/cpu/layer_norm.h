#pragma once
// Layer-norm kernels. A contiguous input is seen as (R, M): R rows (every leading index), each
// normalised over its M = prod(normalized_shape) values. Per-row statistics are double vectors
// of length R; the affine weight and bias are (M) tensors or undefined.

#include <cstdint>
#include <vector>

#include "soma/tensor.h"

namespace soma::backend::cpu {

struct RowDims {
    std::int64_t rows = 1, cols = 1;
};

// y = (x - mean_r) * rstd_r * weight + bias for each row r, rstd_r = 1 / sqrt(var_r + eps) with
// the biased variance (two passes, double accumulation). x: contiguous (R, M) -> y contiguous,
// x's shape; mean and rstd are filled for the backward.
Tensor layer_norm_forward(const Tensor& x, const Tensor& weight, const Tensor& bias,
                          const RowDims& d, double eps, std::vector<double>& mean,
                          std::vector<double>& rstd);

// The input gradient gx = rstd (g - mean(g) - xhat mean(g xhat)) per row, g = gy * weight and
// xhat = (x - mean) rstd. gy, x: contiguous, same shape -> gx of that shape.
Tensor layer_norm_backward_input(const Tensor& gy, const Tensor& x, const Tensor& weight,
                                 const std::vector<double>& mean, const std::vector<double>& rstd,
                                 const RowDims& d);

// Column sums over the rows: sum_gy_xhat[m] = sum_r gy xhat, sum_gy[m] = sum_r gy (the weight
// and bias gradients).
void layer_norm_backward_affine(const Tensor& gy, const Tensor& x, const std::vector<double>& mean,
                                const std::vector<double>& rstd, const RowDims& d,
                                std::vector<double>& sum_gy_xhat, std::vector<double>& sum_gy);

}  // namespace soma::backend::cpu
