// 23: the tricks slide's batch normalisation ("similar range for features"): a deep plain MLP
// with and without BatchNorm1d before each ReLU. At initialisation the plain net's activations
// shrink layer by layer while batch norm keeps every layer's in one range; trained alike, the
// normalised net's loss falls faster.

#include <algorithm>
#include <cmath>
#include <memory>
#include <ostream>
#include <vector>

#include "entries.h"
#include "soma/autograd.h"
#include "soma/nn/activation.h"
#include "soma/nn/container.h"
#include "soma/nn/linear.h"
#include "soma/nn/norm.h"
#include "soma/ops.h"
#include "soma/plot/svg.h"
#include "soma/random.h"

namespace soma::gallery {

namespace {

constexpr std::int64_t kWidth = 64;
constexpr int kDepth = 16;  // Linear layers

// kDepth Linear layers, each hidden one followed by [BatchNorm1d,] ReLU.
std::shared_ptr<nn::Sequential> make_net(bool batch_norm) {
    auto net = std::make_shared<nn::Sequential>();
    for (int k = 0; k < kDepth - 1; ++k) {
        net->push_back(dense(k == 0 ? kBlobDim : kWidth, kWidth));
        if (batch_norm)
            net->push_back(
                std::make_shared<nn::BatchNorm1d>(nn::BatchNormOptions{.num_features = kWidth}));
        net->push_back(std::make_shared<nn::ReLU>());
    }
    net->push_back(dense(kWidth, kBlobClasses));
    return net;
}

// The standard deviation of every ReLU's output on `x` (training mode), read with forward hooks.
std::vector<double> relu_output_stds(nn::Sequential& net, const Tensor& x) {
    std::vector<double> stds;
    std::vector<nn::HookHandle> hooks;
    for (std::size_t i = 0; i < net.size(); ++i)
        if (net[std::int64_t(i)].type_name() == "ReLU")
            hooks.push_back(net[std::int64_t(i)].register_forward_hook(
                [&stds](nn::Module&, const Tensor&, const Tensor& out) {
                    const double mean = soma::mean(out.to(kFloat64)).item<double>();
                    const double sq = soma::mean(mul(out, out).to(kFloat64)).item<double>();
                    stds.push_back(std::sqrt(std::max(0.0, sq - mean * mean)));
                }));
    net.train();
    NoGrad no_grad;
    net(x);
    return stds;
}

Result run_batch_norm(Context& ctx) {
    std::ostream& out = ctx.out();
    const ClassData train = blob_classes(4096, 1.0, ctx.seed * 100 + 1);
    const ClassData test = blob_classes(2000, 1.0, ctx.seed * 100 + 2);
    const TrainPlan plan{.steps = ctx.quick ? 300 : 600, .record_every = 25, .seed = ctx.seed};

    std::vector<double> stds[2];
    Curves curves[2];
    for (int bn = 0; bn < 2; ++bn) {
        manual_seed(ctx.seed * 1000 + 23);
        auto net = make_net(bn == 1);
        stds[bn] = relu_output_stds(*net, train.x.narrow(0, 0, 256));
        curves[bn] = train_recorded(*net, train, test, plan);
    }
    out << strf("%6s %14s %14s\n", "layer", "std (plain)", "std (batch norm)");
    for (std::size_t k = 0; k < stds[0].size(); ++k)
        out << strf("%6zu %14.3e %14.3e\n", k + 1, stds[0][k], stds[1][k]);
    out << strf("%6s %14s %14s\n", "step", "train loss", "(batch norm)");
    for (std::size_t k = 0; k < curves[0].step.size(); ++k)
        out << strf("%6.0f %14.4f %14.4f\n", curves[0].step[k], curves[0].train_loss[k],
                    curves[1].train_loss[k]);

    std::vector<double> layers;
    for (std::size_t k = 0; k < stds[0].size(); ++k) layers.push_back(double(k + 1));
    plot::Figure fig(
        {.title = strf("A %d-layer MLP (width 64, ReLU) with and without batch norm", kDepth),
         .width = 1100,
         .height = 420},
        {{.title = "each hidden layer's output std at initialisation",
          .xlabel = "hidden layer",
          .ylabel = "std",
          .logy = true,
          .legend = plot::Legend::BottomLeft},
         {.title = "training loss (whole training set)",
          .xlabel = "step",
          .ylabel = "cross-entropy",
          .legend = plot::Legend::TopRight}});
    fig.axes(0).line(layers, stds[0], "plain");
    fig.axes(0).line(layers, stds[1], "batch norm");
    fig.axes(1).line(curves[0].step, curves[0].train_loss, "plain");
    fig.axes(1).line(curves[1].step, curves[1].train_loss, "batch norm");
    Result result;
    result.figures.push_back(ctx.path("23_batch_norm.svg"));
    fig.save(result.figures.back());

    // How often the batch-norm curve lies below the plain one, over the recorded steps.
    std::int64_t below = 0;
    for (std::size_t k = 0; k < curves[0].step.size(); ++k)
        below += curves[1].train_loss[k] < curves[0].train_loss[k];
    const double share_below = double(below) / double(curves[0].step.size());
    auto& m = result.metrics;
    m["plain_std_first"] = stds[0].front();
    m["plain_std_last"] = stds[0].back();
    m["bn_std_min"] = *std::min_element(stds[1].begin(), stds[1].end());
    m["bn_std_max"] = *std::max_element(stds[1].begin(), stds[1].end());
    m["plain_final_train_loss"] = curves[0].train_loss.back();
    m["bn_final_train_loss"] = curves[1].train_loss.back();
    m["plain_test_accuracy"] = curves[0].test_accuracy;
    m["bn_test_accuracy"] = curves[1].test_accuracy;
    m["share_of_steps_bn_below"] = share_below;
    result.ok = share_below >= 0.9 && curves[1].train_loss.back() < curves[0].train_loss.back() &&
                m["bn_std_max"] < 2 * m["bn_std_min"] && stds[0].back() < 0.2 * stds[0].front();
    result.summary = strf(
        "%d layers: hidden-layer output std at init %.2e -> %.2e (plain) vs %.2f to %.2f (batch "
        "norm); training loss after %d steps %.3f (plain) vs %.3f (batch norm), below at %.0f%% "
        "of the recorded steps; test accuracy %.1f%% vs %.1f%%",
        kDepth, stds[0].front(), stds[0].back(), m["bn_std_min"], m["bn_std_max"], plan.steps,
        curves[0].train_loss.back(), curves[1].train_loss.back(), 100 * share_below,
        100 * curves[0].test_accuracy, 100 * curves[1].test_accuracy);
    out << result.summary << "\n";
    return result;
}

}  // namespace

Entry batch_norm_entry() {
    return {.name = "23_batch_norm",
            .slide = "Recent innovations and tricks: Batch normalization",
            .caption =
                "\"Batch normalization: similar range for features.\" The same 16-layer MLP "
                "(width 64, ReLU, PyTorch's default initialisation) with and without "
                "BatchNorm1d before each ReLU, on ten Gaussian classes in 20 dimensions; Adam "
                "(lr 1e-3, batches of 64). Left: each hidden layer's output standard deviation "
                "on a batch at initialisation (read with forward hooks): without batch norm it "
                "shrinks by a constant factor per layer, with it every layer's features stay in "
                "one range. Right: the loss on the whole training set during training: the "
                "normalised net's curve lies below the plain one's.",
            .run = run_batch_norm};
}

}  // namespace soma::gallery
