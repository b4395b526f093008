// Optimizers against PyTorch: the same start, the same 20 gradients, the same parameters after
// every step (tests/fixtures/optim.json from tools/fixtures/optim.py).

#include <gtest/gtest.h>

#include <memory>

#include "optim/optim_fixture.h"
#include "soma/optim/adagrad.h"
#include "soma/optim/adam.h"
#include "soma/optim/rmsprop.h"
#include "soma/optim/sgd.h"
#include "support/op_harness.h"

namespace soma::optim {
namespace {

using nlohmann::json;
using test::expect_close;
using test::expect_error;

std::unique_ptr<Optimizer> make(const json& c, std::vector<Tensor> params) {
    const std::string kind = c["optimizer"];
    const json& o = c["options"];
    if (kind == "SGD")
        return std::make_unique<SGD>(params,
                                     SGDOptions{.lr = o.value("lr", 1e-2),
                                                .momentum = o.value("momentum", 0.0),
                                                .dampening = o.value("dampening", 0.0),
                                                .weight_decay = o.value("weight_decay", 0.0),
                                                .nesterov = o.value("nesterov", false)});
    if (kind == "Adam" || kind == "AdamW") {
        std::pair<double, double> betas{0.9, 0.999};
        if (o.contains("betas")) betas = {o["betas"][0], o["betas"][1]};
        if (kind == "AdamW")
            return std::make_unique<AdamW>(
                params, AdamWOptions{.lr = o.value("lr", 1e-3),
                                     .betas = betas,
                                     .eps = o.value("eps", 1e-8),
                                     .weight_decay = o.value("weight_decay", 1e-2),
                                     .amsgrad = o.value("amsgrad", false)});
        return std::make_unique<Adam>(params,
                                      AdamOptions{.lr = o.value("lr", 1e-3),
                                                  .betas = betas,
                                                  .eps = o.value("eps", 1e-8),
                                                  .weight_decay = o.value("weight_decay", 0.0),
                                                  .amsgrad = o.value("amsgrad", false)});
    }
    if (kind == "RMSprop")
        return std::make_unique<RMSprop>(
            params, RMSpropOptions{.lr = o.value("lr", 1e-2),
                                   .alpha = o.value("alpha", 0.99),
                                   .eps = o.value("eps", 1e-8),
                                   .weight_decay = o.value("weight_decay", 0.0),
                                   .momentum = o.value("momentum", 0.0),
                                   .centered = o.value("centered", false)});
    if (kind == "Adagrad")
        return std::make_unique<Adagrad>(
            params,
            AdagradOptions{.lr = o.value("lr", 1e-2),
                           .lr_decay = o.value("lr_decay", 0.0),
                           .weight_decay = o.value("weight_decay", 0.0),
                           .initial_accumulator_value = o.value("initial_accumulator_value", 0.0),
                           .eps = o.value("eps", 1e-10)});
    ADD_FAILURE() << "unknown optimizer " << kind;
    return nullptr;
}

// The fixture's parameters (or any flat values) split into its parameter shapes.
std::vector<Tensor> split(const std::vector<double>& flat, DType dtype) {
    std::vector<Tensor> out;
    std::size_t at = 0;
    for (const json& s : test::optim_fixture()["shapes"]) {
        Shape shape(s.get<std::vector<std::int64_t>>());
        std::vector<double> part(flat.begin() + at, flat.begin() + at + shape.numel());
        out.push_back(from_vector(part, shape, kFloat64).to(dtype));
        at += shape.numel();
    }
    return out;
}

std::vector<Tensor> leaves(DType dtype) {
    std::vector<Tensor> params = split(test::optim_fixture()["params"], dtype);
    for (Tensor& p : params) p.requires_grad_(true);
    return params;
}

void set_grads(const std::vector<Tensor>& params, int step, DType dtype) {
    const json& grads = test::optim_fixture()["grads"][step];
    for (std::size_t i = 0; i < params.size(); ++i) {
        Tensor p = params[i];  // a handle: set_grad is not const
        p.set_grad(grads[i].is_null() ? Tensor()
                                      : from_vector(grads[i].get<std::vector<double>>(),
                                                    params[i].shape(), kFloat64)
                                            .to(dtype));
    }
}

void expect_params(const std::vector<Tensor>& params, const json& expected, DType dtype,
                   double rtol, double atol, const std::string& what) {
    std::vector<Tensor> want = split(expected, dtype);
    for (std::size_t i = 0; i < params.size(); ++i)
        expect_close(params[i].detach(), want[i], rtol, atol,
                     what + " parameter " + std::to_string(i));
}

// Steps [from, to) of the fixture's gradient sequence, checking the trajectory.
void run_steps(Optimizer& opt, const json& c, const char* key, DType dtype, int from, int to,
               double rtol, double atol) {
    for (int step = from; step < to; ++step) {
        set_grads(opt.params(), step, dtype);
        opt.step();
        expect_params(opt.params(), c[key][step], dtype, rtol, atol,
                      c["name"].get<std::string>() + " " + dtype_name(dtype) + " step " +
                          std::to_string(step + 1));
    }
}

TEST(Optimizers, MatchPyTorchFloat64) {
    EXPECT_EQ(test::optim_fixture()["optimizers"].size(), 21u);
    for (const json& c : test::optim_fixture()["optimizers"]) {
        auto opt = make(c, leaves(kFloat64));
        run_steps(*opt, c, "trajectory", kFloat64, 0, 20, 1e-6, 1e-12);
        EXPECT_EQ(opt->steps(), 20);
    }
}

TEST(Optimizers, MatchPyTorchFloat32) {
    int runs = 0;
    for (const json& c : test::optim_fixture()["optimizers"]) {
        if (!c.contains("trajectory_float32")) continue;
        auto opt = make(c, leaves(kFloat32));
        run_steps(*opt, c, "trajectory_float32", kFloat32, 0, 20, 1e-5, 1e-6);
        ++runs;
    }
    EXPECT_GT(runs, 0);
}

// Ten steps, a state_dict, a fresh optimizer on copies, ten more: PyTorch's trajectory.
TEST(Optimizers, StateDictResumes) {
    for (const json& c : test::optim_fixture()["optimizers"]) {
        auto first = make(c, leaves(kFloat64));
        run_steps(*first, c, "trajectory", kFloat64, 0, 10, 1e-6, 1e-12);
        nn::StateDict state = first->state_dict();
        ASSERT_NE(state.find("step"), nullptr);
        EXPECT_EQ(state.find("step")->item<std::int64_t>(), 10);
        std::vector<Tensor> copies;
        for (const Tensor& p : first->params())
            copies.push_back(p.detach().clone().requires_grad_(true));
        auto second = make(c, copies);
        second->set_lr(123);
        second->load_state_dict(state);
        EXPECT_EQ(second->lr(), first->lr());
        EXPECT_EQ(second->state_dict().size(), state.size()) << c["name"];
        run_steps(*second, c, "trajectory", kFloat64, 10, 20, 1e-6, 1e-12);
    }
}

TEST(Optimizers, StateDictNames) {
    auto p = leaves(kFloat64);
    Adam adam(p, {.amsgrad = true});
    set_grads(p, 0, kFloat64);
    adam.step();
    std::vector<std::string> names;
    for (const auto& [name, t] : adam.state_dict().items()) names.push_back(name);
    EXPECT_EQ(names, (std::vector<std::string>{"step", "lr", "step.0", "step.1", "exp_avg.0",
                                               "exp_avg.1", "exp_avg_sq.0", "exp_avg_sq.1",
                                               "max_exp_avg_sq.0", "max_exp_avg_sq.1"}));
}

TEST(Optimizers, LoadStateDictRejects) {
    auto p = leaves(kFloat64);
    SGD sgd(p, {.lr = 0.1, .momentum = 0.9});
    nn::StateDict bad;
    bad.insert("lr", scalar_tensor(0.5, kFloat64));
    bad.insert("momentum_buffer.0", zeros({3, 2}, kFloat64));
    bad.insert("momentum_buffer.7", zeros({4}, kFloat64));
    bad.insert("exp_avg.0", zeros({2, 3}, kFloat64));
    expect_error([&] { sgd.load_state_dict(bad); },
                 "SGD: load_state_dict: 'momentum_buffer.0' is (3, 2) float64, parameter 0 is "
                 "(2, 3) float64; 'momentum_buffer.7' names parameter 7 of 2; unexpected entry "
                 "'exp_avg.0'; missing 'step'");
    EXPECT_EQ(sgd.lr(), 0.1);  // nothing was applied
}

TEST(Optimizers, SkipsParametersWithoutGradient) {
    auto p = leaves(kFloat64);
    Tensor before = p[1].detach().clone();
    Adam adam(p);
    p[0].set_grad(ones_like(p[0]));
    adam.step();
    expect_close(p[1].detach(), before, 0, 0, "untouched parameter");
    EXPECT_EQ(adam.state_dict().find("exp_avg.1"), nullptr);
    adam.zero_grad();
    EXPECT_FALSE(p[0].grad().defined());
}

// A non-contiguous parameter is updated like its contiguous twin.
TEST(Optimizers, NonContiguousParameter) {
    Tensor dense = randn({3, 4}, nullptr, kFloat64);
    Tensor a = dense.clone().requires_grad_(true);
    Tensor b = dense.t().contiguous().t().detach().requires_grad_(true);
    ASSERT_FALSE(b.is_contiguous());
    Tensor g = randn({3, 4}, nullptr, kFloat64);
    SGD sa({a}, {.lr = 0.1, .momentum = 0.9}), sb({b}, {.lr = 0.1, .momentum = 0.9});
    for (int k = 0; k < 2; ++k) {
        a.set_grad(g);
        b.set_grad(g.t().contiguous().t());  // a strided gradient too
        sa.step();
        sb.step();
    }
    expect_close(b.detach(), a.detach(), 0, 0, "strided parameter");
}

TEST(Optimizers, Errors) {
    auto p = leaves(kFloat64);
    expect_error([&] { SGD s(p, {.lr = 0.1, .nesterov = true}); },
                 "nesterov momentum needs momentum > 0");
    expect_error([&] { SGD s(p, {.lr = -1}); }, "learning rate must be >= 0, got -1");
    expect_error([&] { Adam a(p, {.betas = {0.9, 1.0}}); }, "Adam: betas must lie in [0, 1)");
    expect_error([&] { SGD s({p[0], p[1], p[0]}); }, "parameter 2 (2, 3) appears more than once");
    expect_error([&] { SGD s({zeros({2}, kInt64)}); }, "only floating tensors can be optimised");
    expect_error([&] { SGD s({mul(p[0], 2.0)}); }, "is the result of an op, not a leaf");
}

}  // namespace
}  // namespace soma::optim
