#pragma once
// Normalisation layers: BatchNorm1d/2d and LayerNorm, as PyTorch's.
//
// Batch normalisation, exactly as torch.nn.BatchNorm1d/2d:
//
//   nn::BatchNorm2d bn({.num_features = 16});
//   Tensor y = bn(x);  // x: (N, 16, H, W) -> same shape
//
// In training mode each channel is normalised with the batch's mean and biased variance, and
// the running statistics move towards the batch's (the variance unbiased):
//   running = (1 - momentum) running + momentum batch.
// In eval mode the running statistics normalise instead. Without track_running_stats there are
// no running statistics and the batch's are used in both modes. With momentum = nullopt the
// running statistics are the cumulative average over all batches seen (factor 1 / batches).
// Then y = (x - mean) / sqrt(var + eps) * weight + bias (weight, bias only with affine).

#include <cstdint>
#include <optional>
#include <string>

#include "soma/nn/module.h"
#include "soma/ops_norm.h"

namespace soma::nn {

// torch.nn.functional.batch_norm, layer_norm and their composed references: the ops in
// soma/ops_norm.h.
using soma::batch_norm;
using soma::batch_norm_reference;
using soma::layer_norm;
using soma::layer_norm_reference;

struct BatchNormOptions {
    std::int64_t num_features = 0;         // C
    double eps = 1e-5;                     // added to the variance
    std::optional<double> momentum = 0.1;  // nullopt: cumulative moving average
    bool affine = true;                    // learnable weight (ones) and bias (zeros)
    bool track_running_stats = true;       // keep running_mean/var for eval mode
};

// The shared implementation of BatchNorm1d and BatchNorm2d, which differ only in the input
// ranks they accept.
class BatchNorm : public Module {
public:
    Tensor forward(const Tensor& x) override;
    std::string extra_repr() const override;
    void visit(Visitor& v) override {
        v.param("weight", weight);
        v.param("bias", bias);
        v.buffer("running_mean", running_mean);
        v.buffer("running_var", running_var);
        v.buffer("num_batches_tracked", num_batches_tracked);
    }

    // running_mean = 0, running_var = 1, num_batches_tracked = 0.
    void reset_running_stats();
    // Also weight = 1, bias = 0.
    void reset_parameters();

    const BatchNormOptions& options() const { return options_; }

    Tensor weight, bias;               // (C) float32; undefined without affine
    Tensor running_mean, running_var;  // (C) float32; undefined without track_running_stats
    Tensor num_batches_tracked;        // () int64; likewise

protected:
    explicit BatchNorm(BatchNormOptions o);
    // Throws unless x has one of the accepted ranks and C channels.
    virtual void check_input(const Tensor& x) const = 0;
    void check_channels(const Tensor& x) const;

    BatchNormOptions options_;
};

// Over (N, C) or (N, C, L) inputs.
class BatchNorm1d : public BatchNorm {
public:
    explicit BatchNorm1d(BatchNormOptions o) : BatchNorm(o) {}
    std::string type_name() const override { return "BatchNorm1d"; }

protected:
    void check_input(const Tensor& x) const override;
};

// Over (N, C, H, W) inputs.
class BatchNorm2d : public BatchNorm {
public:
    explicit BatchNorm2d(BatchNormOptions o) : BatchNorm(o) {}
    std::string type_name() const override { return "BatchNorm2d"; }

protected:
    void check_input(const Tensor& x) const override;
};

// Layer normalisation, as torch.nn.LayerNorm: each sample is normalised over its last
// dimensions (those of normalized_shape) with its own mean and biased variance, in training
// and eval mode alike, then scaled and shifted element-wise.
//
//   nn::LayerNorm ln({.normalized_shape = {512}});
//   Tensor y = ln(x);  // x: (*, 512) -> same shape
struct LayerNormOptions {
    Shape normalized_shape;          // the trailing dimensions normalised over
    double eps = 1e-5;               // added to the variance
    bool elementwise_affine = true;  // learnable weight (ones) and, with bias, bias (zeros)
    bool bias = true;                // only with elementwise_affine
};

class LayerNorm : public Module {
public:
    explicit LayerNorm(LayerNormOptions o);
    Tensor forward(const Tensor& x) override;
    std::string type_name() const override { return "LayerNorm"; }
    std::string extra_repr() const override;
    void visit(Visitor& v) override {
        v.param("weight", weight);
        v.param("bias", bias);
    }

    // weight = 1, bias = 0.
    void reset_parameters();
    const LayerNormOptions& options() const { return options_; }

    Tensor weight, bias;  // normalized_shape, float32; undefined without affine (or bias)

private:
    LayerNormOptions options_;
};

}  // namespace soma::nn
