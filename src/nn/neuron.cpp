#include "soma/nn/neuron.h"

#include <sstream>

#include "soma/ops.h"

namespace soma::nn {

namespace {

// The neuron's contract: inputs are spikes, 0 or 1, never anything in between.
void check_binary(const Tensor& x, const std::string& who, std::int64_t n) {
    check(x.defined(), who, ": undefined input");
    check(is_floating(x.dtype()), who, ": needs a floating input of 0s and 1s, got ",
          dtype_name(x.dtype()));
    check((x.dim() == 1 || x.dim() == 2) && x.size(-1) == n, who, ": input of shape ", x.shape(),
          " is not (N, ", n, ") or (", n, ",)");
    for (double v : x.to_vector<double>())
        check(v == 0.0 || v == 1.0, who, ": inputs must be 0 or 1, got ", v);
}

std::string list(const std::vector<double>& values) {
    std::ostringstream s;
    s << '[';
    for (std::size_t i = 0; i < values.size(); ++i) s << (i ? ", " : "") << values[i];
    s << ']';
    return s.str();
}

}  // namespace

BinaryNeuron::BinaryNeuron(std::vector<double> weights, double theta)
    : weights_(std::move(weights)), theta_(theta) {
    check(!weights_.empty(), "BinaryNeuron: needs at least one weight");
    for (double w : weights_)
        check(w == 1.0 || w == -1.0, "BinaryNeuron: weights must be -1 or +1, got ", w, " in ",
              list(weights_));
}

Tensor BinaryNeuron::forward(const Tensor& x) {
    check_binary(x, "BinaryNeuron", n_inputs());
    Tensor w = from_vector(weights_, {n_inputs()}).to(x.dtype());
    // x: (N, n) -> (N,). w^T x is a small integer, exact in floating point, so >= theta is too.
    return step(matmul(x, w) - theta_);
}

std::string BinaryNeuron::extra_repr() const {
    std::ostringstream s;
    s << "weights=" << list(weights_) << ", theta=" << theta_;
    return s.str();
}

BinaryNeuron and_gate(std::int64_t n) {
    check(n >= 1, "and_gate: needs at least one input, got ", n);
    return BinaryNeuron(std::vector<double>(static_cast<std::size_t>(n), 1.0),
                        static_cast<double>(n));
}

BinaryNeuron or_gate(std::int64_t n) {
    check(n >= 1, "or_gate: needs at least one input, got ", n);
    return BinaryNeuron(std::vector<double>(static_cast<std::size_t>(n), 1.0), 1.0);
}

BinaryNeuron not_gate() { return BinaryNeuron({-1.0}, 0.0); }

BinaryLayer::BinaryLayer(std::vector<BinaryNeuron> neurons) : neurons_(std::move(neurons)) {
    check(!neurons_.empty(), "BinaryLayer: needs at least one neuron");
    const std::int64_t n = neurons_.front().n_inputs();
    std::vector<double> w, theta;
    for (const auto& neuron : neurons_) {
        check(neuron.n_inputs() == n, "BinaryLayer: neurons read different numbers of inputs (", n,
              " and ", neuron.n_inputs(), ")");
        w.insert(w.end(), neuron.weights().begin(), neuron.weights().end());
        theta.push_back(neuron.theta());
    }
    weight_ = from_vector(w, {size(), n});
    theta_ = from_vector(theta, {size()});
}

Tensor BinaryLayer::forward(const Tensor& x) {
    check_binary(x, "BinaryLayer", n_inputs());
    // x: (N, n) -> (N, k): all k neurons at once.
    return step(matmul(x, weight_.to(x.dtype()).t()) - theta_.to(x.dtype()));
}

void BinaryLayer::visit(Visitor& v) {
    for (std::size_t i = 0; i < neurons_.size(); ++i) v.module(std::to_string(i), neurons_[i]);
}

const BinaryNeuron& BinaryLayer::operator[](std::int64_t i) const {
    check(i >= 0 && i < size(), "BinaryLayer: neuron ", i, " is out of range for ", size());
    return neurons_[static_cast<std::size_t>(i)];
}

BinaryNetwork::BinaryNetwork(std::vector<std::vector<BinaryNeuron>> layers) {
    check(!layers.empty(), "BinaryNetwork: needs at least one layer");
    for (auto& neurons : layers) {
        BinaryLayer layer(std::move(neurons));
        if (!layers_.empty())
            check(layer.n_inputs() == layers_.back().size(), "BinaryNetwork: layer ",
                  layers_.size(), " reads ", layer.n_inputs(), " inputs but layer ",
                  layers_.size() - 1, " has ", layers_.back().size(), " neurons");
        layers_.push_back(std::move(layer));
    }
}

std::vector<Tensor> BinaryNetwork::forward_all(const Tensor& x) {
    std::vector<Tensor> outs;
    Tensor h = x;
    for (auto& layer : layers_) outs.push_back(h = layer.forward(h));
    return outs;
}

Tensor BinaryNetwork::forward(const Tensor& x) { return forward_all(x).back(); }

void BinaryNetwork::visit(Visitor& v) {
    for (std::size_t i = 0; i < layers_.size(); ++i) v.module(std::to_string(i), layers_[i]);
}

Tensor binary_inputs(std::int64_t n) {
    check(n >= 1 && n <= 20, "binary_inputs: n must be in [1, 20], got ", n);
    const std::int64_t rows = std::int64_t{1} << n;
    std::vector<float> v(static_cast<std::size_t>(rows * n));
    for (std::int64_t r = 0; r < rows; ++r)
        for (std::int64_t i = 0; i < n; ++i)
            v[r * n + i] = static_cast<float>((r >> (n - 1 - i)) & 1);
    return from_vector(v, {rows, n});
}

BinaryNetwork logic_network(const std::vector<int>& truth_table) {
    const auto rows = static_cast<std::int64_t>(truth_table.size());
    check(rows >= 2 && (rows & (rows - 1)) == 0,
          "logic_network: the truth table needs 2^n entries (n >= 1), got ", rows);
    std::int64_t n = 0;
    while ((std::int64_t{1} << n) < rows) ++n;
    std::vector<BinaryNeuron> hidden;
    for (std::int64_t r = 0; r < rows; ++r) {
        int out = truth_table[static_cast<std::size_t>(r)];
        check(out == 0 || out == 1, "logic_network: entry ", r, " is ", out, ", not 0 or 1");
        if (!out) continue;
        // Fires only for input r: every 1-bit must be on (+1 each, θ counts them) and any
        // 0-bit that is on pulls the sum below θ.
        std::vector<double> w(static_cast<std::size_t>(n));
        double ones = 0;
        for (std::int64_t i = 0; i < n; ++i) {
            bool bit = (r >> (n - 1 - i)) & 1;
            w[static_cast<std::size_t>(i)] = bit ? 1.0 : -1.0;
            ones += bit;
        }
        hidden.emplace_back(std::move(w), ones);
    }
    // w^T x <= n for ±1 weights and 0/1 inputs, so θ = n + 1 is never reached.
    if (hidden.empty()) hidden.push_back(BinaryNeuron(std::vector<double>(n, 1.0), n + 1.0));
    const auto k = static_cast<std::int64_t>(hidden.size());
    return BinaryNetwork({std::move(hidden), {or_gate(k)}});
}

}  // namespace soma::nn
