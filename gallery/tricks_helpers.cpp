// What the entries of the tricks slide share (22_residual_nets, 23_batch_norm, 24_dropout): a
// synthetic classification task and a mini-batch training loop that records its curves.

#include <algorithm>
#include <cmath>

#include "entries.h"
#include "soma/autograd.h"
#include "soma/nn/loss.h"
#include "soma/ops.h"
#include "soma/optim/adam.h"

namespace soma::gallery {

ClassData blob_classes(std::int64_t n, double noise, std::uint64_t seed) {
    Generator means_gen(7), gen(seed);
    std::vector<float> means(kBlobClasses * kBlobDim), x(static_cast<std::size_t>(n * kBlobDim));
    for (float& m : means) m = static_cast<float>(means_gen.normal());
    std::vector<std::int64_t> y(static_cast<std::size_t>(n));
    for (std::int64_t i = 0; i < n; ++i) {
        y[i] = gen.randint(0, kBlobClasses);
        for (std::int64_t j = 0; j < kBlobDim; ++j)
            x[i * kBlobDim + j] =
                means[y[i] * kBlobDim + j] + static_cast<float>(noise * gen.normal());
    }
    return {from_vector(x, {n, kBlobDim}), from_vector(y, {n})};
}

std::shared_ptr<nn::Linear> dense(std::int64_t in, std::int64_t out) {
    return std::make_shared<nn::Linear>(nn::LinearOptions{.in = in, .out = out});
}

double loss_on(nn::Module& model, const ClassData& d) {
    model.eval();
    NoGrad no_grad;
    return nn::cross_entropy(model(d.x), d.y).item<double>();
}

double accuracy_on(nn::Module& model, const ClassData& d) {
    model.eval();
    const std::vector<std::int64_t> p = predict_classes(model, d.x),
                                    y = d.y.to_vector<std::int64_t>();
    std::int64_t right = 0;
    for (std::size_t i = 0; i < y.size(); ++i) right += p[i] == y[i];
    return double(right) / double(y.size());
}

Curves train_recorded(nn::Module& model, const ClassData& train, const ClassData& test,
                      const TrainPlan& plan) {
    optim::Adam opt(model.parameters(), {.lr = plan.lr});
    Generator gen(plan.seed);
    const std::int64_t n = train.x.size(0), batch = std::min(plan.batch, n);
    std::vector<std::int64_t> order(static_cast<std::size_t>(n));
    std::size_t next = order.size();
    Curves c;
    for (int step = 1; step <= plan.steps; ++step) {
        if (next + static_cast<std::size_t>(batch) > order.size()) {  // a new shuffled pass
            for (std::size_t i = 0; i < order.size(); ++i) order[i] = std::int64_t(i);
            for (std::size_t i = order.size(); i > 1; --i)
                std::swap(order[i - 1], order[static_cast<std::size_t>(gen.randint(0, i))]);
            next = 0;
        }
        const Tensor idx = from_vector(
            std::vector<std::int64_t>(order.begin() + next, order.begin() + next + batch), {batch});
        next += static_cast<std::size_t>(batch);
        model.train();
        const Tensor loss = nn::cross_entropy(model(index_select(train.x, 0, idx)),
                                              index_select(train.y, 0, idx));  // (B, C) -> ()
        opt.zero_grad();
        loss.backward();
        opt.step();
        c.batch_loss.push_back(loss.item<double>());
        if (step % plan.record_every == 0 || step == plan.steps) {
            c.step.push_back(step);
            c.train_loss.push_back(loss_on(model, train));
            c.test_loss.push_back(loss_on(model, test));
        }
    }
    c.train_accuracy = accuracy_on(model, train);
    c.test_accuracy = accuracy_on(model, test);
    return c;
}

}  // namespace soma::gallery
