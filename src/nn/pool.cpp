#include "soma/nn/pool.h"

#include "ops/spatial_args.h"

namespace soma::nn {

namespace {

// Checks the sizes now, so that a bad layer fails where it is built rather than in forward.
void check_window(const char* name, int nd, const SpatialArg& kernel, const SpatialArg& stride,
                  const SpatialArg& padding) {
    check(!kernel.empty(), name, ": kernel_size is required");
    std::vector<std::int64_t> k = ops_detail::expand_checked(kernel, nd, name, "kernel_size", 1);
    if (!stride.empty()) ops_detail::expand_checked(stride, nd, name, "stride", 1);
    std::vector<std::int64_t> p = ops_detail::expand_checked(padding, nd, name, "padding", 0);
    for (int d = 0; d < nd; ++d)
        check(2 * p[d] <= k[d], name, ": padding ", padding.str(),
              " must be at most half the kernel size ", kernel.str());
}

}  // namespace

MaxPoolNd::MaxPoolNd(int nd, const char* name, MaxPoolOptions o) : nd_(nd), o_(std::move(o)) {
    check_window(name, nd, o_.kernel_size, o_.stride, o_.padding);
    ops_detail::expand_checked(o_.dilation, nd, name, "dilation", 1);
}

Tensor MaxPoolNd::forward(const Tensor& x) {
    auto pool = nd_ == 1 ? max_pool1d : nd_ == 2 ? max_pool2d : max_pool3d;
    return pool(x, o_.kernel_size, o_.stride, o_.padding, o_.dilation);
}

std::string MaxPoolNd::extra_repr() const {
    const SpatialArg& stride = o_.stride.empty() ? o_.kernel_size : o_.stride;
    return "kernel_size=" + o_.kernel_size.str() + ", stride=" + stride.str() +
           ", padding=" + o_.padding.str() + ", dilation=" + o_.dilation.str();
}

AvgPool2d::AvgPool2d(AvgPoolOptions o) : o_(std::move(o)) {
    check_window("AvgPool2d", 2, o_.kernel_size, o_.stride, o_.padding);
}

Tensor AvgPool2d::forward(const Tensor& x) {
    return avg_pool2d(x, o_.kernel_size, o_.stride, o_.padding, o_.count_include_pad);
}

std::string AvgPool2d::extra_repr() const {
    const SpatialArg& stride = o_.stride.empty() ? o_.kernel_size : o_.stride;
    std::string s = "kernel_size=" + o_.kernel_size.str() + ", stride=" + stride.str() +
                    ", padding=" + o_.padding.str();
    return o_.count_include_pad ? s : s + ", count_include_pad=False";
}

AdaptiveAvgPool2d::AdaptiveAvgPool2d(AdaptiveAvgPoolOptions o) : o_(std::move(o)) {
    check(!o_.output_size.empty(), "AdaptiveAvgPool2d: output_size is required");
    ops_detail::expand_checked(o_.output_size, 2, "AdaptiveAvgPool2d", "output_size", 1);
}

Tensor AdaptiveAvgPool2d::forward(const Tensor& x) {
    return adaptive_avg_pool2d(x, o_.output_size);
}

}  // namespace soma::nn
