// Anomaly mode: the first op whose output (forward) or gradient (backward) holds NaN/Inf is named
// in the error, and nothing is checked with the mode off.

#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "soma/autograd.h"
#include "soma/error.h"
#include "soma/ops.h"

namespace soma {
namespace {

std::string error_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const Error& e) {
        return e.what();
    }
    return "";
}

TEST(Anomaly, NamesTheOpThatFirstProducedInfInForward) {
    Tensor x = tensor({1.0, 0.0, 2.0}).requires_grad_();
    // A planted log(0): the forward pass makes -inf, the ops after it would spread NaN.
    auto forward = [&] { return sum(mul(log(x), 2.0)); };
    EXPECT_NO_THROW(forward());  // mode off: -inf goes through silently
    autograd::DetectAnomaly on;
    const std::string msg = error_of([&] { forward(); });
    EXPECT_NE(msg.find("detect_anomaly: Log produced -inf"), std::string::npos) << msg;
    EXPECT_NE(msg.find("from finite inputs"), std::string::npos) << msg;
}

TEST(Anomaly, BlamesTheInputWhenItWasAlreadyNonFinite) {
    Tensor x = tensor({1.0, NAN}).requires_grad_();
    autograd::DetectAnomaly on;
    const std::string msg = error_of([&] { exp(x); });
    EXPECT_NE(msg.find("Exp produced nan"), std::string::npos) << msg;
    EXPECT_NE(msg.find("input 0 already held nan"), std::string::npos) << msg;
}

TEST(Anomaly, NamesTheBackwardThatFirstProducedNan) {
    // sqrt(0) is finite, but its derivative 1 / (2 sqrt(0)) is inf: the backward of sqrt is
    // named.
    Tensor x = tensor({0.0, 4.0}).requires_grad_();
    Tensor y = sum(sqrt(x));
    autograd::DetectAnomaly on;
    const std::string msg = error_of([&] { y.backward(); });
    EXPECT_NE(msg.find("detect_anomaly: SqrtBackward returned inf"), std::string::npos) << msg;
    EXPECT_NE(msg.find("from a finite incoming gradient"), std::string::npos) << msg;
}

TEST(Anomaly, GuardRestoresTheModeAndFiniteGraphsPass) {
    EXPECT_FALSE(autograd::is_anomaly_enabled());
    {
        autograd::DetectAnomaly on;
        EXPECT_TRUE(autograd::is_anomaly_enabled());
        Tensor w = tensor({0.5, -1.0}).requires_grad_();
        Tensor l = sum(mul(tanh(w), w));
        EXPECT_NO_THROW(l.backward());
        EXPECT_TRUE(w.grad().defined());
    }
    EXPECT_FALSE(autograd::is_anomaly_enabled());
}

}  // namespace
}  // namespace soma
