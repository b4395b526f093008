#pragma once
// The lecture's two recipes for neural network construction, as modules:
//
//   models::Regressor reg({.in = 10, .hidden = {64, 64}, .out = 1, .dropout = 0.1});
//   Tensor y = reg(x);                    // x: (N, 10) -> (N, 1)
//   Tensor loss = reg.loss(y, target);    // RMSE
//
//   models::Classifier cls({.in = 4, .hidden = {32}, .out = 3, .batch_norm = true});
//   Tensor logits = cls(x);               // x: (N, 4) -> (N, 3)
//   Tensor loss = cls.loss(logits, labels);  // softmax + cross-entropy, labels (N) int64
//
// Both are the same stack, as on the slide: the input flattened to a vector (N, *) -> (N, in),
// then per hidden width h one perceptron block
//     Linear(prev, h) [-> BatchNorm1d(h)] -> ReLU [-> Dropout(p)]
// (with .residual each block adds its input, y = x + block(x), through a bias-free Linear
// projection when prev != h), and a last Linear(prev, out). Train with Adam and weight decay
// (optim::Adam's .weight_decay). Layers are named like a Sequential under "layers"
// ("layers.1.weight"); initialisation draws from .gen (null: the default generator), dropout
// masks from the default generator.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "soma/nn/container.h"
#include "soma/random.h"

namespace soma::models {

struct RecipeOptions {
    std::int64_t in = 0;                          // input vector length
    std::vector<std::int64_t> hidden = {64, 64};  // hidden layer widths (may be empty)
    std::int64_t out = 1;                         // regression outputs, or classes
    double dropout = 0;                           // after each hidden ReLU; 0: none
    bool batch_norm = false;                      // BatchNorm1d before each hidden ReLU
    bool residual = false;                        // shortcut around each hidden block
    Generator* gen = nullptr;                     // for initialisation; null: the default
};
using RegressorOptions = RecipeOptions;
using ClassifierOptions = RecipeOptions;

// The shared stack: Flatten, hidden blocks, last Linear. Throws on non-positive sizes or a
// dropout probability outside [0, 1).
std::shared_ptr<nn::Sequential> recipe_layers(const RecipeOptions& o);

class Regressor : public nn::Module {
public:
    explicit Regressor(RegressorOptions o);

    Tensor forward(const Tensor& x) override;  // (N, *) -> (N, out)
    // sqrt(mean((output - target)^2)); output and target (N, out).
    static Tensor loss(const Tensor& output, const Tensor& target);

    std::string type_name() const override { return "Regressor"; }
    void visit(nn::Visitor& v) override { v.module("layers", *layers); }
    const RecipeOptions& options() const { return options_; }

    std::shared_ptr<nn::Sequential> layers;

private:
    RecipeOptions options_;
};

class Classifier : public nn::Module {
public:
    explicit Classifier(ClassifierOptions o);  // .out >= 2 classes

    Tensor forward(const Tensor& x) override;  // (N, *) -> (N, out) logits
    // Cross-entropy of softmax(logits) at the labels: logits (N, out), labels (N) int64.
    static Tensor loss(const Tensor& logits, const Tensor& labels);
    // softmax(forward(x)): (N, *) -> (N, out), rows summing to 1.
    Tensor predict_proba(const Tensor& x);
    // The most probable class: (N, *) -> (N) int64.
    Tensor predict(const Tensor& x);

    std::string type_name() const override { return "Classifier"; }
    void visit(nn::Visitor& v) override { v.module("layers", *layers); }
    const RecipeOptions& options() const { return options_; }

    std::shared_ptr<nn::Sequential> layers;

private:
    RecipeOptions options_;
};

}  // namespace soma::models
