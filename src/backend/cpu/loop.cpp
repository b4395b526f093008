#include "backend/cpu/loop.h"

namespace soma::backend::cpu {

Shape broadcast_strides(const Tensor& t, const Shape& shape) {
    Shape out;
    out.resize(shape.size());
    int lead = shape.size() - t.dim();
    for (int d = 0; d < shape.size(); ++d) {
        int td = d - lead;
        out[d] = (td < 0 || t.shape()[td] == 1) ? 0 : t.strides()[td];
    }
    return out;
}

}  // namespace soma::backend::cpu
