// The fast gradient sign method (fgsm.h).

#include "soma/attack/fgsm.h"

#include <cmath>

#include "ball.h"
#include "soma/error.h"

namespace soma::attack {

Tensor fgsm(nn::Module& model, const Tensor& x, const Tensor& labels, double eps,
            const FgsmOptions& options) {
    check(std::isfinite(eps) && eps >= 0, "fgsm: eps must be finite and >= 0, got ", eps);
    detail::check_inputs(x, labels, options.range, "fgsm");
    EvalModeGuard eval(model);
    const Tensor xc = x.detach().contiguous();
    const Tensor g = input_gradient(model, xc, labels, options.loss, options.targeted);
    const Tensor dir = detail::ascent_direction(g, options.norm);
    // One step of size eps from x lands on the ball's boundary: the projection is a no-op, the
    // clip to the range is not.
    return detail::projected_step(xc, xc, dir, eps, options.norm, eps, options.range);
}

}  // namespace soma::attack
