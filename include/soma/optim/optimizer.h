#pragma once
// Optimizer: updates a list of parameters from their .grad. State (moments, step counts) lives
// in vectors parallel to the parameter list, and is saved in checkpoints through state_dict().
//
// Update rules are PyTorch 1.13's (single-tensor path), so runs are comparable step by step.
// A parameter whose .grad is undefined is skipped and its state left untouched, like PyTorch.

#include <cstdint>
#include <string>
#include <vector>

#include "soma/nn/module.h"
#include "soma/tensor.h"

namespace soma::optim {

class Optimizer {
public:
    // params: floating leaves (each at most once); lr >= 0.
    explicit Optimizer(std::vector<Tensor> params, double lr);
    virtual ~Optimizer() = default;
    Optimizer(const Optimizer&) = delete;
    Optimizer& operator=(const Optimizer&) = delete;

    // One update of every parameter that has a gradient (under NoGrad).
    virtual void step();
    // Forgets the parameters' gradients (sets them undefined, PyTorch's set_to_none=True).
    void zero_grad();

    double lr() const { return lr_; }
    void set_lr(double lr);
    std::int64_t steps() const { return steps_; }
    const std::vector<Tensor>& params() const { return params_; }
    virtual std::string type_name() const = 0;

    // The optimizer's state as named tensors, so a checkpoint can hold it next to the model:
    // "step" (int64, the number of step() calls), "lr" (float64) and one entry per created
    // state buffer, "<buffer>.<parameter index>" ("exp_avg.3", "momentum_buffer.0"). The
    // tensors are the live state, not copies.
    nn::StateDict state_dict() const;
    // Copies a state_dict of an optimizer of the same kind over the same parameters back in.
    // Everything is checked first (unknown or malformed names, shapes, dtypes; the error lists
    // every problem); a buffer the dict lacks is reset to "not created yet".
    void load_state_dict(const nn::StateDict& state);

protected:
    // The update of parameter i (contiguous, floating) from its gradient (contiguous, same
    // shape and dtype), in place; runs under NoGrad.
    virtual void update(std::size_t i, const Tensor& param, const Tensor& grad) = 0;

    // A per-parameter state vector for state_dict: `values[i]` belongs to parameter i and is
    // undefined until created. Scalar buffers (per-parameter step counts) are 0-d int64;
    // the others have their parameter's shape and dtype.
    struct Buffer {
        const char* name;
        std::vector<Tensor>* values;
        bool scalar = false;
    };
    virtual std::vector<Buffer> buffers() { return {}; }

    std::vector<Tensor> params_;
    double lr_;
    std::int64_t steps_ = 0;
};

// A 0-d int64 tensor holding n: the per-parameter step counters of Adam and Adagrad.
Tensor step_counter(std::int64_t n);

}  // namespace soma::optim
