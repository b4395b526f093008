// interpolate: nearest and (bi/tri)linear resampling, like torch.nn.functional.interpolate.
//
// Every output is a fixed weighted sum of inputs, so the op is linear in x: its backward
// scatters the output gradient with the same weights (resample_backward), and the backward of
// that is the forward again. This file turns the arguments into those indices and weights, with
// PyTorch's formulas so that the same input positions are picked.

#include <algorithm>
#include <cmath>
#include <memory>
#include <sstream>

#include "backend/cpu/resample.h"
#include "ops/spatial.h"
#include "soma/ops.h"

namespace soma {

using autograd::Grads;
using autograd::record;
using backend::cpu::Resample1d;

namespace {

struct ResampleSpec {
    backend::cpu::Resampling r;
    Shape x_shape, y_shape;
};
using SpecPtr = std::shared_ptr<const ResampleSpec>;

Tensor resample_backward_op(const Tensor& gy, const SpecPtr& s);

// x: (N, C, *in) -> (N, C, *out)
Tensor resample_op(const Tensor& x, const SpecPtr& s) {
    Tensor y = backend::cpu::resample_forward(x, s->r, s->y_shape);
    return record(
        "UpsampleBackward", y, {x},
        [s](const Tensor& gy) { return Grads{resample_backward_op(gy, s)}; },
        autograd::kSavesNothing);
}

// gy: (N, C, *out) -> (N, C, *in)
Tensor resample_backward_op(const Tensor& gy, const SpecPtr& s) {
    Tensor gx = backend::cpu::resample_backward(gy, s->r, s->x_shape);
    return record(
        "UpsampleBackwardBackward", gx, {gy},
        [s](const Tensor& h) { return Grads{resample_op(h, s)}; }, autograd::kSavesNothing);
}

// Output o copies input floor(o * scale). PyTorch's forward computes scale and the product in
// the input's precision (float for float32), then rounds the product to float before the
// floor; so do we, or a product that rounds across an integer picks a neighbouring input.
// (PyTorch's backward works in float throughout and can disagree with its own float64
// forward, e.g. for 26 -> 22; ours is the exact adjoint of the forward.)
template <class T>
Resample1d nearest(std::int64_t in, std::int64_t out, std::optional<double> scale_factor) {
    const T scale = scale_factor ? static_cast<T>(1.0 / *scale_factor)
                                 : static_cast<T>(in) / static_cast<T>(out);
    Resample1d r;
    r.taps = 1;
    r.index[0].resize(out);
    r.weight[0].assign(out, 1.0);
    for (std::int64_t o = 0; o < out; ++o) {
        const float src = static_cast<float>(scale * static_cast<T>(o));
        r.index[0][o] = std::min(static_cast<std::int64_t>(std::floor(src)), in - 1);
    }
    return r;
}

// Output o sits at source position src between inputs i0 = floor(src) and i0 + 1 (i0 itself at
// the last input) and takes (1 - l) * x[i0] + l * x[i0 + 1], l = src - i0.
Resample1d linear(std::int64_t in, std::int64_t out, bool align_corners,
                  std::optional<double> scale_factor) {
    double scale;
    if (align_corners)
        scale = out > 1 ? static_cast<double>(in - 1) / static_cast<double>(out - 1) : 0.0;
    else
        scale =
            scale_factor ? 1.0 / *scale_factor : static_cast<double>(in) / static_cast<double>(out);
    Resample1d r;
    r.taps = 2;
    for (int t = 0; t < 2; ++t) {
        r.index[t].resize(out);
        r.weight[t].resize(out);
    }
    for (std::int64_t o = 0; o < out; ++o) {
        const double od = static_cast<double>(o);
        const double src = align_corners ? scale * od : std::max(scale * (od + 0.5) - 0.5, 0.0);
        const std::int64_t i0 = std::min(static_cast<std::int64_t>(src), in - 1);
        const double l = std::clamp(src - static_cast<double>(i0), 0.0, 1.0);
        r.index[0][o] = i0;
        r.index[1][o] = i0 + (i0 < in - 1 ? 1 : 0);
        r.weight[0][o] = 1.0 - l;
        r.weight[1][o] = l;
    }
    return r;
}

// The number of spatial dims a mode needs (0: nearest, any of 1 to 3); throws for others.
int mode_dims(const std::string& mode) {
    if (mode == "nearest") return 0;
    if (mode == "linear") return 1;
    if (mode == "bilinear") return 2;
    if (mode == "trilinear") return 3;
    fail("interpolate: unknown mode '", mode,
         "' (use 'nearest', 'linear', 'bilinear' or 'trilinear')");
}

// "2" or "(2, 1.5)", like SpatialArg::str.
std::string factors_str(const std::vector<double>& v) {
    std::ostringstream os;
    if (v.size() != 1) os << '(';
    for (std::size_t i = 0; i < v.size(); ++i) os << (i ? ", " : "") << v[i];
    if (v.size() != 1) os << ')';
    return os.str();
}

const char* layout(int nd) {
    return nd == 1 ? "(N, C, L)" : nd == 2 ? "(N, C, H, W)" : "(N, C, D, H, W)";
}

}  // namespace

Tensor interpolate(const Tensor& x, const InterpolateOptions& o) {
    const char* op = "interpolate";
    using ops_detail::dims_str;
    ops_detail::check_defined(x, op);
    dispatch(x.dtype(), op, [](auto) {});
    const int want = mode_dims(o.mode);
    const bool is_nearest = want == 0;
    if (is_nearest)
        check(x.dim() >= 3 && x.dim() <= 5, op,
              ": mode 'nearest' needs a 3-D (N, C, L), 4-D (N, C, H, W) or 5-D (N, C, D, H, W) "
              "input, got shape ",
              x.shape());
    else
        check(x.dim() == want + 2, op, ": mode '", o.mode, "' needs a ", want + 2, "-D ",
              layout(want), " input, got shape ", x.shape());
    check(!(is_nearest && o.align_corners.has_value()), op,
          ": align_corners applies only to the linear modes (linear, bilinear, trilinear), not "
          "to 'nearest'");
    const bool has_size = !o.size.empty(), has_scale = !o.scale_factor.empty();
    check(
        has_size != has_scale, op,
        has_size ? ": give either size or scale_factor, not both" : ": give size or scale_factor");
    const int nd = x.dim() - 2;
    std::vector<std::int64_t> in = ops_detail::spatial_sizes(x), out(nd);
    for (int d = 0; d < nd; ++d)
        check(in[d] > 0, op, ": input of shape ", x.shape(), " has an empty spatial dimension");

    std::vector<std::optional<double>> scale(nd);
    if (has_size) {
        out = ops_detail::expand_checked(o.size, nd, op, "size", 1);
    } else {
        const std::size_t n = o.scale_factor.size();
        check(n == 1 || static_cast<int>(n) == nd, op, ": scale_factor needs ",
              nd > 1 ? "1 or " + std::to_string(nd) + " values" : std::string("1 value"),
              " for input of shape ", x.shape(), ", got ", n);
        for (int d = 0; d < nd; ++d) {
            const double f = o.scale_factor[n == 1 ? 0 : d];
            check(std::isfinite(f) && f > 0, op, ": scale_factor must be positive and finite, got ",
                  factors_str(o.scale_factor));
            scale[d] = f;
            out[d] = static_cast<std::int64_t>(std::floor(static_cast<double>(in[d]) * f));
        }
        for (int d = 0; d < nd; ++d)
            check(out[d] > 0, op, ": input of shape ", x.shape(), " with scale_factor ",
                  factors_str(o.scale_factor), " gives output size ", dims_str(out),
                  "; every size must be positive");
    }

    auto s = std::make_shared<ResampleSpec>();
    const int lead = 3 - nd;
    const bool align = o.align_corners.value_or(false);
    for (int d = 0; d < nd; ++d) {
        s->r.in[lead + d] = in[d];
        s->r.out[lead + d] = out[d];
        if (!is_nearest)
            s->r.dims[lead + d] = linear(in[d], out[d], align, scale[d]);
        else if (x.dtype() == kFloat64)
            s->r.dims[lead + d] = nearest<double>(in[d], out[d], scale[d]);
        else
            s->r.dims[lead + d] = nearest<float>(in[d], out[d], scale[d]);
    }
    s->x_shape = x.shape();
    s->y_shape = ops_detail::with_spatial(x.shape(), out);
    return resample_op(x, s);
}

}  // namespace soma
