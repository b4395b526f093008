// The regressor and classifier recipes, built from nn layers.

#include "soma/models/recipe.h"

#include "soma/error.h"
#include "soma/nn/activation.h"
#include "soma/nn/dropout.h"
#include "soma/nn/linear.h"
#include "soma/nn/loss.h"
#include "soma/nn/norm.h"
#include "soma/nn/residual.h"
#include "soma/ops.h"

namespace soma::models {

namespace {

using Ptr = std::shared_ptr<nn::Module>;

Ptr linear(std::int64_t in, std::int64_t out, Generator* gen, bool bias = true) {
    return std::make_shared<nn::Linear>(
        nn::LinearOptions{.in = in, .out = out, .bias = bias, .gen = gen});
}

// Linear [-> BatchNorm1d] -> ReLU [-> Dropout]: (N, in) -> (N, out).
Ptr block(std::int64_t in, std::int64_t out, const RecipeOptions& o) {
    auto b = std::make_shared<nn::Sequential>();
    b->push_back(linear(in, out, o.gen));
    if (o.batch_norm)
        b->push_back(std::make_shared<nn::BatchNorm1d>(nn::BatchNormOptions{.num_features = out}));
    b->push_back(std::make_shared<nn::ReLU>());
    if (o.dropout > 0) b->push_back(std::make_shared<nn::Dropout>(o.dropout));
    if (!o.residual) return b;
    // Widths differ: a bias-free projection carries x to the block's width.
    return std::make_shared<nn::Residual>(b, in == out ? nullptr : linear(in, out, o.gen, false));
}

}  // namespace

std::shared_ptr<nn::Sequential> recipe_layers(const RecipeOptions& o) {
    check(o.in > 0 && o.out > 0, "recipe: in and out must be positive, got ", o.in, " and ", o.out);
    check(o.dropout >= 0 && o.dropout < 1, "recipe: dropout must be in [0, 1), got ", o.dropout);
    auto layers = std::make_shared<nn::Sequential>();
    layers->push_back(std::make_shared<nn::Flatten>());  // input to vector: (N, *) -> (N, in)
    std::int64_t prev = o.in;
    for (std::int64_t h : o.hidden) {
        check(h > 0, "recipe: hidden widths must be positive, got ", h);
        layers->push_back(block(prev, h, o));
        prev = h;
    }
    layers->push_back(linear(prev, o.out, o.gen));
    return layers;
}

Regressor::Regressor(RegressorOptions o) : layers(recipe_layers(o)), options_(std::move(o)) {}

Tensor Regressor::forward(const Tensor& x) { return layers->forward(x); }

Tensor Regressor::loss(const Tensor& output, const Tensor& target) {
    return nn::rmse_loss(output, target);
}

Classifier::Classifier(ClassifierOptions o) : layers(recipe_layers(o)), options_(std::move(o)) {
    check(options_.out >= 2, "Classifier: needs two classes or more, got out = ", options_.out);
}

Tensor Classifier::forward(const Tensor& x) { return layers->forward(x); }

Tensor Classifier::loss(const Tensor& logits, const Tensor& labels) {
    return nn::cross_entropy(logits, labels);
}

Tensor Classifier::predict_proba(const Tensor& x) { return softmax(forward(x), 1); }

Tensor Classifier::predict(const Tensor& x) { return argmax(forward(x), 1); }

}  // namespace soma::models
