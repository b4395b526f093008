#pragma once
// The lecture's first neurons: McCulloch-Pitts binary neurons (fixed logic) and Rosenblatt's
// perceptron (learned linear classifier).
//
//   nn::BinaryNetwork xor_net({{nn::or_gate(2), nn::and_gate(2)},   // h1 (θ=1), h2 (θ=2)
//                              {nn::BinaryNeuron({1, -1}, 1)}});    // y = [h1 - h2 >= 1]
//   Tensor y = xor_net(nn::binary_inputs(2));                       // (4, 1): 0 1 1 0

#include <cstdint>
#include <string>
#include <vector>

#include "soma/nn/module.h"

namespace soma::nn {

// y = 1 if w^T x >= theta else 0, with inputs and output in {0, 1} and weights in {-1, +1}
// (excitatory or inhibitory). Fixed, not learned: it has no parameters and no state_dict
// entries; it is entirely described by its constructor arguments.
class BinaryNeuron : public Module {
public:
    // Throws soma::Error unless every weight is -1 or +1 and there is at least one.
    BinaryNeuron(std::vector<double> weights, double theta);

    // x: (N, n) -> (N,), or (n) -> () for one input. Throws unless every x is 0 or 1.
    Tensor forward(const Tensor& x) override;
    std::string type_name() const override { return "BinaryNeuron"; }
    std::string extra_repr() const override;  // "weights=[1, -1], theta=1"

    const std::vector<double>& weights() const { return weights_; }
    double theta() const { return theta_; }
    std::int64_t n_inputs() const { return static_cast<std::int64_t>(weights_.size()); }

private:
    std::vector<double> weights_;
    double theta_;
};

// Gates as single neurons: AND fires when all n inputs are 1 (θ = n), OR when any is (θ = 1),
// NOT inverts one input (w = -1, θ = 0).
BinaryNeuron and_gate(std::int64_t n);
BinaryNeuron or_gate(std::int64_t n);
BinaryNeuron not_gate();

// Neurons side by side, all reading the same n inputs. x: (N, n) -> (N, k) for k neurons.
class BinaryLayer : public Module {
public:
    explicit BinaryLayer(std::vector<BinaryNeuron> neurons);
    Tensor forward(const Tensor& x) override;
    std::string type_name() const override { return "BinaryLayer"; }
    void visit(Visitor& v) override;  // children "0", "1", ...: one per neuron, for printing

    std::int64_t n_inputs() const { return neurons_.front().n_inputs(); }
    std::int64_t size() const { return static_cast<std::int64_t>(neurons_.size()); }
    const BinaryNeuron& operator[](std::int64_t i) const;

private:
    std::vector<BinaryNeuron> neurons_;
    Tensor weight_;  // (k, n) float64: the neurons' weights as rows
    Tensor theta_;   // (k) float64
};

// Layers of binary neurons, each reading the previous layer's outputs (all neurons fire
// synchronously, layer by layer). x: (N, n) -> (N, k) for an output layer of k neurons.
class BinaryNetwork : public Module {
public:
    // layers[0] reads the n inputs; each later layer's neurons take as many inputs as the
    // layer before has neurons (checked).
    explicit BinaryNetwork(std::vector<std::vector<BinaryNeuron>> layers);
    Tensor forward(const Tensor& x) override;
    // Every layer's output in order (hidden ones first, the output last): for truth tables.
    std::vector<Tensor> forward_all(const Tensor& x);
    std::string type_name() const override { return "BinaryNetwork"; }
    void visit(Visitor& v) override;  // children "0", "1", ...: the layers

    std::int64_t n_inputs() const { return layers_.front().n_inputs(); }
    const std::vector<BinaryLayer>& layers() const { return layers_; }

private:
    std::vector<BinaryLayer> layers_;
};

// Every input of n binary variables as rows of a (2^n, n) float32 tensor, row r holding the
// binary digits of r with x1 the most significant (n = 2: 00, 01, 10, 11).
Tensor binary_inputs(std::int64_t n);

// A two-layer network computing any boolean function of n >= 1 inputs, given its truth table
// of 2^n entries (0 or 1) in binary_inputs(n)'s row order, e.g. XOR = {0, 1, 1, 0}.
// Disjunctive normal form: one hidden neuron per true row r that fires for exactly that input
// (weight +1 on r's 1-bits, -1 on its 0-bits, θ = number of 1-bits), and an OR output neuron.
// The constant-false function gets one hidden neuron that never fires (θ = n + 1).
// Output: (N, 1).
BinaryNetwork logic_network(const std::vector<int>& truth_table);

// Rosenblatt's perceptron for labels y in {-1, +1}: prediction sign(w^T x + b), with the
// lecture's sign (+1 for a score >= 0, -1 otherwise). The bias is a separate parameter (a
// 0-dimensional tensor). Initialised like Linear(n, 1) (uniform in ±1/sqrt(n)), from `gen` or
// the default generator.
//
// Training: SGD on perceptron_loss(p.score(x_i), y_i) for single samples is exactly the
// lecture's rule w <- w + η y_i x_i when w^T x_i y_i < 0, no change otherwise (ReLU's gradient
// at 0 is 0, so a score of exactly 0 does not update; keep w away from all-zero at the start).
class Perceptron : public Module {
public:
    explicit Perceptron(std::int64_t n_inputs, bool bias = true, Generator* gen = nullptr);

    // The real-valued score w^T x + b. x: (N, n) -> (N,), or (n) -> ().
    Tensor score(const Tensor& x);
    // The predicted label sign(score) in {-1, +1}, same shape as score(x); no gradient.
    Tensor forward(const Tensor& x) override;
    std::string type_name() const override { return "Perceptron"; }
    std::string extra_repr() const override;
    void visit(Visitor& v) override {
        v.param("weight", weight);
        v.param("bias", bias);
    }
    std::int64_t n_inputs() const { return n_; }

    Tensor weight;  // (n)
    Tensor bias;    // (), undefined when built with bias = false

private:
    std::int64_t n_;
};

// Σ_i ReLU(-scores_i * labels_i): zero for correctly classified samples, the margin violation
// otherwise. scores and labels have the same shape and dtype; labels must be -1 or +1.
// Returns a 0-dimensional sum (no mean: the lecture's loss, and what makes SGD on one sample
// Rosenblatt's rule).
Tensor perceptron_loss(const Tensor& scores, const Tensor& labels);

}  // namespace soma::nn
