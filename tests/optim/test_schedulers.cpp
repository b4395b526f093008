// Learning-rate schedules against torch.optim.lr_scheduler over 30 epochs, and gradient
// clipping against torch.nn.utils (tests/fixtures/optim.json).

#include <gtest/gtest.h>

#include <cmath>
#include <memory>

#include "optim/optim_fixture.h"
#include "soma/optim/clip.h"
#include "soma/optim/scheduler.h"
#include "soma/optim/sgd.h"
#include "support/op_harness.h"

namespace soma::optim {
namespace {

using nlohmann::json;
using test::expect_close;
using test::expect_error;

std::unique_ptr<LRScheduler> make_scheduler(const std::string& kind, const json& o,
                                            Optimizer& opt) {
    if (kind == "StepLR")
        return std::make_unique<StepLR>(
            opt, StepLROptions{.step_size = o["step_size"], .gamma = o["gamma"]});
    if (kind == "ExponentialLR") return std::make_unique<ExponentialLR>(opt, o["gamma"]);
    if (kind == "CosineAnnealingLR")
        return std::make_unique<CosineAnnealingLR>(
            opt, CosineAnnealingLROptions{.t_max = o["t_max"], .eta_min = o["eta_min"]});
    const std::string wrapped = "LinearWarmup+";
    if (kind.rfind(wrapped, 0) == 0 || kind == "LinearWarmup") {
        std::unique_ptr<LRScheduler> after;
        if (kind != "LinearWarmup") after = make_scheduler(kind.substr(wrapped.size()), o, opt);
        return std::make_unique<LinearWarmup>(
            opt, LinearWarmupOptions{.steps = o["steps"], .start_factor = o["start_factor"]},
            std::move(after));
    }
    ADD_FAILURE() << "unknown scheduler " << kind;
    return nullptr;
}

ReduceLROnPlateauOptions plateau_options(const json& o) {
    using O = ReduceLROnPlateauOptions;
    return {.mode = o["mode"] == "max" ? O::Mode::Max : O::Mode::Min,
            .factor = o["factor"],
            .patience = o["patience"],
            .threshold = o["threshold"],
            .threshold_mode = o.value("threshold_mode", "rel") == "abs" ? O::ThresholdMode::Abs
                                                                        : O::ThresholdMode::Rel,
            .cooldown = o["cooldown"],
            .min_lr = o["min_lr"]};
}

TEST(Schedulers, MatchPyTorch) {
    for (const json& c : test::optim_fixture()["schedulers"]) {
        const std::string name = c["name"], kind = c["scheduler"];
        Tensor p = zeros({1}).requires_grad_(true);
        SGD opt({p}, {.lr = 0.1});
        std::vector<double> lrs;
        if (kind == "ReduceLROnPlateau") {
            ReduceLROnPlateau sched(opt, plateau_options(c["options"]));
            lrs.push_back(sched.get_last_lr());
            for (double m : c["metrics"]) {
                sched.step(m);
                lrs.push_back(sched.get_last_lr());
            }
        } else {
            auto sched = make_scheduler(kind, c["options"], opt);
            lrs.push_back(sched->get_last_lr());
            for (int epoch = 0; epoch < 30; ++epoch) {
                opt.step();
                sched->step();
                lrs.push_back(sched->get_last_lr());
                EXPECT_EQ(sched->get_last_lr(), opt.lr());
            }
            EXPECT_EQ(sched->last_epoch(), 30);
        }
        const std::vector<double> want = c["lrs"];
        ASSERT_EQ(lrs.size(), want.size()) << name;
        for (std::size_t e = 0; e < want.size(); ++e)
            EXPECT_NEAR(lrs[e], want[e], 1e-12 * want[e] + 1e-15) << name << " epoch " << e;
    }
}

TEST(Schedulers, Errors) {
    Tensor p = zeros({1}).requires_grad_(true);
    SGD opt({p}, {.lr = 0.1});
    expect_error([&] { StepLR s(opt, {.step_size = 0}); }, "StepLR: step_size must be positive");
    expect_error([&] { ReduceLROnPlateau s(opt, {.factor = 1.0}); }, "factor must lie in [0, 1)");
    auto stepped = std::make_unique<ExponentialLR>(opt, 0.5);
    stepped->step();
    expect_error([&] { LinearWarmup w(opt, {.steps = 3}, std::move(stepped)); },
                 "has already been stepped");
}

std::vector<Tensor> clip_params(const json& clip) {
    std::vector<Tensor> params;
    std::vector<double> flat = clip["grads"];
    std::size_t at = 0;
    for (const json& s : clip["shapes"]) {
        Shape shape(s.get<std::vector<std::int64_t>>());
        Tensor p = zeros(shape, kFloat64).requires_grad_(true);
        std::vector<double> g(flat.begin() + at, flat.begin() + at + shape.numel());
        p.set_grad(from_vector(g, shape, kFloat64));
        params.push_back(p);
        at += shape.numel();
    }
    return params;
}

void expect_grads(const std::vector<Tensor>& params, const std::vector<double>& want,
                  const std::string& what) {
    std::vector<double> got;
    for (const Tensor& p : params)
        for (double v : p.grad().to_vector<double>()) got.push_back(v);
    expect_close(from_vector(got, {}, kFloat64), from_vector(want, {}, kFloat64), 1e-12, 1e-15,
                 what);
}

TEST(Clip, GradNormMatchesPyTorch) {
    const json& clip = test::optim_fixture()["clip"];
    for (const json& c : clip["norm"]) {
        auto params = clip_params(clip);
        const double type = c["norm_type"].is_string() ? INFINITY : c["norm_type"].get<double>();
        const double total = clip_grad_norm(params, c["max_norm"], type);
        EXPECT_NEAR(total, c["total_norm"].get<double>(), 1e-12 * total) << c["name"];
        expect_grads(params, c["clipped"], c["name"]);
    }
}

TEST(Clip, GradValueMatchesPyTorch) {
    const json& clip = test::optim_fixture()["clip"];
    auto params = clip_params(clip);
    params.push_back(zeros({2}).requires_grad_(true));  // no gradient: skipped
    clip_grad_value(params, clip["value"]["clip_value"]);
    params.pop_back();
    expect_grads(params, clip["value"]["clipped"], "clip_grad_value");
}

}  // namespace
}  // namespace soma::optim
