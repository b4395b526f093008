// 22: the tricks slide's residual nets ("shortcuts in the gradient"): plain and residual MLPs of
// growing depth on one task. At initialisation the plain net's gradient shrinks layer by layer
// toward the input; the residual net's reaches every layer. Trained alike, the deep plain net
// stalls at chance while the residual one learns.

#include <cmath>
#include <memory>
#include <ostream>
#include <vector>

#include "entries.h"
#include "soma/autograd.h"
#include "soma/nn/activation.h"
#include "soma/nn/container.h"
#include "soma/nn/linear.h"
#include "soma/nn/loss.h"
#include "soma/nn/residual.h"
#include "soma/ops.h"
#include "soma/plot/svg.h"
#include "soma/random.h"

namespace soma::gallery {

namespace {

constexpr std::int64_t kWidth = 64;

// `depth` Linear layers with ReLUs between them, PyTorch's default initialisation. Residual:
// the hidden layers in pairs, each pair a block x + Linear(ReLU(Linear(ReLU(x)))).
std::shared_ptr<nn::Sequential> make_net(int depth, bool residual) {
    auto net = std::make_shared<nn::Sequential>();
    net->push_back(dense(kBlobDim, kWidth));
    if (residual) {
        for (int k = 0; k < (depth - 2) / 2; ++k)
            net->push_back(std::make_shared<nn::Residual>(std::make_shared<nn::Sequential>(
                nn::Sequential{std::make_shared<nn::ReLU>(), dense(kWidth, kWidth),
                               std::make_shared<nn::ReLU>(), dense(kWidth, kWidth)})));
        net->push_back(std::make_shared<nn::ReLU>());
    } else {
        net->push_back(std::make_shared<nn::ReLU>());
        for (int k = 0; k < depth - 2; ++k) {
            net->push_back(dense(kWidth, kWidth));
            net->push_back(std::make_shared<nn::ReLU>());
        }
    }
    net->push_back(dense(kWidth, kBlobClasses));
    return net;
}

// The gradient norm of every Linear weight, input side first, on one batch at initialisation.
std::vector<double> weight_grad_norms(nn::Module& net, const ClassData& batch) {
    net.train();
    net.zero_grad();
    nn::cross_entropy(net(batch.x), batch.y).backward();
    std::vector<double> out;
    for (auto& [name, p] : net.named_parameters())
        if (p.dim() == 2) {
            NoGrad no_grad;
            out.push_back(std::sqrt(sum(mul(p.grad(), p.grad())).item<double>()));
        }
    return out;
}

Result run_residual_nets(Context& ctx) {
    std::ostream& out = ctx.out();
    const ClassData train = blob_classes(4096, 1.0, ctx.seed * 100 + 1);
    const ClassData test = blob_classes(2000, 1.0, ctx.seed * 100 + 2);
    const ClassData batch{train.x.narrow(0, 0, 256), train.y.narrow(0, 0, 256)};
    const std::vector<int> depths = {8, 16, 32};
    const TrainPlan plan{.steps = ctx.quick ? 300 : 600, .seed = ctx.seed};

    out << strf("%6s %10s %16s %16s %10s\n", "depth", "net", "|grad| layer 1", "|grad| last",
                "test acc");
    std::vector<double> depth_x, plain_acc, residual_acc;
    std::vector<double> plain_norms, residual_norms;  // of the deepest nets
    for (int depth : depths) {
        depth_x.push_back(depth);
        for (bool residual : {false, true}) {
            manual_seed(ctx.seed * 1000 + std::uint64_t(depth));
            auto net = make_net(depth, residual);
            const std::vector<double> norms = weight_grad_norms(*net, batch);
            const Curves c = train_recorded(*net, train, test, plan);
            (residual ? residual_acc : plain_acc).push_back(c.test_accuracy);
            if (depth == depths.back()) (residual ? residual_norms : plain_norms) = norms;
            out << strf("%6d %10s %16.3e %16.3e %9.1f%%\n", depth, residual ? "residual" : "plain",
                        norms.front(), norms.back(), 100 * c.test_accuracy);
        }
    }

    std::vector<double> layer_plain, layer_residual;
    for (std::size_t i = 0; i < plain_norms.size(); ++i) layer_plain.push_back(double(i + 1));
    for (std::size_t i = 0; i < residual_norms.size(); ++i) layer_residual.push_back(double(i + 1));
    plot::Figure fig(
        {.title = "Plain and residual MLPs (width 64, ReLU, PyTorch's default init)",
         .width = 1100,
         .height = 420},
        {{.title = strf("gradient norm per layer at initialisation, depth %d", depths.back()),
          .xlabel = "Linear layer (1 = input side)",
          .ylabel = "|dloss/dW|",
          .logy = true,
          .legend = plot::Legend::BottomRight},
         {.title = strf("test accuracy after %d steps", plan.steps),
          .xlabel = "depth (Linear layers)",
          .ylabel = "accuracy",
          .ylim = plot::Range{0, 1},
          .legend = plot::Legend::BottomLeft}});
    fig.axes(0).line(layer_plain, plain_norms, "plain");
    fig.axes(0).line(layer_residual, residual_norms, "residual");
    fig.axes(1).line(depth_x, plain_acc, "plain");
    fig.axes(1).line(depth_x, residual_acc, "residual");
    Result result;
    result.figures.push_back(ctx.path("22_residual_nets.svg"));
    fig.save(result.figures.back());

    auto& m = result.metrics;
    m["plain_accuracy_shallow"] = plain_acc.front();
    m["plain_accuracy_deep"] = plain_acc.back();
    m["residual_accuracy_shallow"] = residual_acc.front();
    m["residual_accuracy_deep"] = residual_acc.back();
    m["plain_first_layer_grad_deep"] = plain_norms.front();
    m["residual_first_layer_grad_deep"] = residual_norms.front();
    m["plain_last_layer_grad_deep"] = plain_norms.back();
    // The slide's claim: the shortcut carries the gradient, so the deep residual net trains where
    // the plain one of the same depth stalls near chance (10 classes: 10%).
    result.ok = residual_acc.back() > plain_acc.back() + 0.3 && plain_acc.back() < 0.3 &&
                residual_norms.front() > 100 * plain_norms.front();
    result.summary = strf(
        "depth %d: plain net %.1f%% test accuracy, residual %.1f%%; gradient at layer 1 %.2e "
        "(plain) vs %.2e (residual); depth %d: %.1f%% vs %.1f%%",
        depths.back(), 100 * plain_acc.back(), 100 * residual_acc.back(), plain_norms.front(),
        residual_norms.front(), depths.front(), 100 * plain_acc.front(),
        100 * residual_acc.front());
    out << result.summary << "\n";
    return result;
}

}  // namespace

Entry residual_nets_entry() {
    return {.name = "22_residual_nets",
            .slide = "Recent innovations and tricks: Residual nets",
            .caption =
                "\"Residual nets: shortcuts in the gradient.\" Plain MLPs and residual MLPs "
                "(blocks y = x + Linear(ReLU(Linear(ReLU(x))))) of 8, 16 and 32 Linear layers, "
                "width 64, PyTorch's default initialisation, on ten Gaussian classes in 20 "
                "dimensions; Adam (lr 1e-3, batches of 64). Left: the gradient norm of every "
                "layer's weights on one batch at initialisation, for depth 32: in the plain net "
                "each ReLU layer shrinks the signal, so the gradient fades toward the input by "
                "orders of magnitude; in the residual net the identity path carries it to every "
                "layer. Right: test accuracy after training: the deep plain net stalls near "
                "chance (10%), the residual one of the same depth learns.",
            .run = run_residual_nets};
}

}  // namespace soma::gallery
