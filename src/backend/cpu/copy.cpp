#include "backend/cpu/copy.h"

#include <cstring>

#include "backend/cpu/loop.h"

namespace soma::backend::cpu {

void copy_into(const Tensor& dst, const Tensor& src) {
    check(broadcast_shapes(dst.shape(), src.shape(), "copy_") == dst.shape(),
          "copy_: cannot broadcast ", src.shape(), " to ", dst.shape());
    if (dst.dtype() == src.dtype() && dst.shape() == src.shape() && dst.is_contiguous() &&
        src.is_contiguous()) {
        std::memmove(dst.raw_data(), src.raw_data(), dst.numel() * itemsize(dst.dtype()));
        return;
    }
    dispatch_all(dst.dtype(), [&](auto dtag) {
        using D = decltype(dtag);
        dispatch_all(src.dtype(), [&](auto stag) {
            using S = decltype(stag);
            Loop<2> loop(dst.shape(), {dst.strides(), broadcast_strides(src, dst.shape())},
                         {sizeof(D), sizeof(S)});
            loop.parallel_run({static_cast<char*>(dst.raw_data()), static_cast<char*>(src.raw_data())},
                              [](const std::array<char*, 2>& p, std::int64_t n,
                                 const std::array<std::int64_t, 2>& s) {
                                  for (std::int64_t i = 0; i < n; ++i)
                                      *reinterpret_cast<D*>(p[0] + i * s[0]) =
                                          static_cast<D>(*reinterpret_cast<const S*>(p[1] + i * s[1]));
                              });
        });
    });
}

Tensor contiguous_copy(const Tensor& src, DType dtype) {
    Tensor out = Tensor::empty(src.shape(), dtype);
    copy_into(out, src);
    return out;
}

}  // namespace soma::backend::cpu
