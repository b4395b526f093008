#include "soma/nn/upsample.h"

#include <charconv>
#include <utility>

namespace soma::nn {

Upsample::Upsample(UpsampleOptions o) : o_(std::move(o)) {
    const std::string& m = o_.mode;
    check(m == "nearest" || m == "linear" || m == "bilinear" || m == "trilinear",
          "Upsample: unknown mode '", m, "' (use 'nearest', 'linear', 'bilinear' or 'trilinear')");
    check(!(m == "nearest" && o_.align_corners.has_value()),
          "Upsample: align_corners applies only to the linear modes (linear, bilinear, "
          "trilinear), not to 'nearest'");
    const bool has_size = !o_.size.empty(), has_scale = !o_.scale_factor.empty();
    check(has_size != has_scale, "Upsample: ",
          has_size ? "give either size or scale_factor, not both" : "give size or scale_factor");
    for (std::int64_t s : o_.size.values())
        check(s > 0, "Upsample: size must be positive, got ", o_.size.str());
    for (double f : o_.scale_factor)
        check(f > 0, "Upsample: scale_factor must be positive, got ", f);
}

Tensor Upsample::forward(const Tensor& x) { return interpolate(x, o_); }

namespace {

// A float as Python's repr writes it: the shortest digits that read back, and "2.0" rather
// than "2".
std::string py_float(double v) {
    char buf[64];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
    std::string s(buf, end);
    if (s.find_first_of(".eEn") == std::string::npos) s += ".0";
    return s;
}

}  // namespace

std::string Upsample::extra_repr() const {
    // PyTorch's: the scale factor as floats (or the size as given), then the mode.
    std::string s;
    if (!o_.scale_factor.empty()) {
        s = "scale_factor=";
        const auto& f = o_.scale_factor;
        if (f.size() == 1) {
            s += py_float(f[0]);
        } else {
            s += "(";
            for (std::size_t i = 0; i < f.size(); ++i) s += (i ? ", " : "") + py_float(f[i]);
            s += ")";
        }
    } else {
        s = "size=" + o_.size.str();
    }
    return s + ", mode=" + o_.mode;
}

}  // namespace soma::nn
