// Forward hooks: called after operator() with the module, its input and output, in the order
// registered, also on children of a Sequential; removed by their handle.

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "soma/nn/activation.h"
#include "soma/nn/container.h"
#include "soma/nn/linear.h"
#include "soma/ops.h"
#include "soma/random.h"

namespace soma::nn {
namespace {

TEST(ForwardHook, SeesEachChildsInputAndOutputInOrder) {
    manual_seed(0);
    Sequential net{std::make_shared<Linear>(LinearOptions{.in = 3, .out = 4}),
                   std::make_shared<ReLU>()};
    std::vector<std::string> calls;
    Tensor relu_in, relu_out;
    HookHandle a = net[0].register_forward_hook([&](Module& m, const Tensor&, const Tensor& out) {
        calls.push_back(m.type_name() + std::to_string(out.size(1)));
    });
    HookHandle b =
        net[1].register_forward_hook([&](Module& m, const Tensor& in, const Tensor& out) {
            calls.push_back(m.type_name());
            relu_in = in, relu_out = out;
        });
    Tensor x = randn({2, 3});
    Tensor y = net(x);
    EXPECT_EQ(calls, (std::vector<std::string>{"Linear4", "ReLU"}));
    EXPECT_TRUE(relu_out.same(y));
    EXPECT_EQ(max(abs(sub(relu(relu_in), y))).item<float>(), 0.0f);
}

TEST(ForwardHook, HandleRemovesItsHookOnly) {
    ReLU r;
    int first = 0, second = 0;
    {
        HookHandle h1 =
            r.register_forward_hook([&](Module&, const Tensor&, const Tensor&) { ++first; });
        HookHandle h2 =
            r.register_forward_hook([&](Module&, const Tensor&, const Tensor&) { ++second; });
        r(tensor({1.0}));
        h1.remove();
        r(tensor({1.0}));
        EXPECT_EQ(first, 1);
        EXPECT_EQ(second, 2);
    }  // h2 goes out of scope: removed
    r(tensor({1.0}));
    EXPECT_EQ(second, 2);
    // forward() itself does not run hooks; operator() does.
    HookHandle h3 =
        r.register_forward_hook([&](Module&, const Tensor&, const Tensor&) { ++first; });
    r.forward(tensor({1.0}));
    EXPECT_EQ(first, 1);
}

TEST(ForwardHook, HandleOutlivingItsModuleIsHarmless) {
    HookHandle h;
    {
        auto r = std::make_shared<ReLU>();
        h = r->register_forward_hook([](Module&, const Tensor&, const Tensor&) {});
    }
    EXPECT_NO_THROW(h.remove());
}

TEST(ForwardHook, CopiesDoNotShareHooks) {
    ReLU r;
    int calls = 0;
    HookHandle h = r.register_forward_hook([&](Module&, const Tensor&, const Tensor&) { ++calls; });
    ReLU copy = r;
    copy(tensor({1.0}));
    EXPECT_EQ(calls, 0);
    EXPECT_THROW((void)r.register_forward_hook(nullptr), Error);
}

}  // namespace
}  // namespace soma::nn
