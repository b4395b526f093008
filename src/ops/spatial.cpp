#include "ops/spatial.h"

#include <cstring>
#include <sstream>

namespace soma {

std::vector<std::int64_t> SpatialArg::expand(int nd, const char* op, const char* what) const {
    if (values_.size() == 1) return std::vector<std::int64_t>(nd, values_[0]);
    check(static_cast<int>(values_.size()) == nd, op, ": ", what, " needs ",
          nd > 1 ? "1 or " + std::to_string(nd) + " values" : std::string("1 value"), ", got ",
          str());
    return values_;
}

std::string SpatialArg::str() const {
    if (values_.size() == 1) return std::to_string(values_[0]);
    return ops_detail::dims_str(values_);
}

ConvPadding::ConvPadding(const char* mode) {
    check(mode != nullptr, "padding: null string (use \"same\", \"valid\" or numbers)");
    if (std::strcmp(mode, "same") == 0)
        same_ = true;
    else
        check(std::strcmp(mode, "valid") == 0, "padding: unknown mode \"", mode,
              "\" (use \"same\", \"valid\" or numbers)");
}

std::string ConvPadding::str() const { return same_ ? "same" : sizes_.str(); }

namespace ops_detail {

std::string dims_str(const std::vector<std::int64_t>& v) {
    std::ostringstream os;
    os << '(';
    for (std::size_t i = 0; i < v.size(); ++i) os << (i ? ", " : "") << v[i];
    os << ')';
    return os.str();
}

Batched as_batched(const Tensor& x, int nd, const char* op) {
    check_defined(x, op);
    check(x.dim() == nd + 1 || x.dim() == nd + 2, op, ": expected a ", nd + 1, "-D (unbatched) or ",
          nd + 2, "-D (batched) input, got shape ", x.shape());
    if (x.dim() == nd + 2) return {x, false};
    return {x.unsqueeze(0), true};
}

std::vector<std::int64_t> expand_checked(const SpatialArg& arg, int nd, const char* op,
                                         const char* what, std::int64_t min) {
    std::vector<std::int64_t> v = arg.expand(nd, op, what);
    for (std::int64_t s : v)
        check(s >= min, op, ": ", what, " must be ", min == 0 ? "non-negative" : "positive",
              ", got ", arg.str());
    return v;
}

std::vector<std::int64_t> spatial_sizes(const Tensor& x) {
    return {x.shape().begin() + 2, x.shape().end()};
}

backend::cpu::Window make_window(const std::vector<std::int64_t>& in,
                                 const std::vector<std::int64_t>& out,
                                 const std::vector<std::int64_t>& kernel,
                                 const std::vector<std::int64_t>& stride,
                                 const std::vector<std::int64_t>& pad,
                                 const std::vector<std::int64_t>& dilation) {
    backend::cpu::Window w;
    const int lead = 3 - static_cast<int>(in.size());
    for (std::size_t d = 0; d < in.size(); ++d) {
        w.in[lead + d] = in[d];
        w.out[lead + d] = out[d];
        w.kernel[lead + d] = kernel[d];
        w.stride[lead + d] = stride[d];
        w.pad[lead + d] = pad[d];
        w.dilation[lead + d] = dilation[d];
    }
    return w;
}

Shape with_spatial(const Shape& x, const std::vector<std::int64_t>& out) {
    Shape s = x;
    for (std::size_t d = 0; d < out.size(); ++d) s[2 + d] = out[d];
    return s;
}

}  // namespace ops_detail
}  // namespace soma
