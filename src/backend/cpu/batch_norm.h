#pragma once
// Batch-norm kernels. A contiguous input is seen as (N, C, S): C channels, each normalised over
// its N * S elements (S = 1 for (N, C), H * W for (N, C, H, W)). Per-channel results are double
// vectors of length C; the caller folds them into the few per-channel constants each pass needs.

#include <cstdint>
#include <vector>

#include "soma/tensor.h"

namespace soma::backend::cpu {

struct ChannelDims {
    std::int64_t n = 1, c = 1, s = 1;
};

// x: (N, C, *) -> (N, C, S); x need not be contiguous for this.
ChannelDims channel_dims(const Tensor& x);

// Per-channel mean and biased variance of contiguous x (two passes, double accumulation).
void channel_mean_var(const Tensor& x, const ChannelDims& d, std::vector<double>& mean,
                      std::vector<double>& var);

// out = (x - centre[c]) * scale[c] + shift[c], plus g * scale_g[c] when g is defined. x, g:
// contiguous, same shape; out is a new contiguous tensor. Serves the forward
// (y = (x - mean) invstd w + b) and the input gradient (gx = (x - mean) k2 + k3 + gy k1);
// centring before scaling keeps float precision when |mean| >> std.
Tensor channel_affine(const Tensor& x, const std::vector<double>& centre,
                      const std::vector<double>& scale, const std::vector<double>& shift,
                      const ChannelDims& d, const Tensor& g = Tensor(),
                      const std::vector<double>& scale_g = {});

// sum_gy[c] = sum of gy, sum_gy_xc[c] = sum of gy * (x - centre[c]), over channel c's elements.
// gy, x: contiguous, same shape.
void channel_grad_sums(const Tensor& gy, const Tensor& x, const std::vector<double>& centre,
                       const ChannelDims& d, std::vector<double>& sum_gy,
                       std::vector<double>& sum_gy_xc);

}  // namespace soma::backend::cpu
