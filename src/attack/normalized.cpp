// A normalised-input classifier seen from pixel space (normalized.h).

#include "soma/attack/normalized.h"

#include <cmath>
#include <utility>

#include "soma/error.h"
#include "soma/ops.h"

namespace soma::attack {

Normalized::Normalized(std::shared_ptr<nn::Module> inner, double mean, double std)
    : inner_(std::move(inner)), mean_(mean), std_(std) {
    check(inner_ != nullptr, "Normalized: no inner module");
    check(std::isfinite(mean) && std::isfinite(std) && std > 0,
          "Normalized: std must be finite and > 0 and mean finite, got mean ", mean, ", std ", std);
    training_ = inner_->is_training();
}

Tensor Normalized::forward(const Tensor& x) { return (*inner_)((x - mean_) / std_); }

void Normalized::visit(nn::Visitor& v) { v.module("inner", *inner_); }

PgdOptions to_normalized_units(PgdOptions pixels, double mean, double std) {
    check(std > 0, "to_normalized_units: std must be > 0, got ", std);
    pixels.eps /= std;
    pixels.step_size /= std;
    pixels.range = {(pixels.range.min - mean) / std, (pixels.range.max - mean) / std};
    return pixels;
}

}  // namespace soma::attack
