// 26: the tricks slide's "big datasets" and the closing advice "train in batches": one MLP trained
// on the same examples one at a time and in batches of 32 and 256 (loss against wall time, and
// samples per second), and the same MLP trained on growing training sets (test accuracy against
// the number of examples).

#include <chrono>
#include <cmath>
#include <memory>
#include <ostream>
#include <vector>

#include "entries.h"
#include "soma/nn/activation.h"
#include "soma/nn/container.h"
#include "soma/nn/loss.h"
#include "soma/ops.h"
#include "soma/optim/adam.h"
#include "soma/plot/svg.h"
#include "soma/random.h"

namespace soma::gallery {

namespace {

constexpr double kNoise = 2.0;  // overlapping classes: more examples keep paying

std::shared_ptr<nn::Sequential> make_mlp() {
    return std::make_shared<nn::Sequential>(
        nn::Sequential{dense(kBlobDim, 128), std::make_shared<nn::ReLU>(), dense(128, 128),
                       std::make_shared<nn::ReLU>(), dense(128, kBlobClasses)});
}

struct TimedCurve {
    std::vector<double> seconds, loss;  // training time so far, loss on the whole training set
    double samples_per_s = 0;
};

// One pass over `train` in batches of `batch` (Adam, lr scaled by sqrt(batch / 32) from 1e-3, as
// is usual when the batch grows), the loss measured `points` times along the way; the clock runs
// during the steps only.
TimedCurve timed_pass(const ClassData& train, std::int64_t batch, int points, std::uint64_t seed) {
    manual_seed(seed);
    auto net = make_mlp();
    optim::Adam opt(net->parameters(), {.lr = 1e-3 * std::sqrt(double(batch) / 32.0)});
    const std::int64_t n = train.x.size(0), steps = n / batch;
    TimedCurve c;
    double seconds = 0;
    c.seconds.push_back(0);
    c.loss.push_back(loss_on(*net, train));
    for (std::int64_t s = 0; s < steps; ++s) {
        const auto t0 = std::chrono::steady_clock::now();
        net->train();
        const Tensor loss = nn::cross_entropy((*net)(train.x.narrow(0, s * batch, batch)),
                                              train.y.narrow(0, s * batch, batch));
        opt.zero_grad();
        loss.backward();
        opt.step();
        seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        if ((s + 1) % std::max<std::int64_t>(1, steps / points) == 0 || s + 1 == steps) {
            c.seconds.push_back(seconds);
            c.loss.push_back(loss_on(*net, train));
        }
    }
    c.samples_per_s = double(steps * batch) / seconds;
    return c;
}

Result run_batches(Context& ctx) {
    std::ostream& out = ctx.out();
    const ClassData pool = blob_classes(16384, kNoise, ctx.seed * 100 + 1);
    const ClassData test = blob_classes(4000, kNoise, ctx.seed * 100 + 2);

    // ---- batch size: one pass over 8,192 examples
    const ClassData first{pool.x.narrow(0, 0, 8192), pool.y.narrow(0, 0, 8192)};
    const std::vector<std::int64_t> batches = {1, 32, 256};
    std::vector<TimedCurve> timed;
    out << strf("%8s %14s %16s %14s\n", "batch", "samples/s", "seconds (pass)", "final loss");
    for (std::int64_t b : batches) {
        timed.push_back(timed_pass(first, b, 16, ctx.seed * 1000 + 26));
        out << strf("%8lld %14.0f %16.3f %14.4f\n", static_cast<long long>(b),
                    timed.back().samples_per_s, timed.back().seconds.back(),
                    timed.back().loss.back());
    }

    // ---- data set size: the same training (steps, batch) on the first n examples
    const std::vector<std::int64_t> sizes =
        ctx.quick ? std::vector<std::int64_t>{64, 256, 1024, 4096}
                  : std::vector<std::int64_t>{64, 256, 1024, 4096, 16384};
    const TrainPlan plan{.steps = ctx.quick ? 600 : 1500, .record_every = 100000, .seed = ctx.seed};
    std::vector<double> size_x, test_acc, train_acc;
    out << strf("%8s %14s %14s\n", "examples", "train acc", "test acc");
    for (std::int64_t n : sizes) {
        manual_seed(ctx.seed * 1000 + 126);
        auto net = make_mlp();
        const ClassData part{pool.x.narrow(0, 0, n), pool.y.narrow(0, 0, n)};
        const Curves c = train_recorded(*net, part, test, plan);
        size_x.push_back(std::log2(double(n)));
        test_acc.push_back(c.test_accuracy);
        train_acc.push_back(c.train_accuracy);
        out << strf("%8lld %13.1f%% %13.1f%%\n", static_cast<long long>(n), 100 * c.train_accuracy,
                    100 * c.test_accuracy);
    }

    std::vector<plot::Tick> ticks;
    for (std::size_t k = 0; k < sizes.size(); ++k)
        ticks.push_back({size_x[k], std::to_string(sizes[k])});
    plot::Figure fig({.title = "Train in batches; more data pays", .width = 1100, .height = 420},
                     {{.title = "one pass over 8,192 examples: training loss against time",
                       .xlabel = "seconds of training (this machine)",
                       .ylabel = "cross-entropy (whole set)",
                       .legend = plot::Legend::TopRight},
                      {.title = strf("accuracy after %d steps of 64", plan.steps),
                       .xlabel = "training examples",
                       .ylabel = "accuracy",
                       .ylim = plot::Range{0, 1},
                       .legend = plot::Legend::BottomRight,
                       .xticks = ticks}});
    for (std::size_t k = 0; k < batches.size(); ++k)
        fig.axes(0).line(timed[k].seconds, timed[k].loss,
                         strf("batch %lld (%.0f samples/s)", static_cast<long long>(batches[k]),
                              timed[k].samples_per_s));
    fig.axes(1).line(size_x, train_acc, "training set");
    fig.axes(1).line(size_x, test_acc, "test set");
    Result result;
    result.figures.push_back(ctx.path("26_batches.svg"));
    fig.save(result.figures.back());

    auto& m = result.metrics;
    for (std::size_t k = 0; k < batches.size(); ++k) {
        const std::string b = std::to_string(batches[k]);
        m["samples_per_s_batch_" + b] = timed[k].samples_per_s;
        m["final_loss_batch_" + b] = timed[k].loss.back();
    }
    m["test_accuracy_smallest"] = test_acc.front();
    m["test_accuracy_largest"] = test_acc.back();
    m["train_accuracy_smallest"] = train_acc.front();
    bool rising = true;
    for (std::size_t k = 1; k < test_acc.size(); ++k)
        rising = rising && test_acc[k] > test_acc[k - 1] - 0.01;
    m["test_accuracy_rises"] = rising;
    // The claims that do not depend on the machine's speed: every batch size learns in one pass,
    // and test accuracy grows with the data while the smallest set is memorised.
    bool learned = true;
    for (const TimedCurve& t : timed) learned = learned && t.loss.back() < 0.8 * t.loss.front();
    result.ok = learned && rising && test_acc.back() > test_acc.front() + 0.1;
    result.summary = strf(
        "one pass over 8,192 examples at %.0f / %.0f / %.0f samples/s (batch 1 / 32 / 256); test "
        "accuracy %.1f%% with %lld training examples (training accuracy %.1f%%), %.1f%% with %lld",
        timed[0].samples_per_s, timed[1].samples_per_s, timed[2].samples_per_s,
        100 * test_acc.front(), static_cast<long long>(sizes.front()), 100 * train_acc.front(),
        100 * test_acc.back(), static_cast<long long>(sizes.back()));
    out << result.summary << "\n";
    return result;
}

}  // namespace

Entry batches_entry() {
    return {.name = "26_batches",
            .slide =
                "Recent innovations and tricks: Big datasets; How to design & train a neural "
                "net: train in batches",
            .caption =
                "\"Big datasets\" and \"train in batches\", on ten overlapping Gaussian classes in "
                "20 dimensions and an MLP (20 → 128 → 128 → 10, ReLU, Adam). Left: one pass over "
                "the same 8,192 examples one at a time and in batches of 32 and 256 (learning "
                "rate 1e-3 scaled by the square root of the batch over 32), the loss on the whole "
                "set against the seconds of training on this machine: a batch is one matrix "
                "product where single examples are many small ones, so batches process far more "
                "samples per second (the legend) and reach a given loss sooner. The times are "
                "this run's; only the shapes of the curves carry over. Right: the same training "
                "(steps of 64) on the first 64 to 16,384 examples: the smallest set is memorised "
                "and generalises poorly, and test accuracy climbs with every fourfold of data.",
            .run = run_batches};
}

}  // namespace soma::gallery
