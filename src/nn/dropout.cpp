#include "soma/nn/dropout.h"

#include <cstdio>

#include "soma/ops.h"

namespace soma::nn {

Dropout::Dropout(double p, Generator* gen) : p(p), gen(gen) {
    check(p >= 0 && p <= 1, "Dropout: probability p must be in [0, 1], got ", p);
}

Tensor Dropout::forward(const Tensor& x) { return dropout(x, p, training_, gen); }

std::string Dropout::extra_repr() const {
    char buf[32];
    std::snprintf(buf, sizeof buf, "p=%g", p);
    return buf;
}

}  // namespace soma::nn
